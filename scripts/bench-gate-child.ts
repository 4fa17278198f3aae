/**
 * @module scripts/bench-gate-child
 * One measured path of `bench:gate`: evaluates the bench flow W (`--warmup`, untimed) and
 * then R times back to back through the summarised, the columnar or the row path and prints
 * {ms (median of the R), warmupMs (median of the W), firstMs (the process's first evaluation),
 * sampleSize, datasetHash, results (the evaluation's results, to compare paths), peak RSS,
 * RSS after the last run}. The parent bundles this file and runs it with plain `node`, as
 * a deployment would, so the peak RSS is the gate's and not the dev-time TypeScript loader's.
 * `--gc-each` (with node's `--expose-gc`) runs a full collection after every evaluation, so
 * the RSS after the last run is what the process keeps without the garbage V8's heap growth
 * lets pile up.
 */
import { parseArgs } from "node:util";
import { windowFor } from "../worker/domain/evaluation.js";
import { resolvePolicy } from "../worker/domain/policy.js";
import { createColumnarWindowReader } from "../worker/engine/columnar-window.js";
import { loadWasmKernelsFromFile } from "../worker/engine/kernels/wasm-node.js";
import { createSummaryWindowReader } from "../worker/engine/summary-window.js";
import { createRowWindowReader } from "../worker/engine/window.js";
import { openLibsql } from "../worker/runtime/node-files.js";
import { evaluateFlow } from "../worker/services/evaluate.js";
import { createTenantStore, type TenantStore } from "../worker/store/tenant-store.js";
import { median } from "./bench-stats.js";

const { values } = parseArgs({ options: { path: { type: "string" }, file: { type: "string" }, runs: { type: "string" }, now: { type: "string" }, wasm: { type: "string" }, driver: { type: "string" }, warmup: { type: "string", default: "0" }, "gc-each": { type: "boolean", default: false } } });
const collect = (globalThis as { gc?: () => void }).gc;
if (values["gc-each"] && !collect) throw new Error("--gc-each needs node --expose-gc");
const mib = (kb: number) => kb / 1024;

const client = await openLibsql(`file:${values.file}`, undefined, "/", (values.driver ?? "thread") as "thread" | "native");
const store = createTenantStore(client, "bench");
const wasmKernels = await loadWasmKernelsFromFile(values.wasm!);
// Time spent in the Poisson bootstrap (the intervals), summed per evaluation: it depends on cells and replicates, not traces.
let bootstrapMs = 0;
const kernels = {
  ...wasmKernels,
  bootstrap: (...a: Parameters<typeof wasmKernels.bootstrap>) => {
    const t0 = performance.now();
    const r = wasmKernels.bootstrap(...a);
    bootstrapMs += performance.now() - t0;
    return r;
  },
};
const flow = (await store.flows.getByKey("bench-flow"))!;
const now = Number(values.now);
const readers = {
  summary: (s: TenantStore) => createSummaryWindowReader(s.window, kernels),
  columnar: (s: TenantStore) => createColumnarWindowReader(s.window, kernels),
  row: (s: TenantStore) => createRowWindowReader(s.window, kernels),
};
const rssBeforeMiB = process.memoryUsage().rss / 1048576;
const deps = { kernels, clock: () => new Date(now), newId: () => "bench-evaluation", windowReader: readers[values.path as keyof typeof readers] };
const times: number[] = [];
const warmupTimes: number[] = [];
const bootstrapTimes: number[] = [];
const warmup = Number(values.warmup);
let sampleSize = 0;
let datasetHash: string | null = null;
let results = "";
for (let i = 0; i < warmup + Number(values.runs); i++) {
  const t0 = performance.now();
  bootstrapMs = 0;
  const r = await evaluateFlow(deps, store, flow, 1, "publish");
  const ms = performance.now() - t0;
  if (i < warmup) warmupTimes.push(ms);
  else {
    times.push(ms);
    bootstrapTimes.push(bootstrapMs);
  }
  sampleSize = r.evaluation.sampleSize;
  datasetHash = r.datasetHash;
  results = JSON.stringify(r.evaluation.results);
  // After the timing: a collection here costs the next evaluation nothing it would not pay anyway.
  if (values["gc-each"]) collect!();
}
const rssAfterMiB = process.memoryUsage().rss / 1048576;
// The window read alone (what the path costs; the rest of a verdict is policy, bootstrap, metrics).
const policy = (await store.governance.getPolicy())!;
const rp = resolvePolicy(policy);
const w = windowFor(new Date(now), policy.windowDays);
const reader = deps.windowReader(store);
const windowTimes: number[] = [];
for (let i = 0; i < Math.min(5, Number(values.runs)); i++) {
  const t0 = performance.now();
  await reader.readWindow(flow.key, rp.attributes, w.from, w.to, { calibrationBins: rp.calibrationBins });
  windowTimes.push(performance.now() - t0);
}
client.close();
process.stdout.write(JSON.stringify({ ms: median(times), windowMs: median(windowTimes), bootstrapMs: median(bootstrapTimes), warmupMs: warmupTimes.length ? median(warmupTimes) : null, firstMs: warmupTimes[0] ?? times[0], sampleSize, datasetHash, results, rssBeforeMiB, maxRssMiB: mib(process.resourceUsage().maxRSS), rssAfterMiB }) + "\n");
