/**
 * Contract: the dataset hash computed by the window readers is a function of the window's
 * usable traces alone. The row path, the columnar path (segments + unpacked tail + outcome
 * deltas) and an independent naive oracle (test/helpers/dataset-hash-oracle.ts) agree on
 * random data in every packing state — before packing, partly packed, several segments a
 * day, late outcomes as deltas, back-fill into packed days, windows cutting a day, chunk
 * boundaries anywhere. The hash changes when an evaluated row's outcome, selection or group
 * changes, and not when a row outside the window or without the attributes is added.
 * A publish stores (and chains) exactly the reader's hash.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createColumnarWindowReader } from "../../worker/engine/columnar-window.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import { createRowWindowReader } from "../../worker/engine/window.js";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { packTraces } from "../../worker/services/pack.js";
import { GateBlockedError, publishFlow } from "../../worker/services/publish.js";
import { TAIL_PAGE_JSON_SQL, TAIL_PAGE_SQL } from "../../worker/store/tenant/tail-page.js";
import type { TraceRecord } from "../../worker/store/tenant/traces.js";
import type { TenantStore } from "../../worker/store/tenant-store.js";
import { oracleDatasetHash } from "../helpers/dataset-hash-oracle.js";
import { createTestTenantStore } from "../helpers/tenant-db.js";
import { TRACE_BASE, traceArbitrary, traceFromGen } from "../helpers/trace-gen.js";

const BASE = TRACE_BASE;
const kernels = createReferenceKernels();

const traceArb = traceArbitrary({ a: ["x", "y", "z|w", "é", "", null, undefined], b: [0, 1, true, "1", undefined] });
const trace = traceFromGen;

type Db = Awaited<ReturnType<typeof createTestTenantStore>>;
const pack = (store: TenantStore, clockMs: number, maxRowsPerSegment = 5) =>
  packTraces({ clock: () => new Date(clockMs), newId: () => crypto.randomUUID() }, store, { maxRowsPerSegment });

/** Row path, columnar path and oracle agree for several attribute sets and windows; returns the hashes. */
async function agree({ client, store }: Db, now: number, chunkRows?: number): Promise<string[]> {
  const row = createRowWindowReader(store.window, kernels, { pageSize: 7 });
  const col = createColumnarWindowReader(store.window, kernels, { pageSize: 5 });
  const out: string[] = [];
  for (const attributes of [["a"], ["b"], ["a", "b"], ["b", "a"]])
    for (const days of [1, 3, 10]) {
      const from = new Date(now - days * DAY_MS);
      const to = new Date(now);
      const o = { calibrationBins: 5, ...(chunkRows ? { datasetChunkRows: chunkRows } : {}) };
      const c = await col.readWindow("f", attributes, from, to, o);
      const r = await row.readWindow("f", attributes, from, to, o);
      const oracle = await oracleDatasetHash(client, { tenantId: "t1", flowKey: "f", attributes, fromMs: from.getTime(), toMs: to.getTime(), chunkRows });
      expect(c.datasetHash).toMatch(/^[0-9a-f]{64}$/);
      expect({ hash: c.datasetHash, rows: c.rows }).toEqual(oracle);
      expect({ hash: r.datasetHash, rows: r.rows }).toEqual(oracle);
      // The tables come from the same pass and still match each other.
      expect(c.slices).toEqual(r.slices);
      out.push(c.datasetHash);
    }
  return out;
}

/**
 * The layout the columnar path's canonical order rests on (segments.listForWindow): within a
 * day, segments hold disjoint seq ranges, position 0 is a segment's lowest seq, and every
 * unpacked trace of the day has a higher seq than every packed one.
 */
async function expectSeqLayout({ client }: Db): Promise<void> {
  const segs = await client.execute(`SELECT segment_id AS id, created_at / 86400000 AS day, min(seq) AS lo, max(seq) AS hi,
      (SELECT seq FROM decision_traces p WHERE p.segment_id = d.segment_id AND p.segment_pos = 0) AS first
    FROM decision_traces d WHERE segment_id IS NOT NULL GROUP BY segment_id ORDER BY day, lo`);
  const tail = await client.execute("SELECT created_at / 86400000 AS day, min(seq) AS lo FROM decision_traces WHERE segment_id IS NULL GROUP BY day");
  const tailLo = new Map(tail.rows.map((r) => [Number(r.day), Number(r.lo)]));
  let prev: { day: number; hi: number } | null = null;
  for (const r of segs.rows) {
    const day = Number(r.day);
    expect(r.first).toBe(r.lo);
    if (prev && prev.day === day) expect(Number(r.lo)).toBeGreaterThan(prev.hi);
    expect(tailLo.get(day) ?? Infinity).toBeGreaterThan(Number(r.hi));
    prev = { day, hi: Number(r.hi) };
  }
}

