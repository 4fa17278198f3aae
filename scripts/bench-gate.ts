/**
 * @module scripts/bench-gate
 * `npm run bench:gate -- --traces N [--runs R]`: loads N traces (4 groups, spread
 * over the last 7 days) into a fresh embedded tenant database, packs the complete
 * days into segments, then times a full gate evaluation (policy, overrides, window,
 * decision, dataset hash) through the columnar path and through the plain row path. Each path
 * runs in its own child process (bundled, plain node) so its peak RSS is its own.
 * Prints one JSON object.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { DAY_MS } from "../worker/engine/segment-codec.js";
import { fairnessPolicySchema } from "../worker/domain/policy.js";
import { packTraces } from "../worker/services/pack.js";
import type { TraceRecord } from "../worker/store/tenant/traces.js";
import { createTenantStore } from "../worker/store/tenant-store.js";
import { migrate } from "../worker/store/sql.js";
import { loadMigrationsFromDisk, openLibsql } from "../worker/runtime/node-files.js";

const ROOT = join(import.meta.dirname, "..");

/** Opens the tenant database the way the Node runtime does (native driver, WAL). */
async function open(file: string) {
  const client = await openLibsql(`file:${file}`, undefined, "/");
  return { client, store: createTenantStore(client, "bench") };
}

async function main() {
  const { values } = parseArgs({
    options: { traces: { type: "string", default: "1000000" }, runs: { type: "string", default: "5" } },
  });
  const runs = Number(values.runs);

  const n = Number(values.traces);
  const file = join(mkdtempSync(join(tmpdir(), "fairgate-bench-")), "tenant.db");
  const { client, store } = await open(file);
  await migrate(client, loadMigrationsFromDisk().tenant);
  // "Now" is early in a UTC day so nearly all of the 7-day window is in complete, packable days.
  const now = Math.floor(Date.now() / DAY_MS) * DAY_MS + 3_600_000;
  const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8, equalOpportunityGap: 0.1 } });
  const t = new Date(now).toISOString();
  await store.write([
    store.governance.putPolicyStmt(policy, "bench", t),
    ...store.flows.createStmts(
      { id: "f1", key: "bench-flow", name: "bench", status: "active", latestVersion: 1, activeVersion: 1, revision: 1, createdAt: t, updatedAt: t },
      { offers: [{ id: "o", eligibility: [], model: { intercept: 0, numeric: {}, categorical: {} }, minPropensity: 0.5 }], maxOffers: 1 },
      "bench",
    ),
  ]);
  const bands = ["18-24", "25-44", "45-64", "65+"];
  const t0 = performance.now();
  const chunk = 20_000;
  for (let i = 0; i < n; i += chunk) {
    const rows: TraceRecord[] = [];
    for (let j = i; j < Math.min(n, i + chunk); j++) {
      const g = j % 4;
      rows.push({
        id: `t${j}`, flowKey: "bench-flow", version: 1, customerId: `c${j}`, attributes: { ageBand: bands[g]!, income: 20_000 + (j % 100) * 1000 },
        selected: (j * 2654435761) % 100 < 30 + g * 5, score: ((j * 40503) % 1000) / 1000, offers: null,
        converted: j % 3 === 0 ? null : (j * 97) % 10 < 4 ? true : false, source: "bulk",
        createdAt: now - 7 * DAY_MS + Math.floor((j / n) * 7 * DAY_MS),
      });
    }
    await store.traces.insert(rows);
  }
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  const packed = await packTraces({ clock: () => new Date(now), newId: () => crypto.randomUUID() }, store);
  const packMs = performance.now() - t1;
  client.close();

  // Bundle the measured child and run it with plain node (no TypeScript loader in the measurement).
  const childJs = join(ROOT, "node_modules/.cache/fairgate/bench-gate-child.mjs");
  await build({ entryPoints: [join(ROOT, "scripts/bench-gate-child.ts")], bundle: true, platform: "node", format: "esm", outfile: childJs, external: ["libsql", "@libsql/*"], logLevel: "error" });
  const wasm = join(ROOT, "wasm-core/build/kernels.wasm");
  const run = (path: string) => {
    const r = spawnSync(process.execPath, [childJs, "--path", path, "--file", file, "--runs", String(runs), "--now", String(now), "--wasm", wasm], { encoding: "utf8", maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`${path} child failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as { ms: number; sampleSize: number; datasetHash: string; rssBeforeMiB: number; maxRssMiB: number };
  };
  const col = run("columnar");
  const row = run("row");
  if (col.sampleSize !== row.sampleSize) throw new Error(`paths disagree: ${col.sampleSize} vs ${row.sampleSize}`);
  // Both paths compute the dataset hash in their single pass; they must agree on it too.
  if (col.datasetHash !== row.datasetHash) throw new Error(`dataset hashes disagree: ${col.datasetHash} vs ${row.datasetHash}`);
  process.stdout.write(
    JSON.stringify({
      traces: n,
      sampleSize: col.sampleSize,
      columnarMs: Math.round(col.ms * 10) / 10,
      rowMs: Math.round(row.ms * 10) / 10,
      speedup: Math.round((row.ms / col.ms) * 10) / 10,
      peakRssMiB: Math.round(col.maxRssMiB * 10) / 10,
      rssBeforeEvaluationMiB: Math.round(col.rssBeforeMiB * 10) / 10,
      rowPeakRssMiB: Math.round(row.maxRssMiB * 10) / 10,
      packedTraces: packed.traces,
      segments: packed.segments,
      loadMs: Math.round(loadMs),
      packMs: Math.round(packMs),
      runs,
    }) + "\n",
  );
}

await main();
