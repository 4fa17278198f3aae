/**
 * @module scripts/bench-gate
 * `npm run bench:gate -- --sizes 1000000,10000000,100000000 [--days 90] [--runs 20] [--warmup 20]
 * [--repeat 3] [--tail 2000] [--columnar-max 10000000] [--row-max 1000000]`: for each size, a fresh
 * embedded tenant database holding that many synthetic traces over a `days`-day window
 * (4 groups × 2 attributes, 20% labelled), then the full gate evaluation (policy,
 * overrides, window, every metric with bootstrap intervals, dataset hash) timed through
 * the summarised path (what the gateway runs), the columnar path and the row path, each
 * in its own bundled, plain-node child (with the gateway's heap flags, runtime/node-heap.ts)
 * so its peak RSS is its own. The summarised child runs `warmup` untimed evaluations (a
 * process's first ones run before the JIT has compiled the path: ~40 ms at 1 M against ~20
 * once warm), then `runs` timed ones back to back, and reports the RSS after the last
 * (steady state) and the peak over all of them; it runs in `repeat` (default 3) fresh
 * processes: verdictMs is the median of their timed medians (verdictMsRange the lowest and
 * highest), warmupVerdictMs the median of their warm-up medians, firstVerdictMs a process's
 * very first evaluation, the RSS figures the highest of any. One more
 * summarised process runs with a full collection after each evaluation (`--expose-gc`):
 * rssAfterCollectionMiB, its RSS right after the last one, is what the process keeps between
 * evaluations — a diagnostic beside the targets, which are measured without it. The columnar
 * and row paths (`other-runs` each, no warm-up: at 100 ms and more a cold JIT matters little)
 * are the side-by-side baselines.
 *
 * Setup: sizes up to `row-max` are loaded as trace rows and packed by the real packer
 * (the row path needs the rows); larger sizes are written as segments directly — encoded
 * columns with their summaries and hashes through the pack service's own functions and
 * the segment store's statements, no trace rows — plus `tail` unpacked trace rows today.
 * "Now" is 30 minutes into a UTC day, so the window's first day is cut inside a segment
 * (scanned column-wise) as in production. The columnar path is skipped (null) above
 * `columnar-max`, the row path above `row-max`. `--driver thread|native`: the embedded
 * driver (default thread, as the Node gateway runs it). `--keep` keeps the database.
 * Prints one JSON object per size as it goes; the last line is `{results: [...], …}`.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { fairnessPolicySchema, resolvePolicy } from "../worker/domain/policy.js";
import { slicesOf } from "../worker/domain/slices.js";
import { DAY_MS, type EncodedSegment } from "../worker/engine/segment-codec.js";
import { packTraces, withStatistics } from "../worker/services/pack.js";
import type { TraceRecord } from "../worker/store/tenant/traces.js";
import { createTenantStore } from "../worker/store/tenant-store.js";
import { migrate } from "../worker/store/sql.js";
import { loadMigrationsFromDisk, openLibsql } from "../worker/runtime/node-files.js";
import { mixHash as mix } from "./seeded-random.js";
import { NODE_HEAP_FLAGS } from "../worker/runtime/node-heap.js";
import { median } from "./bench-stats.js";

const ROOT = join(import.meta.dirname, "..");
const BANDS = ["18-24", "25-44", "45-64", "65+"];
const REGIONS = ["north", "south", "east", "west"];
/** The packer's default segment size. */
const SEGMENT_ROWS = 262_144;

/** Trace j's fields: groups, selection (rates differ by group), 20% labelled, score. */
function traceAt(j: number) {
  const g1 = mix(j, 1) & 3;
  const g2 = mix(j, 2) & 3;
  const selected = mix(j, 3) % 100 < 30 + g1 * 5 + g2 * 2 ? 1 : 0;
  const outcome = mix(j, 4) % 5 === 0 ? (mix(j, 5) % 10 < 4 ? 1 : 0) : 255;
  const score = (mix(j, 6) % 1000) / 1000;
  return { g1, g2, selected, outcome, score };
}

