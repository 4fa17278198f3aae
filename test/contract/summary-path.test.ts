/**
 * Contract: the summarised path (stored per-segment summaries + the segments cut by the
 * window's bounds + the unpacked tail) gives exactly the row path's and the columnar
 * path's slice tables, and the same evaluation through the one evaluation path — on
 * random data, random late outcomes (before and after the summaries exist), back-fill
 * into packed days and random policies (attributes, bins, thresholds, bootstrap), with
 * summaries computed at pack for the policy's slices and lazily for any other. Its
 * `fairgate-dataset/3` hash equals an independent oracle's, cold (memoising) and warm.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FairnessPolicy, fairnessPolicySchema } from "../../worker/domain/policy.js";
import { createColumnarWindowReader } from "../../worker/engine/columnar-window.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import { encodeSummary } from "../../worker/domain/summary-codec.js";
import { createSummaryWindowReader } from "../../worker/engine/summary-window.js";
import { createRowWindowReader, type WindowReader } from "../../worker/engine/window.js";
import { evaluateFlow } from "../../worker/services/evaluate.js";
import { packTraces } from "../../worker/services/pack.js";
import type { TenantStore } from "../../worker/store/tenant-store.js";
import { oracleMerkleHash } from "../helpers/dataset-hash-oracle.js";
import { createTestTenantStore } from "../helpers/tenant-db.js";
import { TRACE_BASE, traceArbitrary, traceFromGen } from "../helpers/trace-gen.js";
import { racingStore } from "../helpers/pack-race.js";

const kernels = createReferenceKernels();
const traceArb = traceArbitrary({ a: ["x", "y", "z", null, undefined], b: [0, 1, 2, true, "1", undefined] });

const policyArb = fc.record({
  attributes: fc.constantFrom(["a"], ["b"], ["a", "b"], ["b", "a"]),
  bins: fc.integer({ min: 2, max: 12 }),
  dpg: fc.double({ min: 0.01, max: 0.9, noNaN: true }),
  eog: fc.option(fc.double({ min: 0.01, max: 0.9, noNaN: true }), { nil: undefined }),
  replicates: fc.constantFrom(0, 200),
  windowDays: fc.integer({ min: 1, max: 10 }),
  minSampleSize: fc.integer({ min: 1, max: 40 }),
});
type PolicyGen = typeof policyArb extends fc.Arbitrary<infer U> ? U : never;

function policyOf(p: PolicyGen): FairnessPolicy {
  return fairnessPolicySchema.parse({
    enabled: true, sensitiveAttribute: p.attributes[0], sensitiveAttributes: p.attributes, calibrationBins: p.bins,
    thresholds: { demographicParityGap: p.dpg, ...(p.eog === undefined ? {} : { equalOpportunityGap: p.eog }) },
    minSampleSize: p.minSampleSize, minGroupSize: 1, windowDays: p.windowDays,
    ...(p.replicates ? { decisionRule: "confident", intervalMethod: "bootstrap", bootstrapReplicates: p.replicates } : {}),
  });
}

async function setUp(policy: FairnessPolicy, now: number) {
  const db = await createTestTenantStore();
  const t = new Date(now).toISOString();
  await db.store.write([
    db.store.governance.putPolicyStmt(policy, "test", t),
    ...db.store.flows.createStmts(
      { id: "flow-1", key: "f", name: "f", status: "active", latestVersion: 1, activeVersion: 1, revision: 1, createdAt: t, updatedAt: t },
      { offers: [{ id: "o", eligibility: [], model: { intercept: 0, numeric: {}, categorical: {} }, minPropensity: 0.5 }], maxOffers: 1 },
      "test",
    ),
  ]);
  return db;
}

/** The evaluation through `reader`, with ids and clock fixed so two paths can be compared whole. */
async function evaluation(store: TenantStore, now: number, reader: (s: TenantStore) => WindowReader) {
  let n = 0;
  const deps = { kernels, clock: () => new Date(now), newId: () => `id-${n++}`, windowReader: reader };
  const flow = (await store.flows.getByKey("f"))!;
  const r = await evaluateFlow(deps, store, flow, 1, "publish");
  return r.evaluation;
}

