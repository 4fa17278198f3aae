/**
 * Contract: a window read is of one packing state. A pack, a compaction's merge,
 * an erasure or retention committing between the read's segment list and its tail read would
 * count a trace twice or not at all; the packing generation (bumped in each of those commits, read
 * with the list, with every tail page and after the last read) makes the reader read again,
 * so the counts and the dataset hash it returns are those of a read with nothing in between.
 * A store that changes its packing on every read is a 503, not a wrong answer.
 */
import { describe, expect, it } from "vitest";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { createColumnarWindowReader } from "../../worker/engine/columnar-window.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import type { WindowSource } from "../../worker/engine/ports.js";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import { createSummaryWindowReader } from "../../worker/engine/summary-window.js";
import { packTraces } from "../../worker/services/pack.js";
import type { TenantStore } from "../../worker/store/tenant-store.js";
import { createTestTenantStore } from "../helpers/tenant-db.js";

const kernels = createReferenceKernels();
const NOW = Date.parse("2026-03-10T12:00:00.000Z");
const FROM = new Date(NOW - 7 * DAY_MS);
const TO = new Date(NOW);
const deps = { clock: () => new Date(NOW), newId: () => crypto.randomUUID() };

async function setUp() {
  const { client, store } = await createTestTenantStore();
  const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "a", thresholds: { demographicParityGap: 0.9 } });
  await store.write([store.governance.putPolicyStmt(policy, "test", new Date(NOW).toISOString())]);
  const trace = (i: number, day: number) => ({
    id: `t${day}-${i}`, flowKey: "f", version: 1, customerId: `c${i}`, customerKey: i % 5 === 0 ? "k" : null, attributes: { a: i % 2 ? "x" : "y" },
    selected: i % 3 === 0, score: 0.1 + (i % 9) * 0.1, offers: null, converted: i % 4 === 0, source: "bulk" as const, createdAt: NOW - day * DAY_MS + 1000 * i,
  });
  await store.traces.insert([...Array.from({ length: 30 }, (_, i) => trace(i, 3)), ...Array.from({ length: 30 }, (_, i) => trace(i, 2))]);
  await store.protectedAttributes.upsert([{ customerKey: "k", attributes: { a: "x" } }], new Date(NOW).toISOString());
  // Day 3 packed in two pieces (a fragmented day), day 2 left in the tail.
  await packTraces({ ...deps, clock: () => new Date(NOW - 2 * DAY_MS + 60_000) }, store, { maxRowsPerSegment: 20 });
  return { client, store };
}

/**
 * The store's window source with `change` committed right after the read's first tail page
 * request is made (once, or every time). `staleFinal`: the generation read after the last
 * statement answers what the list saw (as a transport running statements out of order
 * might), so only each tail page's own generation can tell.
 */
function racing(store: TenantStore, change: () => Promise<unknown>, every = false, staleFinal = false) {
  let lists = 0;
  let done = false;
  let listed = 0;
  const source: WindowSource & TenantStore["window"] = {
    ...store.window,
    segmentList: async (...a) => {
      lists++;
      const r = await store.window.segmentList(...a);
      listed = r.generation;
      return r;
    },
    readTailPage: async (...a) => {
      if (!done || every) {
        done = true;
        await change();
      }
      return store.window.readTailPage(...a);
    },
    packingGeneration: async (...a) => (staleFinal ? listed : store.window.packingGeneration(...a)),
  };
  return { source, lists: () => lists };
}

const pick = (r: { slices: unknown; datasetHash: string }) => ({ slices: r.slices, datasetHash: r.datasetHash });

describe("a packing change between a window read's statements", () => {
  const changes: Record<string, (store: TenantStore) => Promise<unknown>> = {
    "a pack": (store) => packTraces(deps, store, { maxRowsPerSegment: 20 }),
    // Day 3 was packed in two pieces (20 + 10): a 32-row segment limit merges them (and packs day 2).
    "a compaction": (store) => packTraces(deps, store, { maxRowsPerSegment: 32 }),
    "an erasure": (store) => store.write(store.protectedAttributes.eraseStmts("k")),
  };
  for (const [name, change] of Object.entries(changes))
    for (const kind of ["summarised", "columnar"] as const)
      it(`${name}: the ${kind} reader reads again and returns one state's counts and hash`, async () => {
        const { client, store } = await setUp();
        const reader = (s: TenantStore["window"]) => (kind === "summarised" ? createSummaryWindowReader(s, kernels) : createColumnarWindowReader(s, kernels));
        const r = racing(store, () => change(store));
        const got = pick(await reader(r.source).readWindow("f", ["a"], FROM, TO, {}));
        // The change committed during the first read, so it read twice; the second saw no change.
        expect(r.lists()).toBe(2);
        expect(got).toEqual(pick(await reader(store.window).readWindow("f", ["a"], FROM, TO, {})));
        client.close();
      });

  for (const kind of ["summarised", "columnar"] as const)
    it(`a tail page read at another generation than the list: the ${kind} reader reads again, whatever the final read says`, async () => {
      const { client, store } = await setUp();
      const reader = (s: TenantStore["window"]) => (kind === "summarised" ? createSummaryWindowReader(s, kernels) : createColumnarWindowReader(s, kernels));
      const r = racing(store, () => changes["a pack"]!(store), false, true);
      const got = pick(await reader(r.source).readWindow("f", ["a"], FROM, TO, {}));
      expect(r.lists()).toBe(2);
      expect(got).toEqual(pick(await reader(store.window).readWindow("f", ["a"], FROM, TO, {})));
      client.close();
    });

  it("retention deleting segments bumps the generation of their flows", async () => {
    const { client, store } = await setUp();
    const before = await store.window.packingGeneration("f");
    await store.write(store.retention.deleteStmts(Math.floor(NOW / DAY_MS) * DAY_MS - 2 * DAY_MS));
    expect(await store.window.packingGeneration("f")).toBe(before + 1);
    client.close();
  });

  it("a store whose packing changes during every read is unavailable (503), not a wrong answer", async () => {
    const { client, store } = await setUp();
    // Every read: one more trace back-filled into day 4 and packed (a new segment each time).
    let n = 0;
    const backfill = async () => {
      await store.traces.insert([{ id: `late-${n}`, flowKey: "f", version: 1, customerId: "c", attributes: { a: "x" }, selected: true, score: 0.5, offers: null, converted: null, source: "bulk", createdAt: NOW - 4 * DAY_MS + n++ }]);
      await packTraces(deps, store, { maxRowsPerSegment: 20, intraday: false });
    };
    const r = racing(store, backfill, true);
    await expect(createSummaryWindowReader(r.source, kernels).readWindow("f", ["a"], FROM, TO, {})).rejects.toMatchObject({ status: 503, code: "store_unavailable" });
    expect(r.lists()).toBe(3);
    client.close();
  });
});
