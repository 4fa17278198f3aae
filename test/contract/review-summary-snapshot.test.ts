/**
 * Review: the summarised reader reads the segment list (with each segment's delta count and
 * digest, which its Merkle leaf hashes) and the stored summaries (the counts) in two reads.
 * A late outcome committing between them must not give a verdict whose counts include the
 * outcome while its dataset hash does not (or the reverse): the read is of one state or the
 * other, counts and hash together.
 */
import { describe, expect, it } from "vitest";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import { createSummaryWindowReader } from "../../worker/engine/summary-window.js";
import { packTraces } from "../../worker/services/pack.js";
import { createTestTenantStore } from "../helpers/tenant-db.js";

const kernels = createReferenceKernels();
const NOW = Date.parse("2026-03-10T12:00:00.000Z");

async function setUp() {
  const { store } = await createTestTenantStore();
  const t = new Date(NOW).toISOString();
  const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "a", thresholds: { demographicParityGap: 0.9 } });
  await store.write([store.governance.putPolicyStmt(policy, "test", t)]);
  const traces = Array.from({ length: 40 }, (_, i) => ({
    id: `t${i}`, flowKey: "f", version: 1, customerId: `c${i}`, attributes: { a: i % 2 ? "x" : "y" }, selected: i % 3 === 0,
    score: 0.1 + (i % 9) * 0.1, offers: null, converted: null, source: "bulk" as const, createdAt: NOW - 3 * DAY_MS + 1000 * i,
  }));
  await store.traces.insert(traces);
  expect((await packTraces({ clock: () => new Date(NOW), newId: () => crypto.randomUUID() }, store)).segments).toBe(1);
  return store;
}

describe("review: a late outcome between the segment list and the summaries", () => {
  for (const order of ["list, outcome, summaries", "summaries, outcome, list"] as const)
    it(`${order}: counts and dataset hash are of one state`, async () => {
      const store = await setUp();
      const from = new Date(NOW - 7 * DAY_MS);
      const to = new Date(NOW);
      const o = { calibrationBins: 10 };
      const plain = createSummaryWindowReader(store.window, kernels);
      const pick = (r: { slices: unknown; datasetHash: string }) => ({ slices: r.slices, datasetHash: r.datasetHash });
      const before = pick(await plain.readWindow("f", ["a"], from, to, o));
      // The outcome commits after the first of the two reads has answered and before the second runs.
      let first: Promise<unknown> | null = null;
      const outcome = () => store.traces.recordOutcome("t3", true, new Date(NOW).toISOString());
      const raced = {
        ...store.window,
        segmentList: async (...a: Parameters<typeof store.window.segmentList>) => {
          if (order === "list, outcome, summaries") return (first = store.window.segmentList(...a)) as ReturnType<typeof store.window.segmentList>;
          while (!first) await Promise.resolve();
          await first;
          await outcome();
          return store.window.segmentList(...a);
        },
        windowStatistics: async (...a: Parameters<typeof store.window.windowStatistics>) => {
          if (order === "summaries, outcome, list") return (first = store.window.windowStatistics(...a)) as ReturnType<typeof store.window.windowStatistics>;
          while (!first) await Promise.resolve();
          await first;
          await outcome();
          return store.window.windowStatistics(...a);
        },
      };
      const got = pick(await createSummaryWindowReader(raced, kernels).readWindow("f", ["a"], from, to, o));
      const after = pick(await plain.readWindow("f", ["a"], from, to, o));
      expect(after.datasetHash).not.toBe(before.datasetHash);
      // Which state each part is of (a failure names them: counts of one, hash of the other).
      const state = (x: typeof got) => ({
        slices: x.slices === undefined ? "?" : JSON.stringify(x.slices) === JSON.stringify(before.slices) ? "before" : JSON.stringify(x.slices) === JSON.stringify(after.slices) ? "after" : "neither",
        datasetHash: x.datasetHash === before.datasetHash ? "before" : x.datasetHash === after.datasetHash ? "after" : "neither",
      });
      const s = state(got);
      expect(s.slices).toBe(s.datasetHash);
      expect([before, after]).toContainEqual(got);
    });
});
