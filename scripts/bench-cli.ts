/**
 * @module scripts/bench-cli
 * `fairgate check` end to end (a real child process) against DuckDB on the same rows.
 * DuckDB (the dev dependency @duckdb/node-api) writes a zstd Parquet file of N rows with
 * four columns (group, decision, label, score) and the same rows as CSV, then runs its
 * own GROUP BY computing the same confusion counts (n, selected, positives, TP per group)
 * over each file; `fairgate check --sensitive group --label label --decision decision`
 * reads the same columns. Every run's counts are checked against DuckDB's. A third file of
 * `--big-rows` rows (default 100 M, 0 skips it; ~10 s to write) gives the peak RSS on a
 * large Parquet file.
 *
 * fairgate's rate is measured in a child process that runs the CLI's own main() — the
 * exact `fairgate check` code path — once on a 100-row file (module loading, Wasm compile,
 * JIT warm-up) and then times it on the big file, as DuckDB's in-process query time does
 * not count DuckDB's start either; the child's peak RSS is the CLI's. The child then runs the
 * same file again: fairgateWarmRowsPerSec is that steady state (hot loops compiled). The end-to-end time
 * of a real `fairgate check` process is reported too (cliSeconds). Each rate is the best
 * of `--runs` runs, with the range. The last line is one JSON object:
 * {parquet: {rows, fairgateRowsPerSec, duckdbRowsPerSec, peakRssMiB}, csv: {…}, big: {…}}.
 *
 *   npx tsx scripts/bench-cli.ts [--rows N] [--big-rows N] [--runs K] [--kernels wasm|reference]
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";

const CLI = resolve(import.meta.dirname, "fairgate.ts");
const SELF = resolve(import.meta.dirname, "bench-cli.ts");
const checkArgs = (file: string, kernels: string) => ["check", "--input", file, "--sensitive", "group", "--label", "label", "--decision", "decision", "--json", "--kernels", kernels];

interface GroupCounts {
  value: string;
  n: number;
  selected: number;
  positives: number;
  tp: number;
}

/** Runs the CLI on `file`; wall seconds, peak RSS (KiB, as the CLI reports it) and the primary slice's counts. */
function runCli(file: string, kernels: string): Promise<{ seconds: number; maxRssKiB: number; groups: GroupCounts[] }> {
  const args = ["--import", "tsx", CLI, ...checkArgs(file, kernels)];
  const t0 = performance.now();
  return new Promise((done, fail) => {
    execFile(process.execPath, args, { env: { ...process.env, FAIRGATE_DEBUG_RSS: "1" }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const seconds = (performance.now() - t0) / 1000;
      const rss = /maxRSS (\d+) KiB/.exec(stderr);
      const code = err ? Number((err as { code?: unknown }).code ?? -1) : 0;
      if (!rss || code === 2) return fail(new Error(`fairgate failed (exit ${code}): ${stderr.trim()}`));
      const ev = JSON.parse(stdout) as { groups: GroupCounts[] };
      done({ seconds, maxRssKiB: Number(rss[1]), groups: ev.groups.map(({ value, n, selected, positives, tp }) => ({ value, n, selected, positives, tp })) });
    });
  });
}

/** The timed child: main() on `tiny` (warm-up), then on `file`; prints {seconds, groups, maxRssKiB}. */
function timeInChild(file: string, tiny: string, kernels: string): Promise<{ seconds: number; warmSeconds: number; maxRssKiB: number; groups: GroupCounts[] }> {
  return new Promise((done, fail) => {
    execFile(process.execPath, ["--import", "tsx", SELF, "--child", file, "--tiny", tiny, "--kernels", kernels], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) return fail(new Error(`timing child failed: ${stderr.trim()}`));
      done(JSON.parse(stdout.trim().split("\n").at(-1)!));
    });
  });
}

