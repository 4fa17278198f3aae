-- Chain anchors: the latest signed (seq, hash) of each tenant chain, kept outside the
-- tenant's own database so that rewriting, truncating or rolling back that database
-- is detected. `legacy_rows_allowed` is 1 only for tenants whose chains were anchored
-- after they already held rows written before chaining existed (it is signed too); a
-- tenant created with anchors (seq 0, the genesis hash) may hold no unchained row.
CREATE TABLE chain_anchors (
  tenant_id TEXT NOT NULL,
  chain TEXT NOT NULL CHECK (chain IN ('audit', 'evaluation')),
  seq INTEGER NOT NULL CHECK (seq >= 0),
  hash TEXT NOT NULL,
  signed_at TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  legacy_rows_allowed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, chain)
);

-- Heads that chained writes announced before committing them in the tenant database.
-- If a process dies between that commit and the anchor's advance, the next write (or a
-- start) accepts rows beyond the anchor only when they end exactly at an announced
-- head; rows appended by anyone else stay unanchored and are reported. A set, not one
-- slot, so concurrent writers (processes, isolates) never erase each other's.
CREATE TABLE chain_anchor_pending (
  tenant_id TEXT NOT NULL,
  chain TEXT NOT NULL CHECK (chain IN ('audit', 'evaluation')),
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  announced_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, chain, seq, hash)
);
