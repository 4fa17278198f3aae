/**
 * Migration 0011 (segment statistics) on a database that already holds packed segments:
 * a tenant database migrated up to 0010 gets segments written as the packer wrote them
 * then (columns, marked traces, outcome deltas; no hashes, no summaries), then 0011 adds
 * their stats rows with the existing delta counts. The gate's summarised path reads those
 * segments from their columns once (same tables as the row path, the `/3` hash equal to
 * the oracle's), memoises what it computed, and a later outcome updates the memoised
 * summary in its own commit.
 */
import { describe, expect, it } from "vitest";
import { createClient } from "@libsql/client";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { DAY_MS, encodeSegment } from "../../worker/engine/segment-codec.js";
import { createSummaryWindowReader } from "../../worker/engine/summary-window.js";
import { createRowWindowReader } from "../../worker/engine/window.js";
import { loadMigrationsFromDisk } from "../../worker/runtime/node-files.js";
import { migrate } from "../../worker/store/sql.js";
import { createTenantStore } from "../../worker/store/tenant-store.js";
import { oracleMerkleHash } from "../helpers/dataset-hash-oracle.js";
import { TRACE_BASE } from "../helpers/trace-gen.js";

const kernels = createReferenceKernels();
const blob = (a: Uint8Array | Uint16Array | Uint32Array | Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe("migration 0011 on existing segments", () => {
  it("adds stats rows; the first read computes and memoises; later outcomes update the memo", async () => {
    const client = createClient({ url: ":memory:", intMode: "number" });
    const all = loadMigrationsFromDisk().tenant;
    await migrate(client, all.filter((m) => m.version < 11));
    const store = createTenantStore(client, "t1");
    // Three days of traces; days 1 and 2 packed the old way (no stats, no summaries), with one late outcome each.
    const traces = Array.from({ length: 90 }, (_, i) => ({
      id: `t${i}`, flowKey: "f", version: 1, customerId: "c", attributes: { a: ["x", "y", "z"][i % 3]!, b: i % 4 === 0 ? true : i % 2 },
      selected: i % 3 === 1, score: (i % 10) / 10, offers: null, converted: i % 5 === 0 ? null : i % 2 === 0, source: "bulk" as const,
      createdAt: TRACE_BASE + Math.floor(i / 30) * DAY_MS + (i % 30) * 60_000,
    }));
    await store.traces.insert(traces);
    for (const day of [0, 1]) {
      const rs = await client.execute({ sql: "SELECT seq, created_at, attributes, selected, converted, score FROM decision_traces WHERE created_at / 86400000 = ? ORDER BY seq", args: [TRACE_BASE / DAY_MS + day] });
      const rows = rs.rows.map((r) => ({ seq: Number(r.seq), createdAt: Number(r.created_at), attributes: JSON.parse(String(r.attributes)), selected: Number(r.selected), converted: r.converted === null ? null : Number(r.converted), score: r.score === null ? null : Number(r.score) }));
      const seg = encodeSegment(TRACE_BASE / DAY_MS + day, rows);
      const id = `old-${day}`;
      await client.batch([
        { sql: `INSERT INTO trace_segments (tenant_id, id, flow_key, day, row_count, created_min, created_max, packed_at, unpacked_attributes, time_col, selected_col, outcome_col, score_col)
                VALUES ('t1', ?, 'f', ?, ?, ?, ?, '2026-01-01', '[]', ?, ?, ?, ?)`, args: [id, seg.day, seg.rowCount, seg.createdMin, seg.createdMax, blob(seg.time), blob(seg.selected), blob(seg.outcome), blob(seg.score)] },
        ...seg.columns.map((c) => ({ sql: "INSERT INTO segment_columns (tenant_id, segment_id, attribute, dict, codes) VALUES ('t1', ?, ?, ?, ?)", args: [id, c.attribute, JSON.stringify(c.dict), blob(c.codes)] })),
        { sql: "UPDATE decision_traces SET segment_id = ?, segment_pos = p.pos FROM (SELECT seq, row_number() OVER (ORDER BY seq) - 1 AS pos FROM decision_traces WHERE created_at / 86400000 = ?) AS p WHERE decision_traces.seq = p.seq", args: [id, seg.day] },
      ], "write");
      // A late outcome the way the old store recorded it: the trace and a delta.
      const late = traces.find((t) => t.converted === null && Math.floor((t.createdAt - TRACE_BASE) / DAY_MS) === day)!;
      await client.batch([
        { sql: "UPDATE decision_traces SET converted = 1, outcome_at = '2026-01-02' WHERE id = ?", args: [late.id] },
        { sql: "INSERT INTO segment_outcome_deltas (tenant_id, segment_id, pos, outcome) SELECT tenant_id, segment_id, segment_pos, 1 FROM decision_traces WHERE id = ?", args: [late.id] },
      ], "write");
    }
    await migrate(client, all);
    const stats = await client.execute("SELECT segment_id, content_hash, column_hashes, delta_count, delta_digest FROM segment_stats ORDER BY segment_id");
    expect(stats.rows.map((r) => [r.segment_id, r.content_hash, r.column_hashes, r.delta_count, r.delta_digest])).toEqual([["old-0", null, "{}", 1, null], ["old-1", null, "{}", 1, null]]);

    const from = new Date(TRACE_BASE);
    const to = new Date(TRACE_BASE + 3 * DAY_MS);
    const row = createRowWindowReader(store.window, kernels);
    const sum = createSummaryWindowReader(store.window, kernels);
    const check = async () => {
      const expected = await row.sliceTables("f", ["a", "b"], from, to);
      const got = await sum.readWindow("f", ["a", "b"], from, to);
      expect(got.slices).toEqual(expected);
      expect(got.datasetHash).toBe((await oracleMerkleHash(client, { tenantId: "t1", flowKey: "f", attributes: ["a", "b"], fromMs: from.getTime(), toMs: to.getTime() })).hash);
    };
    await check();
    // Memoised: hashes, digests and the three slice summaries of each old segment.
    const after = await client.execute("SELECT content_hash IS NOT NULL AS h, column_hashes, delta_digest IS NOT NULL AS d FROM segment_stats ORDER BY segment_id");
    for (const r of after.rows) expect([r.h, Object.keys(JSON.parse(String(r.column_hashes))).sort(), r.d]).toEqual([1, ["a", "b"], 1]);
    expect((await client.execute("SELECT count(*) AS n FROM segment_summaries")).rows[0]!.n).toBe(6);
    // A later outcome for a packed trace goes into the memoised summaries and digest.
    const open = traces.find((t) => t.converted === null && t.createdAt < TRACE_BASE + DAY_MS && t.id !== "t0")!;
    expect(await store.traces.recordOutcome(open.id, false, "2026-01-03")).toBe("recorded");
    expect((await client.execute("SELECT delta_count FROM segment_stats WHERE segment_id = 'old-0'")).rows[0]!.delta_count).toBe(2);
    await check();
    client.close();
  });
});
