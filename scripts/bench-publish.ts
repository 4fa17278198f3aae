/**
 * @module scripts/bench-publish
 * `npm run bench:publish -- --traces N [--runs R] [--unpacked]`: loads N
 * traces (4 groups, spread over the last 7 days) into a fresh embedded tenant database,
 * packs the complete days (unless --unpacked), then times R real publishes through
 * services/publish (evaluation, dataset hash, chained write) with the columnar reader and
 * the Wasm kernels. Prints one JSON object: medians of the whole publish and of its
 * `store.write` (the chained batch; before fairgate-dataset/2 it also re-read the window
 * to hash it), and the dataset hash stored last.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fairnessPolicySchema } from "../worker/domain/policy.js";
import { createColumnarWindowReader } from "../worker/engine/columnar-window.js";
import { loadWasmKernelsFromFile } from "../worker/engine/kernels/wasm-node.js";
import { DAY_MS } from "../worker/engine/segment-codec.js";
import { loadMigrationsFromDisk, openLibsql } from "../worker/runtime/node-files.js";
import { packTraces } from "../worker/services/pack.js";
import { GateBlockedError, publishFlow } from "../worker/services/publish.js";
import { migrate } from "../worker/store/sql.js";
import type { TraceRecord } from "../worker/store/tenant/traces.js";
import { createTenantStore, type TenantStore } from "../worker/store/tenant-store.js";
import { median } from "./bench-stats.js";

const { values } = parseArgs({ options: { traces: { type: "string", default: "200000" }, runs: { type: "string", default: "3" }, unpacked: { type: "boolean", default: false } } });
const n = Number(values.traces);
const runs = Number(values.runs);

const dir = mkdtempSync(join(tmpdir(), "fairgate-bench-publish-"));
const file = join(dir, "tenant.db");
const client = await openLibsql(`file:${file}`, undefined, "/");
await migrate(client, loadMigrationsFromDisk().tenant);
const store = createTenantStore(client, "bench");
// "Now" is early in a UTC day so nearly all of the 7-day window is in complete, packable days.
const now = Math.floor(Date.now() / DAY_MS) * DAY_MS + 3_600_000;
const t = new Date(now).toISOString();
const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8, equalOpportunityGap: 0.1 } });
await store.write([
  store.governance.putPolicyStmt(policy, "bench", t),
  ...store.flows.createStmts(
    { id: "f1", key: "bench-flow", name: "bench", status: "draft", latestVersion: 1, activeVersion: null, revision: 1, createdAt: t, updatedAt: t },
    { offers: [{ id: "o", eligibility: [], model: { intercept: 0, numeric: {}, categorical: {} }, minPropensity: 0.5 }], maxOffers: 1 },
    "bench",
  ),
]);
const bands = ["18-24", "25-44", "45-64", "65+"];
for (let i = 0; i < n; i += 20_000) {
  const rows: TraceRecord[] = [];
  for (let j = i; j < Math.min(n, i + 20_000); j++) {
    const g = j % 4;
    rows.push({
      id: `t${j}`, flowKey: "bench-flow", version: 1, customerId: `c${j}`, attributes: { ageBand: bands[g]!, income: 20_000 + (j % 100) * 1000 },
      selected: (j * 2654435761) % 100 < 30 + g * 5, score: ((j * 40503) % 1000) / 1000, offers: null,
      converted: j % 3 === 0 ? null : (j * 97) % 10 < 4, source: "bulk", createdAt: now - 7 * DAY_MS + Math.floor((j / n) * 7 * DAY_MS),
    });
  }
  await store.traces.insert(rows);
}
let idn = 0;
const newId = () => `bench-${idn++}-${crypto.randomUUID()}`;
const packed = values.unpacked ? { traces: 0, segments: 0 } : await packTraces({ clock: () => new Date(now), newId }, store);
const kernels = await loadWasmKernelsFromFile(join(import.meta.dirname, "../wasm-core/build/kernels.wasm"));
const deps = { kernels, clock: () => new Date(now), newId, windowReader: (s: TenantStore) => createColumnarWindowReader(s.window, kernels) };

const publishMs: number[] = [];
const writeMs: number[] = [];
// Times the chained write inside each publish.
const write = store.write;
store.write = async (...args: Parameters<typeof write>) => {
  const t0 = performance.now();
  try {
    return await write(...args);
  } finally {
    writeMs.push(performance.now() - t0);
  }
};
let verdict = "";
for (let r = 0; r < runs; r++) {
  const flow = (await store.flows.getByKey("bench-flow"))!;
  const t1 = performance.now();
  try {
    verdict = (await publishFlow(deps, store, { name: "bench", keyId: null }, flow.id)).evaluation.verdict;
  } catch (e) {
    if (!(e instanceof GateBlockedError)) throw e;
    verdict = "block";
  }
  publishMs.push(performance.now() - t1);
}
const stored = await client.execute("SELECT dataset_hash FROM fairness_evaluations ORDER BY chain_seq DESC LIMIT 1");
client.close();
rmSync(dir, { recursive: true, force: true });
const round = (x: number) => Math.round(x * 10) / 10;
process.stdout.write(
  JSON.stringify({
    traces: n, packedTraces: packed.traces, segments: packed.segments, runs, verdict,
    publishMs: round(median(publishMs)), writeMs: round(median(writeMs)),
    datasetHash: stored.rows[0]?.dataset_hash ?? null,
  }) + "\n",
);
