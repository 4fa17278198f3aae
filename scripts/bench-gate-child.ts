/**
 * @module scripts/bench-gate-child
 * One measured path of `bench:gate`: evaluates the bench flow R times through the
 * columnar or the row path and prints {ms (median), sampleSize, datasetHash, rss figures}.
 * The parent bundles this file and runs it with plain `node`, as a deployment
 * would, so the peak RSS is the gate's and not the dev-time TypeScript loader's.
 */
import { parseArgs } from "node:util";
import { createColumnarWindowReader } from "../worker/engine/columnar-window.js";
import { loadWasmKernelsFromFile } from "../worker/engine/kernels/wasm-node.js";
import { createRowWindowReader } from "../worker/engine/window.js";
import { openLibsql } from "../worker/runtime/node-files.js";
import { evaluateFlow } from "../worker/services/evaluate.js";
import { createTenantStore, type TenantStore } from "../worker/store/tenant-store.js";

const { values } = parseArgs({ options: { path: { type: "string" }, file: { type: "string" }, runs: { type: "string" }, now: { type: "string" }, wasm: { type: "string" } } });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (kb: number) => kb / 1024;

const client = await openLibsql(`file:${values.file}`, undefined, "/");
const store = createTenantStore(client, "bench");
const kernels = await loadWasmKernelsFromFile(values.wasm!);
const flow = (await store.flows.getByKey("bench-flow"))!;
const now = Number(values.now);
const deps = {
  kernels,
  clock: () => new Date(now),
  newId: () => crypto.randomUUID(),
  windowReader: values.path === "columnar" ? (s: TenantStore) => createColumnarWindowReader(s.window, kernels) : (s: TenantStore) => createRowWindowReader(s.window, kernels),
};
const rssBeforeMiB = process.memoryUsage().rss / 1048576;
const times: number[] = [];
let sampleSize = 0;
let datasetHash: string | null = null;
for (let i = 0; i < Number(values.runs); i++) {
  const t0 = performance.now();
  const r = await evaluateFlow(deps, store, flow, 1, "publish");
  times.push(performance.now() - t0);
  sampleSize = r.evaluation.sampleSize;
  datasetHash = r.datasetHash;
}
client.close();
process.stdout.write(JSON.stringify({ ms: median(times), sampleSize, datasetHash, rssBeforeMiB, maxRssMiB: mib(process.resourceUsage().maxRSS) }) + "\n");