async function setUp(n: number, days: number, tail: number, rowMax: number) {
  const dir = mkdtempSync(join(tmpdir(), "fairgate-bench-"));
  const file = join(dir, "tenant.db");
  const client = await openLibsql(`file:${file}`, undefined, "/");
  const store = createTenantStore(client, "bench");
  await migrate(client, loadMigrationsFromDisk().tenant);
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const now = today + 30 * 60_000;
  const firstDay = today / DAY_MS - days;
  const policy = fairnessPolicySchema.parse({
    enabled: true, sensitiveAttribute: "ageBand", sensitiveAttributes: ["ageBand", "region"], windowDays: days,
    thresholds: { disparateImpactRatio: 0.5, demographicParityGap: 0.5, equalOpportunityGap: 0.5 },
    decisionRule: "confident", intervalMethod: "bootstrap", bootstrapReplicates: 1000,
  });
  const t = new Date(now).toISOString();
  await store.write([
    store.governance.putPolicyStmt(policy, "bench", t),
    ...store.flows.createStmts(
      { id: "f1", key: "bench-flow", name: "bench", status: "active", latestVersion: 1, activeVersion: 1, revision: 1, createdAt: t, updatedAt: t },
      { offers: [{ id: "o", eligibility: [], model: { intercept: 0, numeric: {}, categorical: {} }, minPropensity: 0.5 }], maxOffers: 1 },
      "bench",
    ),
  ]);
  const perDay = Math.ceil(n / days);
  const timeOf = (i: number) => Math.floor(((i + 0.5) * DAY_MS) / perDay);
  const record = (j: number, createdAt: number): TraceRecord => {
    const x = traceAt(j);
    return {
      id: `t${j}`, flowKey: "bench-flow", version: 1, customerId: `c${j}`, attributes: { ageBand: BANDS[x.g1]!, region: REGIONS[x.g2]! },
      selected: x.selected === 1, score: x.score, offers: null, converted: x.outcome === 255 ? null : x.outcome === 1, source: "bulk", createdAt,
    };
  };
  const t0 = performance.now();
  let segments = 0;
  if (n <= rowMax) {
    // Small enough for the row path: real trace rows, packed by the real packer.
    for (let i = 0; i < n; i += 20_000) {
      const rows: TraceRecord[] = [];
      for (let j = i; j < Math.min(n, i + 20_000); j++) rows.push(record(j, (firstDay + Math.floor(j / perDay)) * DAY_MS + timeOf(j % perDay)));
      await store.traces.insert(rows);
    }
    segments = (await packTraces({ clock: () => new Date(now), newId: () => crypto.randomUUID() }, store)).segments;
  } else {
    const rp = resolvePolicy(policy);
    const specs = slicesOf([...rp.attributes]).map((s) => s.attributes);
    for (let d = 0; d < days; d++) {
      const day = firstDay + d;
      const rowsToday = Math.min(perDay, n - d * perDay);
      for (let start = 0; start < rowsToday; start += SEGMENT_ROWS) {
        const m = Math.min(SEGMENT_ROWS, rowsToday - start);
        const seg: EncodedSegment = {
          day, rowCount: m, createdMin: 0, createdMax: 0, time: new Uint32Array(m), selected: new Uint8Array(m), outcome: new Uint8Array(m), score: new Float32Array(m),
          columns: [{ attribute: "ageBand", dict: BANDS, codes: new Uint16Array(m) }, { attribute: "region", dict: REGIONS, codes: new Uint16Array(m) }],
          unpackedAttributes: [],
        };
        for (let i = 0; i < m; i++) {
          const x = traceAt(d * perDay + start + i);
          seg.time[i] = timeOf(start + i);
          seg.selected[i] = x.selected;
          seg.outcome[i] = x.outcome;
          seg.score[i] = x.score;
          seg.columns[0]!.codes[i] = x.g1;
          seg.columns[1]!.codes[i] = x.g2;
        }
        seg.createdMin = day * DAY_MS + seg.time[0]!;
        seg.createdMax = day * DAY_MS + seg.time[m - 1]!;
        const id = `seg-${day}-${String(start / SEGMENT_ROWS).padStart(4, "0")}`;
        await client.batch(store.segments.insertStmts(id, "bench-flow", await withStatistics(seg, specs, rp.calibrationBins), t), "write");
        segments++;
      }
    }
  }
  // Today's not-yet-packed traces: the tail every evaluation scans row by row.
  const tailRows = Array.from({ length: tail }, (_, i) => record(n + i, today + Math.floor(((i + 0.5) * (now - today)) / tail)));
  for (let i = 0; i < tailRows.length; i += 5_000) await store.traces.insert(tailRows.slice(i, i + 5_000));
  const setupMs = performance.now() - t0;
  client.close();
  return { dir, file, now, segments, setupMs };
}

type ChildResult = { ms: number; windowMs: number; bootstrapMs: number; warmupMs: number | null; firstMs: number; sampleSize: number; datasetHash: string; results: string; rssBeforeMiB: number; maxRssMiB: number; rssAfterMiB: number };

