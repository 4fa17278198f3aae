-- Sufficient statistics and Merkle leaf inputs per packed segment. A segment's traces never
-- change except by outcome deltas, so what the gate needs from them — per-group confusion
-- counts and calibration bins of each slice, and the segment's content hashes — is
-- computed once (at pack for the policy's slices, lazily and memoised for others) and
-- kept here; outcome deltas update the counts and the delta digest in their own commit.
-- Kept apart from trace_segments on purpose: its rows hold megabytes of BLOB columns, and
-- SQLite reaches a column stored after them only by walking their overflow pages.

CREATE TABLE segment_stats (
  tenant_id TEXT NOT NULL,
  segment_id TEXT PRIMARY KEY REFERENCES trace_segments(id),
  -- SHA-256 of the shared columns as packed (time, selected, outcome, score); NULL for
  -- segments packed before this migration (computed on first read and memoised).
  content_hash TEXT,
  -- JSON {attribute: SHA-256 of its packed column, or null when the segment has no column
  -- for it}; an attribute not listed is not known yet.
  column_hashes TEXT NOT NULL DEFAULT '{}',
  -- Outcome deltas recorded for the segment, and their digest: JSON array of 16 u32 lanes,
  -- the lane-wise sum mod 2^32 of each delta's SHA-512 (an order-independent set hash that
  -- a delta's commit updates in SQL). NULL = not known yet (recomputed from the deltas).
  delta_count INTEGER NOT NULL DEFAULT 0,
  delta_digest TEXT
);
INSERT INTO segment_stats (tenant_id, segment_id, delta_count)
  SELECT tenant_id, id, (SELECT count(*) FROM segment_outcome_deltas d WHERE d.segment_id = trace_segments.id) FROM trace_segments;

-- One slice's statistics over one segment: `attributes` is the slice's JSON attribute
-- list (["a"], or ["a","b"] for their intersection), `bins` the calibration bin count.
-- body: {"v": group labels (sorted), "c": 8 counts per group (n, selected, labeled,
-- positives, tp, fp, fn, tn), "k"/"p"/"s": per group × bin labeled scored traces,
-- positives, score sums in integer units}.
CREATE TABLE segment_summaries (
  tenant_id TEXT NOT NULL,
  segment_id TEXT NOT NULL REFERENCES trace_segments(id),
  attributes TEXT NOT NULL,
  bins INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (segment_id, attributes, bins)
);
