-- Tenant store. Every table carries tenant_id and every query filters on it, even
-- though embedded tenants get a database of their own: a shared server database
-- must never leak rows between tenants.

-- A view whose INSTEAD OF trigger aborts the whole write batch when a guard
-- condition is false; used for optimistic concurrency inside one atomic batch.
CREATE VIEW write_guard AS SELECT 1 AS ok, '' AS name;
CREATE TRIGGER write_guard_check INSTEAD OF INSERT ON write_guard
WHEN NEW.ok IS NOT 1
BEGIN
  SELECT RAISE(ABORT, 'guard_failed');
END;

CREATE TABLE tenant_settings (
  tenant_id TEXT PRIMARY KEY,
  fairness_policy TEXT,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE decision_flows (
  tenant_id TEXT NOT NULL,
  id TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'paused')),
  latest_version INTEGER NOT NULL,
  active_version INTEGER,
  revision INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX decision_flows_key ON decision_flows(tenant_id, key);

CREATE TABLE flow_versions (
  tenant_id TEXT NOT NULL,
  flow_id TEXT NOT NULL REFERENCES decision_flows(id),
  version INTEGER NOT NULL,
  definition TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (flow_id, version)
);

CREATE TABLE decision_traces (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  flow_key TEXT NOT NULL,
  version INTEGER NOT NULL,
  customer_id TEXT NOT NULL,
  attributes TEXT NOT NULL,
  selected INTEGER NOT NULL CHECK (selected IN (0, 1)),
  score REAL,
  offers TEXT,
  converted INTEGER CHECK (converted IN (0, 1)),
  outcome_at TEXT,
  source TEXT NOT NULL CHECK (source IN ('recommend', 'bulk')),
  created_at INTEGER NOT NULL
);
CREATE INDEX decision_traces_window ON decision_traces(tenant_id, flow_key, created_at);

CREATE TABLE fairness_evaluations (
  tenant_id TEXT NOT NULL,
  id TEXT PRIMARY KEY,
  flow_id TEXT,
  flow_key TEXT,
  version INTEGER,
  trigger TEXT NOT NULL,
  verdict TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX fairness_evaluations_flow ON fairness_evaluations(tenant_id, flow_id, created_at);
CREATE TRIGGER fairness_evaluations_no_update BEFORE UPDATE ON fairness_evaluations
BEGIN
  SELECT RAISE(ABORT, 'fairness_evaluations are immutable');
END;
CREATE TRIGGER fairness_evaluations_no_delete BEFORE DELETE ON fairness_evaluations
BEGIN
  SELECT RAISE(ABORT, 'fairness_evaluations are immutable');
END;

CREATE TABLE fairness_overrides (
  tenant_id TEXT NOT NULL,
  id TEXT PRIMARY KEY,
  flow_id TEXT,
  reason TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
  requested_by TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  approved_by TEXT,
  approved_at TEXT,
  revoked_by TEXT,
  revoked_at TEXT,
  revoke_reason TEXT
);
CREATE INDEX fairness_overrides_tenant ON fairness_overrides(tenant_id, status);

CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT,
  before TEXT,
  after TEXT,
  violations TEXT,
  details TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log(tenant_id, entity_type, entity_id, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE recheck_runs (
  tenant_id TEXT NOT NULL,
  run_key TEXT NOT NULL,
  completed_at TEXT NOT NULL,
  summary TEXT NOT NULL,
  PRIMARY KEY (tenant_id, run_key)
);
