-- Confidence-sequence states of decisionRule "sequential": one row per
-- (flow, version, slice, metric), holding the per-group counts accumulated over
-- every recheck of that version (domain/sequential.ts). Written in the same batch
-- as the evaluation that recorded it, so the kept state and the chained evidence
-- never disagree. A new version has no row: its sequence starts afresh.
CREATE TABLE sequential_states (
  tenant_id TEXT NOT NULL,
  flow_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  slice TEXT NOT NULL,
  metric TEXT NOT NULL,
  body TEXT NOT NULL,
  evaluation_id TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, flow_id, version, slice, metric)
);
