-- A recheck run claims (tenant, run key) before evaluating anything, so
-- overlapping runs (two instances' schedulers, or a scheduler plus the HTTP
-- trigger) evaluate each flow once. A claim older than its lease may be taken
-- over, so a run that died half-way does not block the day forever.
CREATE TABLE recheck_claims (
  tenant_id TEXT NOT NULL,
  run_key TEXT NOT NULL,
  claim_id TEXT NOT NULL,
  claimed_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, run_key)
);