const { values } = parseArgs({
  options: {
    child: { type: "string" },
    tiny: { type: "string" },
    rows: { type: "string", default: "10000000" },
    "big-rows": { type: "string", default: "100000000" },
    runs: { type: "string", default: "3" },
    kernels: { type: "string", default: "wasm" },
  },
});
if (values.child) {
  const { main } = await import("./fairgate.js");
  const quiet = { write: () => true };
  await main(checkArgs(values.tiny!, values.kernels), { stdout: quiet, stderr: quiet });
  const timed = async () => {
    let out = "";
    const t0 = performance.now();
    await main(checkArgs(values.child!, values.kernels), { stdout: { write: (s: string) => (out += s) }, stderr: quiet });
    return { seconds: (performance.now() - t0) / 1000, out };
  };
  // The first run is what one `fairgate check` invocation costs (its hot loops still being
  // compiled); the second, on the same file, is the steady state.
  const first = await timed();
  const second = await timed();
  const ev = JSON.parse(first.out) as { groups: GroupCounts[] };
  const groups = ev.groups.map(({ value, n, selected, positives, tp }) => ({ value, n, selected, positives, tp }));
  if (second.out.replace(/"(id|createdAt)": "[^"]*"/g, "") !== first.out.replace(/"(id|createdAt)": "[^"]*"/g, "")) throw new Error("two runs on one file disagree");
  process.stdout.write(`${JSON.stringify({ seconds: first.seconds, warmSeconds: second.seconds, groups, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

const rows = Number(values.rows);
const bigRows = Number(values["big-rows"]);
const runs = Math.max(1, Number(values.runs));
const log = (s: string) => process.stderr.write(`bench-cli: ${s}\n`);

const db = await DuckDBInstance.create(":memory:");
const duck = await db.connect();
const dir = await mkdtemp(join(tmpdir(), "fairgate-bench-cli-"));

/**
 * N rows, a pure function of the row index: four groups (hash-assigned, not in sequence, so
 * nothing compresses to a pattern), decisions with a group-dependent rate, labels ~1/3.
 */
const rowsSql = (n: number) => `SELECT ['A','B','C','D'][(hash(i) % 4)::INTEGER + 1] AS "group",
    (hash(i * 7 + 3) % 100) < 40 + 10 * (hash(i) % 4) AS decision,
    ((hash(i * 13 + 5) % 3) = 1)::INTEGER AS label,
    ((hash(i * 31 + 7) % 1000) / 1000.0)::DOUBLE AS score
  FROM range(${n}) t(i)`;

async function writeFiles(name: string, n: number, csv: boolean): Promise<{ parquet: string; csv: string | null; seconds: number }> {
  const t0 = performance.now();
  const parquet = join(dir, `${name}.parquet`);
  await duck.run(`COPY (${rowsSql(n)}) TO '${parquet}' (FORMAT parquet, COMPRESSION zstd)`);
  const csvFile = csv ? join(dir, `${name}.csv`) : null;
  if (csvFile) await duck.run(`COPY (SELECT * FROM '${parquet}') TO '${csvFile}' (HEADER)`);
  return { parquet, csv: csvFile, seconds: (performance.now() - t0) / 1000 };
}

/** DuckDB's own GROUP BY: the same counts fairgate's kernels produce. */
async function duckdbCounts(from: string): Promise<{ seconds: number; groups: GroupCounts[] }> {
  const t0 = performance.now();
  const r = await duck.runAndReadAll(`SELECT "group" AS value, count(*) AS n, sum(decision::INTEGER) AS selected, sum(label) AS positives,
    sum((decision AND label = 1)::INTEGER) AS tp FROM ${from} GROUP BY "group" ORDER BY "group"`);
  const seconds = (performance.now() - t0) / 1000;
  const groups = r.getRowObjectsJson().map((g) => ({ value: String(g.value), n: Number(g.n), selected: Number(g.selected), positives: Number(g.positives), tp: Number(g.tp) }));
  return { seconds, groups };
}

const range = (xs: number[]) => [Math.round(Math.min(...xs)), Math.round(Math.max(...xs))];

/** Both tools on one format: best rate of `runs`, the range, peak RSS; counts must agree. */
async function compare(format: "parquet" | "csv", file: string, tiny: string, n: number) {
  const fg: number[] = [];
  const warm: number[] = [];
  const dd: number[] = [];
  let peak = 0;
  let reference: GroupCounts[] = [];
  for (let k = 0; k < runs; k++) {
    const run = await timeInChild(file, tiny, values.kernels);
    const duckdb = await duckdbCounts(format === "parquet" ? `'${file}'` : `read_csv('${file}', header = true)`);
    if (JSON.stringify(run.groups) !== JSON.stringify(duckdb.groups)) throw new Error(`${format}: fairgate and DuckDB disagree: ${JSON.stringify(run.groups)} vs ${JSON.stringify(duckdb.groups)}`);
    reference = duckdb.groups;
    fg.push(n / run.seconds);
    warm.push(n / run.warmSeconds);
    dd.push(n / duckdb.seconds);
    peak = Math.max(peak, run.maxRssKiB);
    log(`${format} run ${k + 1}: fairgate ${(fg.at(-1)! / 1e6).toFixed(1)} M rows/s (${run.seconds.toFixed(3)} s; warm ${(warm.at(-1)! / 1e6).toFixed(1)}), DuckDB ${(dd.at(-1)! / 1e6).toFixed(1)} M rows/s (${duckdb.seconds.toFixed(3)} s)`);
  }
  // And once as a real process, start to exit (module loading included).
  const cli = await runCli(file, values.kernels);
  if (JSON.stringify(cli.groups) !== JSON.stringify(reference)) throw new Error(`${format}: the CLI process disagrees with DuckDB`);
  peak = Math.max(peak, cli.maxRssKiB);
  const best = Math.max(...fg);
  const duckBest = Math.max(...dd);
  return {
    rows: n,
    bytes: (await stat(file)).size,
    fairgateRowsPerSec: Math.round(best),
    duckdbRowsPerSec: Math.round(duckBest),
    ratio: +(best / duckBest).toFixed(3),
    fairgateWarmRowsPerSec: Math.round(Math.max(...warm)),
    fairgateRange: range(fg),
    fairgateWarmRange: range(warm),
    duckdbRange: range(dd),
    peakRssMiB: +(peak / 1024).toFixed(1),
    cliSeconds: +cli.seconds.toFixed(2),
  };
}

try {
  const main = await writeFiles("decisions", rows, true);
  const tiny = await writeFiles("tiny", 100, true);
  log(`wrote ${rows} rows as zstd Parquet and CSV in ${main.seconds.toFixed(1)} s`);
  const parquet = await compare("parquet", main.parquet, tiny.parquet, rows);
  const csv = await compare("csv", main.csv!, tiny.csv!, rows);
  let big: { rows: number; peakRssMiB: number; fairgateRowsPerSec: number; fairgateWarmRowsPerSec: number; duckdbRowsPerSec: number; cliSeconds: number; writeSeconds: number } | null = null;
  if (bigRows > 0) {
    await rm(main.parquet);
    await rm(main.csv!);
    const b = await writeFiles("big", bigRows, false);
    log(`wrote ${bigRows} rows as zstd Parquet in ${b.seconds.toFixed(1)} s`);
    const run = await timeInChild(b.parquet, tiny.parquet, values.kernels);
    const duckdb = await duckdbCounts(`'${b.parquet}'`);
    if (JSON.stringify(run.groups) !== JSON.stringify(duckdb.groups)) throw new Error("big parquet: fairgate and DuckDB disagree");
    // The real process too: its peak RSS is what a CI job sees.
    const cli = await runCli(b.parquet, values.kernels);
    big = {
      rows: bigRows,
      peakRssMiB: +(Math.max(run.maxRssKiB, cli.maxRssKiB) / 1024).toFixed(1),
      fairgateRowsPerSec: Math.round(bigRows / run.seconds),
      fairgateWarmRowsPerSec: Math.round(bigRows / run.warmSeconds),
      duckdbRowsPerSec: Math.round(bigRows / duckdb.seconds),
      cliSeconds: +cli.seconds.toFixed(2),
      writeSeconds: +b.seconds.toFixed(1),
    };
  }
  process.stdout.write(`${JSON.stringify({ kernels: values.kernels, runs, parquet, csv, big })}\n`);
} finally {
  duck.closeSync();
  db.closeSync();
  await rm(dir, { recursive: true, force: true });
}
