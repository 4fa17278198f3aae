-- The class of a block or auto-pause and the playbook for it.

-- A remediation keeps the class it was opened with and a copy of the tenant's
-- playbook for that class at that moment (JSON array of steps), so a later edit
-- of the playbook does not rewrite what was recommended. NULL on records opened
-- before classes existed.
ALTER TABLE remediations ADD COLUMN failure_class TEXT
  CHECK (failure_class IS NULL OR failure_class IN ('insufficient_data', 'direct_use', 'label_gap', 'threshold', 'model'));
ALTER TABLE remediations ADD COLUMN playbook TEXT;

-- The tenant's playbooks (JSON {class: [step, …]}); NULL = the defaults for every class.
ALTER TABLE tenant_settings ADD COLUMN remediation_playbooks TEXT;
