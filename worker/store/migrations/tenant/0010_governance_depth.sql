-- Governance depth: archived flows and override approvals in stages.

-- An archived flow keeps its row, versions, traces and evaluations; archived_at set
-- means archived (the API shows status "archived"). Archiving an active flow also
-- sets status to paused, so it serves nothing, the recheck never lists it, and
-- unarchiving it leaves it paused until it is published through the gate again.
ALTER TABLE decision_flows ADD COLUMN archived_at TEXT;

-- Overrides gain the status 'rejected' (a CHECK constraint cannot be altered in
-- SQLite, so the table is rebuilt; nothing references it), the approval stages
-- the request must pass (JSON snapshot of the policy's overrideApprovals when it
-- was requested; NULL = the single default stage) and the rejection trail.
CREATE TABLE fairness_overrides_v2 (
  tenant_id TEXT NOT NULL,
  id TEXT PRIMARY KEY,
  flow_id TEXT,
  reason TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'revoked', 'rejected')),
  requested_by TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  approved_by TEXT,
  approved_at TEXT,
  revoked_by TEXT,
  revoked_at TEXT,
  revoke_reason TEXT,
  approval_stages TEXT,
  rejected_by TEXT,
  rejected_at TEXT,
  reject_reason TEXT
);
INSERT INTO fairness_overrides_v2 (tenant_id, id, flow_id, reason, expires_at, status, requested_by, requested_at, approved_by, approved_at, revoked_by, revoked_at, revoke_reason)
  SELECT tenant_id, id, flow_id, reason, expires_at, status, requested_by, requested_at, approved_by, approved_at, revoked_by, revoked_at, revoke_reason FROM fairness_overrides;
DROP TABLE fairness_overrides;
ALTER TABLE fairness_overrides_v2 RENAME TO fairness_overrides;
CREATE INDEX fairness_overrides_tenant ON fairness_overrides(tenant_id, status);

-- One row per decided stage, in order. The primary key makes a stage decidable
-- once: two concurrent decisions of the same stage cannot both commit.
CREATE TABLE override_decisions (
  tenant_id TEXT NOT NULL,
  override_id TEXT NOT NULL,
  stage_index INTEGER NOT NULL,
  stage TEXT NOT NULL,
  role TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
  decided_by TEXT NOT NULL,
  reason TEXT,
  decided_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, override_id, stage_index)
);
