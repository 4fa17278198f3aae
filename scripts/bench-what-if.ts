/**
 * @module scripts/bench-what-if
 * `npm run bench:what-if -- [--traces N] [--runs R]`: what the drivers analysis and the
 * what-if cost. Loads N traces (two age bands, tiers, incomes; spread over the last 7 days)
 * into a fresh embedded tenant database and creates a flow of three offers (39 parts: a
 * categorical weight on the sensitive attribute and on tier per offer, numeric weights,
 * rules, thresholds) whose version 2 breaches DIR. Times R blocked publishes (evaluation
 * with drivers: (parts + 1) replays of ≤ counterfactualSampleSize requests), the same
 * publishes with drivers off (counterfactualSampleSize 0 also turns the counterfactual off,
 * so the difference bounds the drivers' cost from above), and R what-ifs (every single
 * change + a threshold search per offer, each replayed on ≤ replaySampleSize requests and
 * judged by decideGate). Prints one JSON object (medians, ms; CPU time of the process beside wall time).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { findDrivers } from "../worker/domain/drivers.js";
import type { FlowDefinition } from "../worker/domain/flow.js";
import { type FairnessPolicy, fairnessPolicySchema } from "../worker/domain/policy.js";
import { createColumnarWindowReader } from "../worker/engine/columnar-window.js";
import { loadWasmKernelsFromFile } from "../worker/engine/kernels/wasm-node.js";
import { DAY_MS } from "../worker/engine/segment-codec.js";
import { loadMigrationsFromDisk, openLibsql } from "../worker/runtime/node-files.js";
import { packTraces } from "../worker/services/pack.js";
import { GateBlockedError, publishFlow } from "../worker/services/publish.js";
import { whatIf } from "../worker/services/what-if.js";
import { migrate } from "../worker/store/sql.js";
import type { TraceRecord } from "../worker/store/tenant/traces.js";
import { createTenantStore, type TenantStore } from "../worker/store/tenant-store.js";
import { median } from "./bench-stats.js";

const { values } = parseArgs({ options: { traces: { type: "string", default: "50000" }, runs: { type: "string", default: "3" } } });
const n = Number(values.traces);
const runs = Number(values.runs);
// CPU time (user + system, every thread of the process): steadier than wall time on a shared machine.
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

const dir = mkdtempSync(join(tmpdir(), "fairgate-bench-what-if-"));
const client = await openLibsql(`file:${join(dir, "tenant.db")}`, undefined, "/");
await migrate(client, loadMigrationsFromDisk().tenant);
const store = createTenantStore(client, "bench");
const now = Math.floor(Date.now() / DAY_MS) * DAY_MS + 3_600_000;
const t = new Date(now).toISOString();
const policyOf = (extra: Record<string, unknown>): FairnessPolicy => fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8 }, ...extra });

const offer = (id: string, ageWeight: number, intercept = -1) => ({
  id,
  eligibility: [
    { attribute: "tier", op: "in" as const, value: ["gold", "platinum", "silver"] },
    { attribute: "income", op: "gte" as const, value: 15_000 },
  ],
  model: {
    intercept,
    numeric: { income: 0.00002, tenure: 0.05 },
    categorical: { ageBand: { "18-24": 0.1, "25-44": 0.2, "45-64": 0, "65+": ageWeight }, tier: { gold: 0.3, platinum: 0.6, silver: -0.2, basic: -0.5 } },
  },
  minPropensity: 0.5,
});
const fair: FlowDefinition = { offers: [offer("a", 0), offer("b", 0, -1.5), offer("c", 0, -3)], maxOffers: 1 };
const biased: FlowDefinition = { offers: [offer("a", -2.5), offer("b", -0.5, -1.5), offer("c", 0, -3)], maxOffers: 1 };
const flow = { id: "f1", key: "bench-flow", name: "bench", status: "draft" as const, latestVersion: 1, activeVersion: null, revision: 1, createdAt: t, updatedAt: t };
await store.write([store.governance.putPolicyStmt(policyOf({}), "bench", t), ...store.flows.createStmts(flow, fair, "bench")]);
await store.write(store.flows.newVersionStmts({ ...flow }, biased, "bench", t));

const bands = ["18-24", "25-44", "45-64", "65+"];
const tiers = ["gold", "platinum", "silver", "basic"];
for (let i = 0; i < n; i += 20_000) {
  const rows: TraceRecord[] = [];
  for (let j = i; j < Math.min(n, i + 20_000); j++) {
    rows.push({
      id: `t${j}`, flowKey: "bench-flow", version: 1, customerId: `c${j}`,
      attributes: { ageBand: bands[j % 4]!, tier: tiers[Math.floor(j / 4) % 4]!, income: 10_000 + ((j * 37) % 100) * 1000, tenure: (j * 13) % 20 },
      selected: (j * 2654435761) % 100 < 40, score: ((j * 40503) % 1000) / 1000, offers: null,
      converted: j % 3 === 0 ? null : (j * 97) % 10 < 4, source: "bulk", createdAt: now - 7 * DAY_MS + Math.floor((j / n) * 7 * DAY_MS),
    });
  }
  await store.traces.insert(rows);
}
let idn = 0;
const newId = () => `bench-${idn++}-${crypto.randomUUID()}`;
await packTraces({ clock: () => new Date(now), newId }, store);
const kernels = await loadWasmKernelsFromFile(join(import.meta.dirname, "../wasm-core/build/kernels.wasm"));
const deps = { kernels, clock: () => new Date(now), newId, windowReader: (s: TenantStore) => createColumnarWindowReader(s.window, kernels) };
const actor = { name: "bench", keyId: null };

async function timedPublishes(): Promise<{ ms: number; drivers: unknown }> {
  const ms: number[] = [];
  let drivers: unknown = null;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    try {
      await publishFlow(deps, store, actor, "f1");
      throw new Error("expected the biased version to be blocked");
    } catch (e) {
      if (!(e instanceof GateBlockedError)) throw e;
      drivers = { replayed: (e.extra as { driversReplayed?: number }).driversReplayed, top: (e.extra as { drivers?: { kind: string; offer: string; value?: string }[] }).drivers?.[0] };
    }
    ms.push(performance.now() - t0);
  }
  return { ms: median(ms), drivers };
}

const withDrivers = await timedPublishes();
await store.write([store.governance.putPolicyStmt(policyOf({ counterfactualSampleSize: 0 }), "bench", t)]);
const withoutDrivers = await timedPublishes();
await store.write([store.governance.putPolicyStmt(policyOf({}), "bench", t)]);

// The drivers analysis alone (pure), on the sample a publish replays it on.
const sample = (await store.window.sampleWindow("bench-flow", now - 7 * DAY_MS, now, 1000, 1)).map((r) => ({ attributes: r.attributes, selected: r.selected, converted: r.converted }));
const targets = [{ slice: { name: "ageBand", attributes: ["ageBand"] }, metric: "disparateImpactRatio" as const, excluded: new Set<string>() }];
const driverMs: number[] = [];
const driverCpuMs: number[] = [];
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  findDrivers(biased, sample, targets, { sensitive: ["ageBand"], limit: 1000 });
  driverCpuMs.push(cpuMs(process.cpuUsage(c0)));
  driverMs.push(performance.now() - t0);
}

const whatIfMs: number[] = [];
const whatIfCpuMs: number[] = [];
let result: Awaited<ReturnType<typeof whatIf>> | null = null;
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  result = await whatIf(deps, store, actor, "f1", {}, false);
  whatIfCpuMs.push(cpuMs(process.cpuUsage(c0)));
  whatIfMs.push(performance.now() - t0);
}
client.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    bench: "what-if",
    traces: n,
    runs,
    parts: 39,
    blockedPublishMs: Math.round(withDrivers.ms),
    blockedPublishNoDriversMs: Math.round(withoutDrivers.ms),
    findDriversMs: Math.round(median(driverMs)),
    findDriversCpuMs: Math.round(median(driverCpuMs)),
    driverRequests: sample.length,
    topDriver: withDrivers.drivers,
    whatIfMs: Math.round(median(whatIfMs)),
    whatIfCpuMs: Math.round(median(whatIfCpuMs)),
    whatIfRequests: result!.requests,
    whatIfEvaluated: result!.evaluated,
    whatIfPassing: result!.suggestions.length,
    bestSuggestion: result!.suggestions[0] ? { change: result!.suggestions[0].change, expectedConversionsDelta: +result!.suggestions[0].utility.expectedConversionsDelta.toFixed(2) } : null,
  }),
);
