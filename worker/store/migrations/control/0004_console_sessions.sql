-- Console sessions: a person signs in to /console with an API key once and holds a
-- session instead, so the key never stays in the browser. Only the SHA-256 of the
-- session id is stored (a read of this table cannot be replayed as a cookie). The
-- session acts as its key: the key's principal, roles and tenant are read through
-- key_id on every request, so revoking or expiring the key ends its sessions too.
-- Times are ISO-8601 UTC strings written by toISOString(), so they compare as text.
CREATE TABLE console_sessions (
  id_hash TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  key_id TEXT NOT NULL REFERENCES api_keys(id),
  created_at TEXT NOT NULL,
  -- Idle expiry counts from here; updated at most once a minute per session.
  last_seen_at TEXT NOT NULL,
  -- Absolute expiry: created_at + 12 h, whatever the activity.
  expires_at TEXT NOT NULL,
  -- Sign-out.
  revoked_at TEXT
);
CREATE INDEX console_sessions_key ON console_sessions(key_id);
CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);
