-- The override-expiry sweep marks each ended override (expired or revoked after
-- approval) once its flows have been re-evaluated, so every sweep handles
-- exactly the overrides that ended since the last one, and a sweep that died
-- half-way is simply finished by the next (re-evaluating is harmless: a pause
-- is guarded on the flow still being the one that was read).
CREATE TABLE override_sweeps (
  tenant_id TEXT NOT NULL,
  override_id TEXT NOT NULL,
  swept_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, override_id)
);
