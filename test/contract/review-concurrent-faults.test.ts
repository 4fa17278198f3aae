/**
 * Review: the reads a gate now issues at once (segment list, summaries and the tail's first
 * page in the summarised reader; overrides and the baseline beside the window in
 * evaluateFlow) — a store fault in any one of them, early or late, surfaces as
 * StoreUnavailableError (503) from evaluateFlow, and nothing rejects unhandled.
 */
import { createClient } from "@libsql/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../worker/domain/errors.js";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import { createSummaryWindowReader } from "../../worker/engine/summary-window.js";
import { loadMigrationsFromDisk } from "../../worker/runtime/node-files.js";
import { evaluateFlow } from "../../worker/services/evaluate.js";
import { packTraces } from "../../worker/services/pack.js";
import { type Client, type InStatement, migrate } from "../../worker/store/sql.js";
import { createTenantStore } from "../../worker/store/tenant-store.js";

const kernels = createReferenceKernels();
const sqlOf = (s: InStatement) => (typeof s === "string" ? s : s.sql);
const NOW = Date.parse("2026-03-10T12:00:00.000Z");

/**
 * `c`, whose `execute` fails like a lost connection (after `delayMs`) when the SQL matches
 * `fault.re`; every other read answers after `slowMs` (so a fault at once lands while its
 * siblings are still pending, nobody awaiting it yet).
 */
function faulty(c: Client, fault: { re: RegExp | null; delayMs: number; slowMs: number }): Client {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return new Proxy(c, {
    get(target, prop, recv) {
      if (prop === "execute")
        return async (s: InStatement) => {
          if (fault.re?.test(sqlOf(s))) {
            await sleep(fault.delayMs);
            throw Object.assign(new Error("SQLITE_IOERR: disk I/O error"), { code: "SQLITE_IOERR" });
          }
          if (fault.re && fault.slowMs) await sleep(fault.slowMs);
          return target.execute(s);
        };
      const v = Reflect.get(target, prop, recv);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
beforeEach(() => {
  unhandled.length = 0;
  process.on("unhandledRejection", onUnhandled);
});
afterEach(() => {
  process.off("unhandledRejection", onUnhandled);
});

async function setUp() {
  const client = createClient({ url: ":memory:", intMode: "number" });
  await migrate(client, loadMigrationsFromDisk().tenant);
  const store = createTenantStore(client, "t1");
  const t = new Date(NOW).toISOString();
  const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "a", thresholds: { demographicParityGap: 0.9 }, minGroupSize: 1, minSampleSize: 1, windowDays: 7 });
  await store.write([
    store.governance.putPolicyStmt(policy, "test", t),
    ...store.flows.createStmts(
      { id: "flow-1", key: "f", name: "f", status: "active", latestVersion: 1, activeVersion: 1, revision: 1, createdAt: t, updatedAt: t },
      { offers: [{ id: "o", eligibility: [], model: { intercept: 0, numeric: {}, categorical: {} }, minPropensity: 0.5 }], maxOffers: 1 },
      "test",
    ),
  ]);
  // Packed days (segments with summaries) and an unpacked tail today.
  const traces = Array.from({ length: 60 }, (_, i) => ({
    id: `t${i}`, flowKey: "f", version: 1, customerId: `c${i}`, attributes: { a: i % 2 ? "x" : "y" }, selected: i % 3 === 0,
    score: 0.1 + (i % 9) * 0.1, offers: null, converted: i % 4 === 0, source: "bulk" as const, createdAt: NOW - (i % 5) * DAY_MS - 1000 * i,
  }));
  await store.traces.insert(traces);
  expect((await packTraces({ clock: () => new Date(NOW), newId: () => crypto.randomUUID() }, store)).segments).toBeGreaterThan(0);
  return client;
}

const FAULTS: [string, RegExp][] = [
  ["segment list", /FROM trace_segments s LEFT JOIN segment_stats/],
  ["summaries", /FROM segment_summaries WHERE tenant_id = \? AND segment_id IN/],
  ["tail page", /segment_id IS NULL\s+AND created_at \/ 86400000 BETWEEN/],
  ["baseline", /FROM fairness_evaluations WHERE tenant_id = \? AND flow_id = \? AND verdict = 'pass'/],
  ["overrides", /FROM fairness_overrides/],
];

describe("review: a store fault in a concurrent gate read", () => {
  it("the fault patterns match reads the gate makes (else the cases below prove nothing)", async () => {
    const client = await setUp();
    const seen: string[] = [];
    const spy = new Proxy(client, {
      get(target, prop, recv) {
        if (prop === "execute") return (s: InStatement) => (seen.push(sqlOf(s)), target.execute(s));
        const v = Reflect.get(target, prop, recv);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const store = createTenantStore(spy, "t1");
    const deps = { kernels, clock: () => new Date(NOW), newId: () => crypto.randomUUID(), windowReader: (s: typeof store) => createSummaryWindowReader(s.window, kernels) };
    await evaluateFlow(deps, store, (await store.flows.getByKey("f"))!, 1, "recheck");
    for (const [name, re] of FAULTS) expect([name, seen.some((q) => re.test(q))]).toEqual([name, true]);
  });

  for (const [name, re] of FAULTS)
    for (const [delayMs, slowMs] of [[0, 20], [30, 0]] as const)
      it(`${name} fails (${delayMs ? "late" : "at once, the other reads slow"}): 503, nothing unhandled`, async () => {
        const client = await setUp();
        const fault = { re: null as RegExp | null, delayMs, slowMs };
        const store = createTenantStore(faulty(client, fault), "t1");
        const flow = (await store.flows.getByKey("f"))!;
        fault.re = re;
        const deps = { kernels, clock: () => new Date(NOW), newId: () => crypto.randomUUID(), windowReader: (s: typeof store) => createSummaryWindowReader(s.window, kernels) };
        await expect(evaluateFlow(deps, store, flow, 1, "recheck")).rejects.toBeInstanceOf(StoreUnavailableError);
        // Let the sibling reads settle: a rejection nobody handles shows up here.
        await new Promise((r) => setTimeout(r, 100));
        expect(unhandled).toEqual([]);
      });
});
