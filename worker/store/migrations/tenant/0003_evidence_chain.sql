-- Tamper evidence: audit rows and evaluations are hash-chained per tenant.
-- Each chained row stores its position (chain_seq), the previous link's hash and
-- its own link hash (see worker/domain/chain.ts). Rows written before this
-- migration keep chain_seq NULL ("legacy") and precede the chain.
ALTER TABLE audit_log ADD COLUMN chain_seq INTEGER;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_chain ON audit_log(tenant_id, chain_seq) WHERE chain_seq IS NOT NULL;

ALTER TABLE fairness_evaluations ADD COLUMN chain_seq INTEGER;
ALTER TABLE fairness_evaluations ADD COLUMN prev_hash TEXT;
ALTER TABLE fairness_evaluations ADD COLUMN hash TEXT;
-- SHA-256 over the evaluated traces in canonical order (see store/tenant/dataset-hash.ts).
ALTER TABLE fairness_evaluations ADD COLUMN dataset_hash TEXT;
CREATE UNIQUE INDEX fairness_evaluations_chain ON fairness_evaluations(tenant_id, chain_seq) WHERE chain_seq IS NOT NULL;

-- The last link of each chain. Every chained write guards that the head is what
-- it read, and moves it, in the same atomic batch.
CREATE TABLE chain_heads (
  tenant_id TEXT NOT NULL,
  chain TEXT NOT NULL CHECK (chain IN ('audit', 'evaluation')),
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (tenant_id, chain)
);

-- Like write_guard, but with its own message so a lost race on the chain head
-- (retried) is told apart from a service's own guard (reported as 409).
CREATE VIEW chain_guard AS SELECT 1 AS ok;
CREATE TRIGGER chain_guard_check INSTEAD OF INSERT ON chain_guard
WHEN NEW.ok IS NOT 1
BEGIN
  SELECT RAISE(ABORT, 'chain_conflict');
END;