async function compareAll(client: Awaited<ReturnType<typeof createTestTenantStore>>["client"], store: TenantStore, now: number) {
  const row = createRowWindowReader(store.window, kernels, { pageSize: 7 });
  const col = createColumnarWindowReader(store.window, kernels);
  // Counts the segments whose columns a read loads: a warm read loads only those the window cuts.
  let loaded = 0;
  // And keeps every BLOB the store handed the reader: once a read is done it must have handed
  // each one back (engine/release-blobs) — while its tables still equal the row path's.
  let handed: unknown[] = [];
  const counted = {
    ...store.window,
    loadSegmentColumns: async (m: Parameters<TenantStore["window"]["loadSegmentColumns"]>[0], a: readonly string[]) => {
      loaded++;
      const d = await store.window.loadSegmentColumns(m, a);
      handed.push(d.time, d.selected, d.outcome, d.score, ...d.columns.map((c) => c?.codes));
      return d;
    },
    windowStatistics: async (...x: Parameters<TenantStore["window"]["windowStatistics"]>) => {
      const r = await store.window.windowStatistics(...x);
      handed.push(...r.summaries.map((b) => b.body));
      return r;
    },
  };
  const released = () => {
    const blobs = handed.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    handed = [];
    return blobs.filter((b) => b.byteLength > 0).length;
  };
  const sum = createSummaryWindowReader(counted, kernels, { pageSize: 5 });
  for (const attributes of [["a"], ["b", "a"], ["a", "b"], ["b", "a", "hc"]])
    for (const days of [1, 3, 7, 10])
      for (const bins of [3, 10]) {
        const from = new Date(now - days * DAY_MS);
        const to = new Date(now);
        const o = { calibrationBins: bins };
        const expected = await row.sliceTables("f", attributes, from, to, o);
        expect(await col.sliceTables("f", attributes, from, to, o)).toEqual(expected);
        // Cold (computes and memoises what is missing), then warm (reads only what is stored).
        handed = [];
        const cold = await sum.readWindow("f", attributes, from, to, o);
        expect(released()).toBe(0);
        loaded = 0;
        const warm = await sum.readWindow("f", attributes, from, to, o);
        expect(released()).toBe(0);
        const cut = (await store.window.segmentList("f", from.getTime(), to.getTime())).segments.filter(
          (m) => m.createdMin < from.getTime() || m.createdMax >= to.getTime() || attributes.some((a) => m.unpackedAttributes.includes(a)),
        );
        expect(loaded).toBe(cut.length);
        expect(cold.slices).toEqual(expected);
        expect(warm.slices).toEqual(expected);
        const oracle = await oracleMerkleHash(client, { tenantId: "t1", flowKey: "f", attributes, fromMs: from.getTime(), toMs: to.getTime() });
        expect(cold.datasetHash).toBe(oracle.hash);
        expect(warm.datasetHash).toBe(oracle.hash);
      }
  const evRow = await evaluation(store, now, (s) => createRowWindowReader(s.window, kernels));
  expect(await evaluation(store, now, (s) => createColumnarWindowReader(s.window, kernels))).toEqual(evRow);
  expect(await evaluation(store, now, (s) => createSummaryWindowReader(s.window, kernels))).toEqual(evRow);
  return evRow;
}

