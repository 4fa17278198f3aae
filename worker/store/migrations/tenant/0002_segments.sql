-- Columnar trace segments. Older traces are packed per (flow, UTC day) into BLOB
-- columns; each packed trace row records its segment and position so it is
-- counted exactly once (segment or tail, never both). Outcomes that arrive for
-- packed traces are kept as small deltas that the reader merges.
ALTER TABLE decision_traces ADD COLUMN segment_id TEXT;
ALTER TABLE decision_traces ADD COLUMN segment_pos INTEGER;
CREATE INDEX decision_traces_unpacked ON decision_traces(tenant_id, flow_key, created_at) WHERE segment_id IS NULL;
CREATE INDEX decision_traces_segment ON decision_traces(segment_id, segment_pos) WHERE segment_id IS NOT NULL;

CREATE TABLE trace_segments (
  tenant_id TEXT NOT NULL,
  id TEXT PRIMARY KEY,
  flow_key TEXT NOT NULL,
  day INTEGER NOT NULL,
  row_count INTEGER NOT NULL,
  created_min INTEGER NOT NULL,
  created_max INTEGER NOT NULL,
  packed_at TEXT NOT NULL,
  -- JSON array of attribute names present in the segment but too high-cardinality to pack.
  unpacked_attributes TEXT NOT NULL,
  -- Little-endian columns, one entry per trace in seq order.
  time_col BLOB NOT NULL,      -- u32 milliseconds since the start of `day`
  selected_col BLOB NOT NULL,  -- u8 0/1
  outcome_col BLOB NOT NULL,   -- u8 0/1, 255 = unknown
  score_col BLOB NOT NULL      -- f32, NaN = none
);
CREATE INDEX trace_segments_window ON trace_segments(tenant_id, flow_key, day);

-- One dictionary-encoded column per packed attribute: codes index `dict`;
-- code = length(dict) means the trace does not carry the attribute.
CREATE TABLE segment_columns (
  tenant_id TEXT NOT NULL,
  segment_id TEXT NOT NULL REFERENCES trace_segments(id),
  attribute TEXT NOT NULL,
  dict TEXT NOT NULL,
  codes BLOB NOT NULL,         -- u16
  PRIMARY KEY (segment_id, attribute)
);

CREATE TABLE segment_outcome_deltas (
  tenant_id TEXT NOT NULL,
  segment_id TEXT NOT NULL,
  pos INTEGER NOT NULL,
  outcome INTEGER NOT NULL CHECK (outcome IN (0, 1)),
  PRIMARY KEY (segment_id, pos)
);