describe("dataset hash: row path ≡ columnar path ≡ oracle", () => {
  it("in every packing state, with late outcomes, back-fill and windows cutting a day", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(traceArb, { maxLength: 80 }),
        fc.array(traceArb, { maxLength: 25 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 30 }),
        fc.integer({ min: 0, max: DAY_MS - 1 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(undefined, 1, 3, 8),
        async (initial, backfill, outcomes, nowMs, packedBefore, chunkRows) => {
          const db = await createTestTenantStore();
          const { client, store } = db;
          const now = BASE + 9 * DAY_MS + nowMs;
          const first = initial.map(trace);
          await store.traces.insert(first);
          const unpacked = await agree(db, now, chunkRows);
          // Partly packed: only days before `now - packedBefore days`, several segments a day.
          await pack(store, now - packedBefore * DAY_MS);
          await expectSeqLayout(db);
          expect(await agree(db, now, chunkRows)).toEqual(unpacked);
          await pack(store, now);
          expect(await agree(db, now, chunkRows)).toEqual(unpacked);
          // Late outcomes (deltas for packed traces), then back-fill into packed days, then pack again.
          for (const [i, conv] of outcomes) if (first.length) await store.traces.recordOutcome(first[i % first.length]!.id, conv, new Date(now).toISOString());
          await store.traces.insert(backfill.map(trace));
          await expectSeqLayout(db);
          const changed = await agree(db, now, chunkRows);
          await pack(store, now);
          await expectSeqLayout(db);
          expect(await agree(db, now, chunkRows)).toEqual(changed);
          client.close();
        },
      ),
      { numRuns: 15 },
    );
  });

  it("the unpacked tail is read in (day, seq) order from its index, without a sort", async () => {
    const { client } = await createTestTenantStore();
    const args = ["t1", "f", 1, 2, 0, 1, -1, -1, 10];
    // The page as rows, and as the JSON columns the store reads (its subquery a co-routine over the same index).
    for (const [sql, bound] of [[TAIL_PAGE_SQL, args], [TAIL_PAGE_JSON_SQL, ["t1", "f", ...args]]] as const) {
      const plan = (await client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: [...bound] })).rows.map((r) => String(r.detail)).join("\n");
      expect(plan).toContain("decision_traces_unpacked_day");
      expect(plan).not.toContain("TEMP B-TREE");
    }
    client.close();
  });
});

/** Hash of attribute `a` over the last 7 days of data `ts`, optionally packed. */
async function hashOf(ts: TraceRecord[], now: number, packed: boolean): Promise<string> {
  const { client, store } = await createTestTenantStore();
  await store.traces.insert(ts);
  if (packed) await pack(store, now, 4);
  const h = (await createColumnarWindowReader(store.window, kernels).readWindow("f", ["a"], new Date(now - 7 * DAY_MS), new Date(now))).datasetHash;
  client.close();
  return h;
}

