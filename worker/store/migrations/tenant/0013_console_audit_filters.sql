-- The console's Audit log filters and their choices.

-- The filter's choices are the distinct actions and actors of the log, and a filtered page
-- is the newest rows of one action or actor: both are read from these indexes alone, not
-- by walking the table (whose rows carry before/after documents) once per page view.
CREATE INDEX audit_log_action ON audit_log(tenant_id, action, seq);
CREATE INDEX audit_log_actor ON audit_log(tenant_id, actor, seq);
-- A date range is a range of created_at.
CREATE INDEX audit_log_created ON audit_log(tenant_id, created_at);