async function main() {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string" },
      traces: { type: "string" },
      days: { type: "string", default: "90" },
      runs: { type: "string", default: "20" },
      warmup: { type: "string", default: "20" },
      repeat: { type: "string", default: "3" },
      "other-runs": { type: "string", default: "3" },
      tail: { type: "string", default: "2000" },
      "columnar-max": { type: "string", default: "10000000" },
      "row-max": { type: "string", default: "1000000" },
      keep: { type: "boolean", default: false },
      driver: { type: "string", default: "thread" },
    },
  });
  const sizes = (values.sizes ?? values.traces ?? "1000000").split(",").map(Number);
  const days = Number(values.days);
  const childJs = join(ROOT, "node_modules/.cache/fairgate/bench-gate-child.mjs");
  await build({ entryPoints: [join(ROOT, "scripts/bench-gate-child.ts")], bundle: true, platform: "node", format: "esm", outfile: childJs, external: ["libsql", "@libsql/*"], logLevel: "error" });
  // The embedded driver's database thread, as the Node runtime runs it (the bundle loads it by relative URL).
  copyFileSync(join(ROOT, "worker/runtime/libsql-thread-worker.mjs"), join(dirname(childJs), "libsql-thread-worker.mjs"));
  const wasm = join(ROOT, "wasm-core/build/kernels.wasm");
  const results = [];
  for (const n of sizes) {
    const s = await setUp(n, days, Number(values.tail), Number(values["row-max"]));
    const run = (path: string, runs: string, warmup: string, gcEach = false): ChildResult => {
      const args = [...NODE_HEAP_FLAGS, ...(gcEach ? ["--expose-gc"] : []), childJs, "--path", path, "--file", s.file, "--runs", runs, "--warmup", warmup, "--now", String(s.now), "--wasm", wasm, "--driver", values.driver!, ...(gcEach ? ["--gc-each"] : [])];
      const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`${path} child failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split("\n").pop()!) as ChildResult;
    };
    // The summarised path in `repeat` fresh processes: one process's median moves with its JIT
    // and GC timing (±25% on this machine), so the figure is the median of their medians, with
    // the range, and the highest peak and steady RSS of any of them.
    const repeats = Array.from({ length: Number(values.repeat) }, () => run("summary", values.runs!, values.warmup!));
    const byMs = [...repeats].sort((a, b) => a.ms - b.ms);
    const summary = { ...byMs[Math.floor(byMs.length / 2)]!, maxRssMiB: Math.max(...repeats.map((r) => r.maxRssMiB)), rssAfterMiB: Math.max(...repeats.map((r) => r.rssAfterMiB)) };
    // Diagnostic, not a target: the same evaluations with a full collection after each. The RSS
    // right after the last collection is what the process keeps between evaluations; the gap to
    // steadyRssMiB is garbage V8's heap growth lets pile up (its peak is not reported: a
    // compacting collection itself takes memory for a moment).
    const live = run("summary", values.runs!, values.warmup!, true);
    const columnar = n <= Number(values["columnar-max"]) ? run("columnar", values["other-runs"]!, "0") : null;
    const row = n <= Number(values["row-max"]) ? run("row", values["other-runs"]!, "0") : null;
    // The three paths must reach the same evaluation (the dataset hash differs by design: /3 vs /2).
    for (const other of [columnar, row]) if (other && (other.sampleSize !== summary.sampleSize || other.results !== summary.results)) throw new Error("paths disagree");
    if (live.results !== summary.results || live.datasetHash !== summary.datasetHash) throw new Error("the collected run reached another evaluation");
    if (columnar && row && columnar.datasetHash !== row.datasetHash) throw new Error("columnar and row dataset hashes disagree");
    if (values.keep) process.stderr.write(`kept ${s.file} (now ${s.now})\n`);
    else rmSync(s.dir, { recursive: true, force: true });
    const r1 = (x: number | undefined) => (x === undefined ? null : Math.round(x * 10) / 10);
    const result = {
      traces: n, days, verdictMs: r1(summary.ms), verdictMsRange: [r1(byMs[0]!.ms), r1(byMs[byMs.length - 1]!.ms)], windowMs: r1(summary.windowMs), bootstrapMs: r1(summary.bootstrapMs), columnarWindowMs: r1(columnar?.windowMs), rowWindowMs: r1(row?.windowMs), columnarMs: r1(columnar?.ms), rowPathMs: r1(row?.ms), peakRssMiB: r1(summary.maxRssMiB),
      steadyRssMiB: r1(summary.rssAfterMiB), rssAfterCollectionMiB: r1(live.rssAfterMiB), rssBeforeEvaluationMiB: r1(summary.rssBeforeMiB), warmupVerdictMs: r1(median(repeats.map((r) => r.warmupMs ?? NaN))), firstVerdictMs: r1(summary.firstMs), sampleSize: summary.sampleSize, segments: s.segments, tail: Number(values.tail),
      setupMs: Math.round(s.setupMs), setup: n <= Number(values["row-max"]) ? "rows + pack" : "segments written directly",
      columnarPeakRssMiB: r1(columnar?.maxRssMiB), rowPeakRssMiB: r1(row?.maxRssMiB),
    };
    results.push(result);
    process.stdout.write(JSON.stringify(result) + "\n");
  }
  process.stdout.write(JSON.stringify({ results, runs: Number(values.runs), warmup: Number(values.warmup), otherRuns: Number(values["other-runs"]), columnarMax: Number(values["columnar-max"]), rowMax: Number(values["row-max"]) }) + "\n");
}

await main();