describe("dataset hash sensitivity", () => {
  const now = BASE + 9 * DAY_MS + 1000;
  const inWindow = (t: TraceRecord) => t.createdAt >= now - 7 * DAY_MS && t.createdAt < now;
  const usable = (t: TraceRecord) => t.attributes.a !== undefined && t.attributes.a !== null && t.attributes.a !== "";

  it("changes with an evaluated row's outcome, selection or group; ignores rows outside the window or without the attribute", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(traceArb, { minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.constantFrom("selected", "converted", "group", "outside", "unusable"),
        fc.boolean(),
        async (gens, pick, kind, packed) => {
          const base = gens.map(trace);
          const i = pick % base.length;
          const t = base[i]!;
          let variant: TraceRecord[];
          let expectChange: boolean;
          if (kind === "outside" || kind === "unusable") {
            // A row the evaluation does not count, inserted anywhere (seqs of later rows shift; their order does not).
            const extra = { ...trace(gens[i]!), createdAt: kind === "outside" ? (pick % 2 ? now + 5 : now - 8 * DAY_MS) : now - DAY_MS };
            if (kind === "unusable") extra.attributes = pick % 2 ? { b: 1 } : { a: "", b: 1 };
            variant = [...base.slice(0, i), extra, ...base.slice(i)];
            expectChange = false;
          } else {
            const changed: TraceRecord =
              kind === "selected" ? { ...t, selected: !t.selected }
              : kind === "converted" ? { ...t, converted: t.converted === null ? true : t.converted ? null : true }
              : { ...t, attributes: { ...t.attributes, a: t.attributes.a === "x" ? "y" : "x" } };
            variant = base.map((x, j) => (j === i ? changed : x));
            expectChange = inWindow(t) && (usable(t) || usable(changed));
          }
          const [a, b] = [await hashOf(base, now, packed), await hashOf(variant, now, packed)];
          if (expectChange) expect(b).not.toBe(a);
          else expect(b).toBe(a);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("changes when a late outcome arrives for a packed row (an outcome delta)", async () => {
    const { client, store } = await createTestTenantStore();
    const ts = [0, 1, 2].map((k) => trace({ day: 5, ms: k * 1000, a: "x", b: 1, selected: true, converted: null, score: 0.5 }));
    await store.traces.insert(ts);
    expect((await pack(store, now)).traces).toBe(3);
    const read = () => createColumnarWindowReader(store.window, kernels).readWindow("f", ["a"], new Date(now - 7 * DAY_MS), new Date(now));
    const before = await read();
    await store.traces.recordOutcome(ts[1]!.id, true, new Date(now).toISOString());
    const after = await read();
    expect(after.datasetHash).not.toBe(before.datasetHash);
    expect(after.datasetHash).toBe((await oracleDatasetHash(client, { tenantId: "t1", flowKey: "f", attributes: ["a"], fromMs: now - 7 * DAY_MS, toMs: now })).hash);
    client.close();
  });

  it("pins the format on a tiny window (fairgate-dataset/2)", async () => {
    const { client, store } = await createTestTenantStore();
    await store.traces.insert([
      { ...trace({ day: 8, ms: 5, a: "x", b: 1, selected: true, converted: true, score: 0.25 }), id: "p1" },
      { ...trace({ day: 8, ms: 5, a: "é", b: undefined, selected: false, converted: null, score: null }), id: "p2" },
    ]);
    const read = () => createColumnarWindowReader(store.window, kernels).readWindow("f", ["a", "b"], new Date(now - 7 * DAY_MS), new Date(now));
    const r = await read();
    expect(r.rows).toBe(2);
    expect(r.datasetHash).toBe(PINNED);
    // The same bytes once the day is a segment.
    expect((await pack(store, now)).segments).toBe(1);
    expect((await read()).datasetHash).toBe(PINNED);
    client.close();
  });
});

// Reproduced independently from the format in docs/evidence.md (Python struct + hashlib).
const PINNED = "2a6cf10816f9bf2b2d27cb8f3ea40ea99645f8017a259b264c88f69cf09fbcf2";

describe("publish stores the reader's dataset hash", () => {
  it("in dataset_hash, equal to the oracle's, packed or not", async () => {
    const { client, store } = await createTestTenantStore();
    const now = BASE + 9 * DAY_MS + 3_600_000;
    const t = new Date(now).toISOString();
    const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttributes: ["a", "b"], thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 1 });
    await store.write([
      store.governance.putPolicyStmt(policy, "test", t),
      ...store.flows.createStmts(
        { id: "f1", key: "f", name: "f", status: "draft", latestVersion: 1, activeVersion: null, revision: 1, createdAt: t, updatedAt: t },
        { offers: [{ id: "o", eligibility: [], model: { intercept: 0, numeric: {}, categorical: {} }, minPropensity: 0.5 }], maxOffers: 1 },
        "test",
      ),
    ]);
    const gens = fc.sample(traceArb, { seed: 7, numRuns: 300 });
    await store.traces.insert(gens.map(trace));
    let ids = 0;
    const deps = { kernels, clock: () => new Date(now), newId: () => `id-${ids++}`, windowReader: (s: TenantStore) => createColumnarWindowReader(s.window, kernels) };
    const stored: string[] = [];
    for (const packed of [false, true]) {
      if (packed) await pack(store, now, 16);
      const flow = (await store.flows.get("f1"))!;
      await publishFlow(deps, store, { name: "p", keyId: null }, flow.id).catch((e) => {
        if (!(e instanceof GateBlockedError)) throw e;
      });
      const rs = await client.execute("SELECT dataset_hash, body FROM fairness_evaluations ORDER BY chain_seq DESC LIMIT 1");
      const w = JSON.parse(String(rs.rows[0]!.body)).window as { from: string; to: string };
      const oracle = await oracleDatasetHash(client, { tenantId: "t1", flowKey: "f", attributes: ["a", "b"], fromMs: Date.parse(w.from), toMs: Date.parse(w.to) });
      expect(rs.rows[0]!.dataset_hash).toBe(oracle.hash);
      stored.push(String(rs.rows[0]!.dataset_hash));
    }
    // Packing between the two publishes changed nothing the evaluation saw.
    expect(stored[1]).toBe(stored[0]);
    client.close();
  });
});
