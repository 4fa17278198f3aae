-- API key lifecycle: expiry, last use, rotation, and an append-only event log.
-- All times are ISO-8601 UTC strings written by toISOString(), so they compare as text.

-- An absent expiry never expires. A revoked_at in the future is a rotation's grace
-- period: the key keeps working until then.
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
-- Updated at most once a minute per key (best effort; never on the request's path).
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
-- The key that replaced this one by rotation.
ALTER TABLE api_keys ADD COLUMN replaced_by TEXT;

-- Every create, revoke and rotate, with who did it. Never holds a secret or its hash.
CREATE TABLE api_key_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  key_id TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('create', 'revoke', 'rotate')),
  actor_type TEXT NOT NULL CHECK (actor_type IN ('platform', 'principal')),
  actor TEXT NOT NULL,
  actor_key_id TEXT,
  detail TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX api_key_events_tenant ON api_key_events(tenant_id, seq);

CREATE TRIGGER api_key_events_no_update BEFORE UPDATE ON api_key_events
BEGIN
  SELECT RAISE(ABORT, 'api_key_events is append-only');
END;
CREATE TRIGGER api_key_events_no_delete BEFORE DELETE ON api_key_events
BEGIN
  SELECT RAISE(ABORT, 'api_key_events is append-only');
END;
