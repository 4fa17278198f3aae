/**
 * Bounded memory: `fairgate check` on a generated 2M-row CSV (~20 MB) must peak
 * within a fixed margin of the same command on a tiny file, and count exactly.
 * Reading the file whole and parsing it in one go costs hundreds of MB here, so
 * the margin catches a non-streaming regression. Throughput lives in
 * scripts/bench-cli.ts; this test only pins memory and correctness.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SYNTHETIC_GROUPS, syntheticRow, writeSyntheticDecisions } from "../../scripts/cli/synthetic.js";

const ROWS = 2_000_000;
/** Peak RSS allowed above the tiny-file run; measured ~20 MB (64 KiB chunks, 64k-row batches). */
const MARGIN_KIB = 64 * 1024;
const ROOT = resolve(import.meta.dirname, "../..");

/** Runs the CLI with FAIRGATE_DEBUG_RSS; returns the JSON output and the reported peak RSS. */
function check(file: string): Promise<{ code: number; ev: { groups: { value: string; n: number; selected: number; positives: number }[] }; maxRssKiB: number }> {
  const args = ["--import", "tsx", "scripts/fairgate.ts", "check", "--input", file, "--sensitive", "group", "--label", "label", "--score", "score", "--threshold", "0.5", "--json"];
  return new Promise((done, fail) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, FAIRGATE_DEBUG_RSS: "1" }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const rss = /maxRSS (\d+) KiB/.exec(stderr);
      if (!rss) return fail(new Error(`no maxRSS reported: ${stderr}`));
      done({ code: err ? Number((err as { code?: unknown }).code) : 0, ev: JSON.parse(stdout), maxRssKiB: Number(rss[1]) });
    });
  });
}

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), "fairgate-mem-"))));
afterAll(() => rm(dir, { recursive: true, force: true }));

it("streams a 2M-row file with bounded memory and exact counts", async () => {
  const big = join(dir, "big.csv");
  const tiny = join(dir, "tiny.csv");
  await Promise.all([writeSyntheticDecisions(big, ROWS, "csv"), writeSyntheticDecisions(tiny, 1_000, "csv")]);
  // Sequential on purpose: concurrent runs would not change either peak but would slow both.
  const baseline = await check(tiny);
  const large = await check(big);

  const want = new Map(SYNTHETIC_GROUPS.map((g) => [g, { value: g, n: 0, selected: 0, positives: 0 }]));
  for (let i = 0; i < ROWS; i++) {
    const r = syntheticRow(i);
    const w = want.get(r.group as (typeof SYNTHETIC_GROUPS)[number])!;
    w.n++;
    w.selected += r.score >= 0.5 ? 1 : 0;
    w.positives += r.label;
  }
  expect(large.ev.groups.map(({ value, n, selected, positives }) => ({ value, n, selected, positives }))).toEqual([...want.values()]);
  expect(large.maxRssKiB - baseline.maxRssKiB).toBeLessThan(MARGIN_KIB);
}, 60_000); // ~4 s alone; generous for a loaded CI machine running other suites
