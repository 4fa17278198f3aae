-- Chain anchors: the latest signed (seq, hash) of each tenant chain, kept outside the
-- tenant's own database so that rewriting, truncating or rolling back that database
-- is detected. `legacy_rows_allowed` is 1 only for tenants whose chains were anchored
-- after they already held rows written before chaining existed; a tenant created with
-- anchors (seq 0, the genesis hash) may hold no unchained row at all.
-- `pending_seq`/`pending_hash` are the head a chained write is about to commit, recorded
-- before its tenant commit: if the process dies between that commit and the anchor's
-- advance, the next write (or start) accepts rows beyond the anchor only up to exactly
-- this head — rows appended by anyone else stay unanchored and are reported.
CREATE TABLE chain_anchors (
  tenant_id TEXT NOT NULL,
  chain TEXT NOT NULL CHECK (chain IN ('audit', 'evaluation')),
  seq INTEGER NOT NULL CHECK (seq >= 0),
  hash TEXT NOT NULL,
  signed_at TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  legacy_rows_allowed INTEGER NOT NULL DEFAULT 0,
  pending_seq INTEGER,
  pending_hash TEXT,
  PRIMARY KEY (tenant_id, chain)
);