describe("summarised path ≡ columnar path ≡ row path", () => {
  it("on random data, late outcomes, back-fill and policies", async () => {
    await fc.assert(
      fc.asyncProperty(
        policyArb,
        fc.array(traceArb, { maxLength: 100 }),
        fc.array(traceArb, { maxLength: 25 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 40 }),
        fc.integer({ min: 0, max: DAY_MS - 1 }),
        async (p, initial, backfill, outcomes, nowMs) => {
          const now = TRACE_BASE + 9 * DAY_MS + nowMs;
          const { client, store } = await setUp(policyOf(p), now);
          const deps = { clock: () => new Date(now), newId: () => crypto.randomUUID() };
          const first = initial.map(traceFromGen);
          await store.traces.insert(first.map((t, i) => (i % 7 === 3 ? { ...t, attributes: { ...t.attributes, hc: `h${i % 3}` } } : t)));
          await packTraces(deps, store, { maxRowsPerSegment: 16 });
          // Pack stored the policy's slices for every segment.
          const stored = await client.execute("SELECT count(DISTINCT segment_id) AS s, count(*) AS n FROM segment_summaries");
          const segs = await client.execute("SELECT count(*) AS n FROM trace_segments");
          expect(stored.rows[0]!.s).toBe(segs.rows[0]!.n);
          await compareAll(client, store, now);
          // Late outcomes: for packed traces they update the stored summaries in their own commit.
          const half = Math.floor(outcomes.length / 2);
          for (const [i, conv] of outcomes.slice(0, half)) if (first.length) await store.traces.recordOutcome(first[i % first.length]!.id, conv, new Date(now).toISOString());
          await compareAll(client, store, now);
          await store.traces.insert(backfill.map(traceFromGen));
          for (const [i, conv] of outcomes.slice(half)) if (first.length) await store.traces.recordOutcome(first[i % first.length]!.id, conv, new Date(now).toISOString());
          await compareAll(client, store, now);
          await packTraces(deps, store, { maxRowsPerSegment: 16 });
          await compareAll(client, store, now);
          client.close();
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);

  it("with the current day packed as it goes (intraday, traces arriving out of time order) and complete days packed anew in fewer segments", async () => {
    await fc.assert(
      fc.asyncProperty(
        policyArb,
        fc.array(fc.tuple(traceArb, fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 })), { minLength: 40, maxLength: 120 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 20 }),
        fc.array(fc.record({ at: fc.integer({ min: 1, max: 9 * 3_600_000 }), lag: fc.integer({ min: 0, max: 3_600_000 }), minRows: fc.integer({ min: 1, max: 6 }) }), { minLength: 1, maxLength: 4 }),
        async (p, gens, outcomes, packs) => {
          // "Today" is day 9; each trace is written at its own time, with a created_at up to 3 h
          // off it (a late writer, a bulk load), so seq order is not time order.
          const today = TRACE_BASE + 9 * DAY_MS;
          const { client, store } = await setUp(policyOf(p), today + 10 * 3_600_000);
          const traces = gens.map(([g, skew]) => {
            const t = traceFromGen({ ...g, day: 9, ms: 0 });
            return { ...t, createdAt: Math.max(today, Math.min(today + 10 * 3_600_000 - 1, today + g.ms % (9 * 3_600_000) + skew)), writtenAt: today + (g.ms % (9 * 3_600_000)) };
          });
          traces.sort((x, y) => x.writtenAt - y.writtenAt);
          const older = gens.slice(0, 30).map(([g]) => traceFromGen({ ...g, day: g.day % 9 }));
          await store.traces.insert(older);
          for (const pk of [...packs].sort((x, y) => x.at - y.at)) {
            const due = traces.filter((t) => t.writtenAt < today + pk.at && !("done" in t));
            if (due.length) await store.traces.insert(due.map(({ writtenAt: _, ...t }) => t));
            for (const t of due) Object.assign(t, { done: true });
            const deps = { clock: () => new Date(today + pk.at), newId: () => crypto.randomUUID() };
            await packTraces(deps, store, { maxRowsPerSegment: 16, intraday: { lagMs: pk.lag, minRows: pk.minRows } });
            // A day's unpacked traces all come after its packed ones in seq order.
            const mixed = await client.execute(`SELECT count(*) AS n FROM decision_traces u WHERE u.segment_id IS NULL AND EXISTS (
              SELECT 1 FROM decision_traces k WHERE k.segment_id IS NOT NULL AND k.flow_key = u.flow_key AND k.created_at / 86400000 = u.created_at / 86400000 AND k.seq > u.seq)`);
            expect(mixed.rows[0]!.n).toBe(0);
            await compareAll(client, store, today + pk.at);
          }
          const rest = traces.filter((t) => !("done" in t)).map(({ writtenAt: _, ...t }) => t);
          if (rest.length) await store.traces.insert(rest.map((t) => { const { done: _, ...r } = t as typeof t & { done?: true }; return r; }));
          const inserted = (await client.execute("SELECT id FROM decision_traces ORDER BY seq")).rows.map((r) => String(r.id));
          for (const [i, conv] of outcomes) if (inserted.length) await store.traces.recordOutcome(inserted[i % inserted.length]!, conv, new Date(today).toISOString());
          // The next day: day 9 is complete, packed in pieces; compaction merges consecutive
          // segments until no two of a day fit one 16-row segment together.
          const tomorrow = today + DAY_MS + 60_000;
          const before = await evaluation(store, tomorrow, (s) => createRowWindowReader(s.window, kernels));
          await packTraces({ clock: () => new Date(tomorrow), newId: () => crypto.randomUUID() }, store, { maxRowsPerSegment: 16 });
          expect(await store.segments.mergeableDays(tomorrow / DAY_MS, 16, 100)).toEqual([]);
          const days = await client.execute("SELECT day, count(*) AS n, sum(row_count) AS rows FROM trace_segments GROUP BY day");
          for (const d of days.rows) expect(Number(d.n)).toBeLessThanOrEqual(2 * Math.ceil(Number(d.rows) / 16));
          expect(await compareAll(client, store, tomorrow)).toEqual(before);
          client.close();
        },
      ),
      { numRuns: 8 },
    );
  }, 180_000);

  it("a compaction merges a day's consecutive segments in one commit; a late outcome or an erasure meanwhile aborts it, nothing lost", async () => {
    const now = TRACE_BASE + 9 * DAY_MS + 3_600_000;
    const { client, store } = await setUp(policyOf({ attributes: ["a", "b"], bins: 4, dpg: 0.5, eog: undefined, replicates: 0, windowDays: 10, minSampleSize: 1 }), now);
    const deps = { clock: () => new Date(now), newId: () => crypto.randomUUID() };
    const traces = fc.sample(traceArb, { seed: 5, numRuns: 60 }).map(traceFromGen).map((t, i) => ({ ...t, customerKey: i % 9 === 0 ? "k" : null }));
    await store.traces.insert(traces);
    await store.protectedAttributes.upsert([{ customerKey: "k", attributes: { b: "secret" } }], new Date(now).toISOString());
    await packTraces(deps, store, { maxRowsPerSegment: 4 });
    const segments = async () => Number((await client.execute("SELECT count(*) AS n FROM trace_segments")).rows[0]!.n);
    const before = await compareAll(client, store, now);
    const pieces = await segments();
    // A late outcome for one of the merged traces, recorded while the merge's rows are encoded
    // (stamped before its snapshot, so not made a delta): that merge aborts, the next one has it.
    const racing = racingStore(
      store,
      "segmentRows",
      async (rows) => {
        const unlabelled = rows.find((r) => r.converted === null)!;
        const id = String((await client.execute({ sql: "SELECT id FROM decision_traces WHERE seq = ?", args: [unlabelled.seq] })).rows[0]!.id);
        await store.traces.recordOutcome(id, true, new Date(now - 60_000).toISOString());
      },
      (rows) => rows.some((r) => r.converted === null),
    );
    const raced = await packTraces(deps, racing.store, { maxRowsPerSegment: 16 });
    expect(raced.conflicts).toBe(1);
    const withOutcome = await compareAll(client, store, now);
    expect(withOutcome).not.toEqual(before);
    expect((await packTraces(deps, store, { maxRowsPerSegment: 16 })).compactedDays).toBeGreaterThan(0);
    expect(await segments()).toBeLessThan(pieces);
    expect(await compareAll(client, store, now)).toEqual(withOutcome);
    // An erasure that unpacks the person's days commits first: the merge aborts, the erased values stay out.
    await store.traces.insert(traces.slice(0, 12).map((t, i) => ({ ...t, id: `again-${i}` })));
    await packTraces(deps, store, { maxRowsPerSegment: 4 });
    const erasing = racingStore(store, "segmentRows", () => store.write(store.protectedAttributes.eraseStmts("k")), () => true);
    await packTraces(deps, erasing.store, { maxRowsPerSegment: 16 });
    expect(erasing.raced()).toBe(true);
    const stored = await client.execute("SELECT dict FROM segment_columns WHERE attribute = 'b'");
    for (const r of stored.rows) expect(JSON.parse(String(r.dict))).not.toContain("secret");
    await compareAll(client, store, now);
    client.close();
  });

  it("stored digests that are not well formed read as missing (recomputed: same hash); a segment's packing layout that is not, fails closed", async () => {
    const now = TRACE_BASE + 9 * DAY_MS + 3_600_000;
    const { client, store } = await setUp(policyOf({ attributes: ["a", "b"], bins: 4, dpg: 0.5, eog: undefined, replicates: 0, windowDays: 10, minSampleSize: 1 }), now);
    await store.traces.insert(fc.sample(traceArb, { seed: 9, numRuns: 60 }).map(traceFromGen));
    await packTraces({ clock: () => new Date(now), newId: () => crypto.randomUUID() }, store, { maxRowsPerSegment: 16 });
    const from = new Date(now - 10 * DAY_MS);
    const to = new Date(now);
    const reader = createSummaryWindowReader(store.window, kernels);
    const before = await reader.readWindow("f", ["a", "b"], from, to, { calibrationBins: 4 });
    const oracle = await oracleMerkleHash(client, { tenantId: "t1", flowKey: "f", attributes: ["a", "b"], fromMs: from.getTime(), toMs: to.getTime() });
    expect(before.datasetHash).toBe(oracle.hash);
    const ids = (await client.execute("SELECT segment_id FROM segment_stats ORDER BY segment_id")).rows.map((r) => String(r.segment_id));
    expect(ids.length).toBeGreaterThanOrEqual(3);
    // Upper-case hex, a short digest, a digest with 15 lanes: each hashed from the columns instead.
    await client.execute({ sql: "UPDATE segment_stats SET content_hash = upper(content_hash) WHERE segment_id = ?", args: [ids[0]!] });
    await client.execute({ sql: `UPDATE segment_stats SET column_hashes = '{"a":"1z"}' WHERE segment_id = ?`, args: [ids[1]!] });
    await client.execute({ sql: "UPDATE segment_stats SET delta_digest = '[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]' WHERE segment_id = ?", args: [ids[2]!] });
    const after = await reader.readWindow("f", ["a", "b"], from, to, { calibrationBins: 4 });
    expect(after.datasetHash).toBe(oracle.hash);
    expect(after.slices).toEqual(before.slices);
    // Lanes out of u32 range or not integers, hashes that are not an object of digests.
    const lanes = (x: string) => `[${[x, ...Array(15).fill("0")].join(",")}]`;
    for (const [i, sql, v] of [
      [0, "delta_digest", lanes("4294967296")], [1, "delta_digest", lanes("-1")], [2, "delta_digest", lanes("1.5")],
      [0, "column_hashes", "[]"], [1, "column_hashes", '"a"'], [2, "column_hashes", '{"a":7}'],
    ] as const) {
      await client.execute({ sql: `UPDATE segment_stats SET ${sql} = ? WHERE segment_id = ?`, args: [v, ids[i]!] });
      const again = await reader.readWindow("f", ["a", "b"], from, to, { calibrationBins: 4 });
      expect(again.datasetHash).toBe(oracle.hash);
      expect(again.slices).toEqual(before.slices);
    }
    await client.execute({ sql: "UPDATE trace_segments SET unpacked_attributes = '[1]' WHERE id = ?", args: [ids[1]!] });
    await expect(reader.readWindow("f", ["a", "b"], from, to, { calibrationBins: 4 })).rejects.toMatchObject({ status: 503, code: "stored_record_invalid" });
    await client.execute({ sql: "UPDATE trace_segments SET unpacked_attributes = '[]' WHERE id = ?", args: [ids[1]!] });
    await client.execute({ sql: "UPDATE trace_segments SET unpacked_attributes = '{' WHERE id = ?", args: [ids[0]!] });
    await expect(reader.readWindow("f", ["a", "b"], from, to, { calibrationBins: 4 })).rejects.toMatchObject({ status: 503, code: "stored_record_invalid" });
    client.close();
  });

  it("a stored summary that is not one (not JSON, lengths off, a negative count) is not trusted: the segment is counted from its columns", async () => {
    const now = TRACE_BASE + 9 * DAY_MS + 3_600_000;
    const { client, store } = await setUp(policyOf({ attributes: ["a", "b"], bins: 4, dpg: 0.5, eog: undefined, replicates: 0, windowDays: 10, minSampleSize: 1 }), now);
    await store.traces.insert(fc.sample(traceArb, { seed: 7, numRuns: 80 }).map(traceFromGen));
    await packTraces({ clock: () => new Date(now), newId: () => crypto.randomUUID() }, store, { maxRowsPerSegment: 16 });
    const from = new Date(now - 10 * DAY_MS);
    const to = new Date(now);
    const o = { calibrationBins: 4 };
    const expected = await createRowWindowReader(store.window, kernels).sliceTables("f", ["a", "b"], from, to, o);
    const ids = (await client.execute("SELECT DISTINCT segment_id FROM segment_summaries ORDER BY segment_id")).rows.map((r) => String(r.segment_id));
    expect(ids.length).toBeGreaterThanOrEqual(5);
    const one = { v: ["x"], c: [1, 0, 0, 0, 0, 0, 0, 0], k: [0, 0, 0], p: [0, 0, 0], s: [0, 0, 0] };
    const bad = [
      "{not json",
      JSON.stringify({ v: ["x"], c: [1, 2], k: [], p: [], s: [] }),
      JSON.stringify({ v: ["x"], c: [-1, 0, 0, 0, 0, 0, 0, 0], k: [0, 0, 0, 0], p: [0, 0, 0, 0], s: [0, 0, 0, 0] }),
      encodeSummary(one, 3), // well formed, but 3 bins in a 4-bin row
      encodeSummary({ ...one, k: [0, 0, 0, 0], p: [0, 0, 0, 0], s: [0, 0, 0, 0] }, 4).subarray(0, 40), // truncated
    ];
    for (let i = 0; i < bad.length; i++) await client.execute({ sql: "UPDATE segment_summaries SET body = ? WHERE segment_id = ?", args: [bad[i]!, ids[i]!] });
    const read = await createSummaryWindowReader(store.window, kernels).readWindow("f", ["a", "b"], from, to, o);
    expect(read.slices).toEqual(expected);
    client.close();
  });
});
