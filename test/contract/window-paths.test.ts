/**
 * Contract: the columnar path (segments + unpacked tail + outcome deltas) gives
 * exactly the row path's confusion table on the same data — for any window,
 * attribute, late outcome, back-fill into packed days and high-cardinality fallback.
 * The same holds for several attributes read in one pass: each attribute's table,
 * their intersection, the calibration bins (scores) of every slice, and the dataset hash.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createColumnarWindowReader } from "../../worker/engine/columnar-window.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { loadWasmKernelsFromFile } from "../../worker/engine/kernels/wasm-node.js";
import { DAY_MS, MAX_PACKED_DICTIONARY } from "../../worker/engine/segment-codec.js";
import { createRowWindowReader } from "../../worker/engine/window.js";
import { packTraces } from "../../worker/services/pack.js";
import { createTestTenantStore } from "../helpers/tenant-db.js";
import { TRACE_BASE, traceArbitrary, traceFromGen } from "../helpers/trace-gen.js";

const BASE = TRACE_BASE;
const kernels = createReferenceKernels();

const traceArb = traceArbitrary({ a: ["x", "y", "z", null, undefined], b: [0, 1, 2, true, false, "1", undefined] });
const trace = traceFromGen;

async function compare(store: Awaited<ReturnType<typeof createTestTenantStore>>["store"], now: number, k = kernels) {
  const row = createRowWindowReader(store.window, k, { pageSize: 7 });
  const col = createColumnarWindowReader(store.window, k);
  for (const attribute of ["a", "b", "hc"])
    for (const days of [1, 3, 7, 10]) {
      const from = new Date(now - days * DAY_MS);
      const to = new Date(now);
      expect(await col.confusionTable("f", attribute, from, to)).toEqual(await row.confusionTable("f", attribute, from, to));
    }
  // Several attributes in one pass: each alone, their intersection, calibration included.
  for (const attributes of [["a", "b"], ["b", "a", "hc"]])
    for (const days of [1, 7, 10]) {
      const from = new Date(now - days * DAY_MS);
      const to = new Date(now);
      const c = await col.sliceTables("f", attributes, from, to, { calibrationBins: 5 });
      expect(c).toEqual(await row.sliceTables("f", attributes, from, to, { calibrationBins: 5 }));
      expect(c.map((s) => s.name)).toEqual([...attributes, attributes.join("|")]);
      // Each single-attribute slice equals that attribute read alone.
      for (const [i, a] of attributes.entries()) expect(c[i]!.table).toEqual(await row.confusionTable("f", a, from, to));
      // The dataset hash from the same pass agrees too (segment row fallbacks included); see dataset-hash.test.ts.
      const cw = await col.readWindow("f", attributes, from, to, { calibrationBins: 5 });
      const rw = await row.readWindow("f", attributes, from, to, { calibrationBins: 5 });
      expect(cw.slices).toEqual(c);
      expect({ hash: cw.datasetHash, rows: cw.rows }).toEqual({ hash: rw.datasetHash, rows: rw.rows });
    }
}

describe("columnar path ≡ row path", () => {
  it("on random data with packing, late outcomes and back-fill", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(traceArb, { maxLength: 120 }),
        fc.array(traceArb, { maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 40 }),
        fc.integer({ min: 0, max: DAY_MS - 1 }),
        async (initial, backfill, outcomes, nowMs) => {
          const { client, store } = await createTestTenantStore();
          const now = BASE + 9 * DAY_MS + nowMs;
          const deps = { clock: () => new Date(now), newId: () => crypto.randomUUID() };
          const first = initial.map(trace);
          await store.traces.insert(first);
          await packTraces(deps, store, { maxRowsPerSegment: 16 });
          await compare(store, now);
          // Late outcomes (some for packed traces), then back-fill into already-packed days.
          for (const [i, conv] of outcomes) if (first.length) await store.traces.recordOutcome(first[i % first.length]!.id, conv, new Date(now).toISOString());
          await store.traces.insert(backfill.map(trace));
          await compare(store, now);
          await packTraces(deps, store, { maxRowsPerSegment: 16 });
          await compare(store, now);
          // Every trace is in at most one segment, and segments hold exactly the marked traces.
          const seg = await client.execute("SELECT coalesce(sum(row_count), 0) AS n FROM trace_segments");
          const marked = await client.execute("SELECT count(*) AS n FROM decision_traces WHERE segment_id IS NOT NULL");
          expect(seg.rows[0]!.n).toBe(marked.rows[0]!.n);
          client.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it("falls back to rows for an attribute too diverse to pack, with both kernel implementations", async () => {
    const { client, store } = await createTestTenantStore();
    const n = MAX_PACKED_DICTIONARY + 50;
    await store.traces.insert(
      Array.from({ length: n }, (_, i) => ({
        ...trace({ day: 2, ms: i * 1000, a: "x", b: 1, selected: i % 3 === 0, converted: i % 2 === 0, score: (i % 17) / 16 }),
        attributes: { a: i % 2 ? "x" : "y", hc: `v${i}` },
      })),
    );
    const now = BASE + 9 * DAY_MS;
    const r = await packTraces({ clock: () => new Date(now), newId: () => crypto.randomUUID() }, store);
    expect(r.traces).toBe(n);
    const unpacked = await client.execute("SELECT unpacked_attributes FROM trace_segments");
    expect(JSON.parse(String(unpacked.rows[0]!.unpacked_attributes))).toEqual(["hc"]);
    await compare(store, now);
    await compare(store, now, await loadWasmKernelsFromFile());
    client.close();
  });
});
