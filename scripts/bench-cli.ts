/**
 * @module scripts/bench-cli
 * Benchmarks `fairgate check` end to end (a real child process) on a generated
 * file and prints ONE JSON object on stdout: throughput and peak RSS, next to the
 * peak RSS of the same command on a tiny file (the process's fixed cost).
 *
 *   npx tsx scripts/bench-cli.ts [--rows N] [--format csv|ndjson] [--kernels wasm|reference]
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeSyntheticDecisions } from "./cli/synthetic.js";

const CLI = resolve(import.meta.dirname, "fairgate.ts");

/** Runs the CLI on `file`; returns wall seconds, peak RSS (KiB, as the CLI reports it) and exit code. */
function runCli(file: string, kernels: string): Promise<{ seconds: number; maxRssKiB: number; code: number }> {
  const args = ["--import", "tsx", CLI, "check", "--input", file, "--sensitive", "group", "--label", "label"];
  args.push("--score", "score", "--threshold", "0.5", "--json", "--kernels", kernels);
  const t0 = performance.now();
  return new Promise((done, fail) => {
    execFile(process.execPath, args, { env: { ...process.env, FAIRGATE_DEBUG_RSS: "1" }, maxBuffer: 16 << 20 }, (err, _stdout, stderr) => {
      const seconds = (performance.now() - t0) / 1000;
      const rss = /maxRSS (\d+) KiB/.exec(stderr);
      const code = err ? Number((err as { code?: unknown }).code ?? -1) : 0;
      if (!rss || code === 2) return fail(new Error(`fairgate failed (exit ${code}): ${stderr.trim()}`));
      done({ seconds, maxRssKiB: Number(rss[1]), code });
    });
  });
}

const { values } = parseArgs({
  options: { rows: { type: "string", default: "2000000" }, format: { type: "string", default: "csv" }, kernels: { type: "string", default: "wasm" } },
});
const rows = Number(values.rows);
const format = values.format === "ndjson" ? "ndjson" : "csv";
const dir = await mkdtemp(join(tmpdir(), "fairgate-bench-"));
try {
  const big = join(dir, `big.${format}`);
  const tiny = join(dir, `tiny.${format}`);
  const t0 = performance.now();
  const bytes = await writeSyntheticDecisions(big, rows, format);
  const generateSeconds = (performance.now() - t0) / 1000;
  await writeSyntheticDecisions(tiny, 100, format);
  const baseline = await runCli(tiny, values.kernels);
  const run = await runCli(big, values.kernels);
  const result = {
    rows,
    format,
    kernels: values.kernels,
    bytes,
    generateSeconds: +generateSeconds.toFixed(2),
    seconds: +run.seconds.toFixed(2),
    baselineSeconds: +baseline.seconds.toFixed(2),
    rowsPerSec: Math.round(rows / Math.max(1e-9, run.seconds - baseline.seconds)),
    mbPerSec: +(bytes / 1_048_576 / Math.max(1e-9, run.seconds - baseline.seconds)).toFixed(1),
    maxRssKiB: run.maxRssKiB,
    baselineMaxRssKiB: baseline.maxRssKiB,
    extraRssKiB: run.maxRssKiB - baseline.maxRssKiB,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
