-- The console's Audit log filters and their choices.

-- The filter's choices are the distinct actions and actors of the log, and a filtered page
-- is the newest rows of one action or actor: both are read from these indexes alone, not
-- by walking the table (whose rows carry before/after documents) once per page view.
-- (No created_at index: SQLite would prefer it for every `tenant_id = ?` read of the log,
-- the chain's own page reads included.)
CREATE INDEX audit_log_action ON audit_log(tenant_id, action, seq);
CREATE INDEX audit_log_actor ON audit_log(tenant_id, actor, seq);
