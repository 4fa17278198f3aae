-- The unpacked tail of a window in (UTC day, seq) order: the canonical order of the
-- dataset hash, which packed segments already store a day in. With this index the
-- window reader streams the tail in that order in bounded pages, computing the hash
-- in the same pass as the confusion tables, without sorting or buffering a day.
-- The implicit last index column is seq (the rowid). Queries must spell the
-- expression exactly `created_at / 86400000` for SQLite to use it.
CREATE INDEX decision_traces_unpacked_day ON decision_traces(tenant_id, flow_key, created_at / 86400000) WHERE segment_id IS NULL;
