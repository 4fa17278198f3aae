-- Remediation tracking and alert delivery.

-- One record per block or auto-pause: who fixes what, by when, and how it ended.
CREATE TABLE remediations (
  tenant_id TEXT NOT NULL,
  id TEXT PRIMARY KEY,
  flow_id TEXT NOT NULL,
  flow_key TEXT,
  evaluation_id TEXT NOT NULL,
  opened_by_action TEXT NOT NULL,          -- publish_blocked | auto_pause
  failing_metrics TEXT NOT NULL,           -- JSON array of violation strings
  failing_slices TEXT NOT NULL,            -- JSON array of {attribute, group, selectionRate}
  status TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'resolved', 'waived')),
  owner TEXT,
  due_at TEXT,
  root_cause TEXT CHECK (root_cause IS NULL OR root_cause IN ('data', 'feature', 'label', 'threshold', 'model')),
  notes TEXT,
  resolving_evaluation_id TEXT,
  override_id TEXT,
  revision INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX remediations_flow ON remediations(tenant_id, flow_id, status);
CREATE INDEX remediations_status ON remediations(tenant_id, status, created_at);

-- The tenant's alert webhook (one per tenant).
CREATE TABLE alert_settings (
  tenant_id TEXT PRIMARY KEY,
  webhook_url TEXT NOT NULL,
  secret TEXT NOT NULL,
  min_tier TEXT NOT NULL,
  report_base_url TEXT,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
);

-- Outbox: written in the same batch as the event; a delivery loop drains it.
-- The row doubles as the delivery log (attempts, last status, delivered_at).
CREATE TABLE alert_outbox (
  tenant_id TEXT NOT NULL,
  id TEXT PRIMARY KEY,
  event TEXT NOT NULL,
  tier TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  created_at TEXT NOT NULL,
  delivered_at TEXT
);
CREATE INDEX alert_outbox_due ON alert_outbox(tenant_id, status, next_attempt_at);
