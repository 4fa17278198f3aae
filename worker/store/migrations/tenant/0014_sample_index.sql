-- The seeded sample of recorded requests (candidate replay at publish, the counterfactual)
-- is the window's traces with the smallest sample keys, key = (seq · 2654435769 + seed)
-- mod 2^32 (store/tenant/window-reads.ts). This index holds the seed-free part of the key,
-- (seq · 2654435769) mod 2^32, so the read walks it from the seed's offset and stops after
-- `limit` entries of the window, instead of hashing and sorting every trace of the window
-- (130 ms at 1 M traces, growing with the window: past the store deadline near 100 M).
-- created_at is in the index so the window bound is checked without reading the row.
-- The expression must stay spelled as in window-reads.ts for SQLite to use the index.
CREATE INDEX decision_traces_sample ON decision_traces(tenant_id, flow_key, (((seq & 2147483647) * 2654435769) & 4294967295), created_at);
