-- A counter per flow that every change of what is packed bumps in the same commit: a pack,
-- a compaction merging segments, an erasure that unpacks days, retention deleting segments.
-- A window read takes it with the segment list (one statement) and again after its last
-- read: equal, no packing change fell between its reads, so the segments it summed and
-- the tail rows it scanned are one state; different, it reads again (engine/consistent-read).
CREATE TABLE packing_generations (
  tenant_id TEXT NOT NULL,
  flow_key TEXT NOT NULL,
  generation INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, flow_key)
) WITHOUT ROWID;
