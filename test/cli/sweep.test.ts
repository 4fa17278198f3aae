/**
 * `fairgate check --sweep` and `--scoring-rate median`, in-process through main().
 * The expectations are counted by hand from the 20-row file below (no code of ours
 * computes them; the scores are helpers/cli SWEEP_A and SWEEP_B): group A's scores are 0.1, 0.2, …, 1.0; group B's are
 * 0.1 0.1 0.2 0.2 0.3 0.3 0.4 0.5 0.6 0.9; selected = score >= threshold.
 *
 *   threshold   A selected   B selected   DI ratio (B/A)   parity gap
 *     0.2         9/10         8/10         0.8/0.9          0.1
 *     0.4         7/10         4/10         0.4/0.7          0.3
 *     0.6         5/10         2/10         0.2/0.5 = 0.4    0.3
 *     0.8         3/10         1/10         0.1/0.3          0.2
 *
 * Median of all 20 scores: the 10th and 11th sorted values are 0.4 and 0.4, so 0.4;
 * strictly above it A has 6 (0.5…1.0), B has 3 (0.5, 0.6, 0.9): rates 0.6 and 0.3.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluationSchema } from "../../worker/domain/evaluation.js";
import { checkInputs, runMain, SWEEP_A as A, SWEEP_B as B } from "../helpers/cli.js";

const POLICY = {
  enabled: true,
  sensitiveAttribute: "g",
  thresholds: { disparateImpactRatio: 0.8, demographicParityGap: { warning: 0.05, critical: 0.15, block: 0.35 } },
  minSampleSize: 10,
  minGroupSize: 5,
};

let dir: string;
let csv: string;
let policy: string;
beforeAll(async () => {
  // Interleaved rows, so nothing depends on the groups being contiguous.
  const rows = A.flatMap((a, i) => [`A,${a}`, `B,${B[i]}`]);
  ({ dir, csv, policy } = await checkInputs("fairgate-sweep-", `g,score\n${rows.join("\n")}\n`, POLICY));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const run = (argv: string[]) => runMain(argv, { env: {} });
const base = () => ["check", "--input", csv, "--policy", policy, "--score", "score"];
const rateOf = (groups: { value: string; selectionRate: number | null }[], v: string) => groups.find((g) => g.value === v)!.selectionRate;

describe("--sweep FROM:TO:STEP", () => {
  it("decides the gate at each threshold with the hand-counted selection rates", async () => {
    const r = await run([...base(), "--threshold", "0.2", "--sweep", "0.2:0.8:0.2", "--json"]);
    expect(r.stderr).not.toMatch(/internal error/);
    const ev = evaluationSchema.parse(JSON.parse(r.stdout));
    const sweep = ev.thresholdSweep!;
    expect(sweep).toMatchObject({ column: "score", from: 0.2, to: 0.8, step: 0.2 });
    expect(sweep.points.map((p) => p.threshold)).toEqual([0.2, 0.4, 0.6, 0.8]);
    const expected = [
      { a: 0.9, b: 0.8, verdict: "pass", dpStatus: "warning" },
      { a: 0.7, b: 0.4, verdict: "block", dpStatus: "critical" },
      { a: 0.5, b: 0.2, verdict: "block", dpStatus: "critical" },
      { a: 0.3, b: 0.1, verdict: "block", dpStatus: "critical" },
    ];
    sweep.points.forEach((p, i) => {
      const e = expected[i]!;
      const s = p.slices[0]!;
      expect(s.slice).toBe("g");
      expect(rateOf(s.groups, "A")).toBeCloseTo(e.a, 12);
      expect(rateOf(s.groups, "B")).toBeCloseTo(e.b, 12);
      expect(s.groups.map((g) => g.n)).toEqual([10, 10]);
      expect(s.metrics.disparateImpactRatio!.value).toBeCloseTo(e.b / e.a, 12);
      expect(s.metrics.demographicParityGap!.value).toBeCloseTo(e.a - e.b, 12);
      expect(s.metrics.disparateImpactRatio!.block).toBe(0.8);
      expect(p.verdict).toBe(e.verdict);
      expect(s.metrics.demographicParityGap!.status).toBe(e.dpStatus);
      // Only gated metrics are in a point.
      expect(Object.keys(s.metrics).sort()).toEqual(["demographicParityGap", "disparateImpactRatio"]);
    });
    expect(sweep.points[2]!.violations).toEqual(["disparate impact ratio 0.400 < threshold 0.8"]);
    // The run's own verdict is the --threshold 0.2 one, and the sweep point at 0.2 repeats its numbers.
    expect(ev.verdict).toBe("pass");
    expect(r.code).toBe(0);
    const own = ev.results[0]!.metrics;
    expect(sweep.points[0]!.slices[0]!.metrics.disparateImpactRatio).toEqual({ value: own.disparateImpactRatio.value, interval: own.disparateImpactRatio.interval, status: own.disparateImpactRatio.status, block: 0.8 });
  });

  it("each point equals a run of its own at that threshold (labels, calibration, two attributes and their intersection)", async () => {
    const y = (v: number) => (v >= 0.5 ? 1 : 0);
    const labeled = join(dir, "labeled.csv");
    await writeFile(labeled, `g,h,y,score\n${A.flatMap((a, i) => [`A,${i % 2 ? "p" : "q"},${y(a)},${a}`, `B,${i % 3 ? "p" : "q"},${1 - y(B[i]!)},${B[i]}`]).join("\n")}\n`);
    const gated = join(dir, "gated.json");
    const thresholds = { disparateImpactRatio: 0.8, equalOpportunityGap: 0.3, calibrationGap: { warning: 0.2 }, predictiveParityGap: 0.5 };
    await writeFile(gated, JSON.stringify({ ...POLICY, sensitiveAttributes: ["g", "h"], thresholds, minGroupSize: 3 }));
    const args = ["check", "--input", labeled, "--policy", gated, "--label", "y", "--score", "score", "--json"];
    const swept = evaluationSchema.parse(JSON.parse((await run([...args, "--threshold", "0.5", "--sweep", "0.2:0.8:0.3"])).stdout)).thresholdSweep!;
    expect(swept.points.map((p) => p.threshold)).toEqual([0.2, 0.5, 0.8]);
    for (const p of swept.points) {
      const alone = evaluationSchema.parse(JSON.parse((await run([...args, "--threshold", String(p.threshold)])).stdout));
      expect(p.verdict).toBe(alone.verdict);
      expect(p.violations).toEqual(alone.violations);
      expect(p.slices.map((s) => s.slice)).toEqual(["g", "h", "g|h"]);
      p.slices.forEach((s, i) => {
        const r = alone.results[i]!;
        expect(s.groups).toEqual(r.groups.map((g) => ({ value: g.value, n: g.n, selected: g.selected, selectionRate: g.selectionRate, tpr: g.tpr, fpr: g.fpr })));
        for (const m of Object.keys(thresholds) as (keyof typeof thresholds)[])
          expect(s.metrics[m]).toEqual({ value: r.metrics[m].value, interval: r.metrics[m].interval, status: r.metrics[m].status, block: r.metrics[m].threshold?.block ?? null });
      });
      // The calibration gap has a value (labels and unit scores), so the shared calibration was exercised.
      expect(p.slices[0]!.metrics.calibrationGap!.value).not.toBeNull();
    }
  });

  it("draws the sweep in report.html (one marker per blocking point)", async () => {
    const out = join(dir, "out");
    const r = await run([...base(), "--threshold", "0.2", "--sweep", "0.2:0.8:0.2", "--out", out]);
    expect(r.code).toBe(0);
    const html = await readFile(join(out, "report.html"), "utf8");
    expect(html).toContain('id="threshold-sweep"');
    // DI ratio blocks at 0.4, 0.6 and 0.8; the parity gap (critical there) never reaches its block tier.
    expect(html.match(/class="sweep-block"/g)).toHaveLength(3);
    expect(html).toMatch(/<svg class="chart sweep"[^>]*aria-label="Selection rate by group of g by threshold"/);
    const saved = evaluationSchema.parse(JSON.parse(await readFile(join(out, "evaluation.json"), "utf8")));
    expect(saved.thresholdSweep!.points).toHaveLength(4);
    // The Markdown summary lists the verdict and the gated metrics at each threshold (DI ratio 0.4 = 0.2/0.5 at 0.6).
    const md = join(dir, "sweep.md");
    await run([...base(), "--threshold", "0.2", "--sweep", "0.2:0.8:0.2", "--summary", md]);
    const text = await readFile(md, "utf8");
    expect(text).toContain("| threshold | verdict | disparate impact ratio | demographic parity gap |");
    expect(text).toContain("| 0.6 | block | 0.400 ❌ | 0.300 |");
    expect(text).toContain("| 0.2 | pass | 0.889 | 0.100 |");
  });

  it("refuses a malformed or oversized range, and a sweep without a score", async () => {
    for (const [args, msg] of [
      [[...base(), "--threshold", "0.5", "--sweep", "0.2:0.8"], /--sweep must be FROM:TO:STEP/],
      [[...base(), "--threshold", "0.5", "--sweep", "0.8:0.2:0.1"], /to must not be below from/],
      [[...base(), "--threshold", "0.5", "--sweep", "0:1:0"], /step must be positive/],
      [[...base(), "--threshold", "0.5", "--sweep", "0:1:0.001"], /1001 thresholds; at most 201/],
      [["check", "--input", csv, "--policy", policy, "--decision", "score", "--sweep", "0:1:0.5"], /--sweep only applies with --score/],
    ] as const) {
      const r = await run([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe("");
    }
  });
});

describe("--scoring-rate median", () => {
  it("selects scores strictly above the whole file's median (LL144's scoring rate)", async () => {
    const r = await run([...base(), "--scoring-rate", "median", "--json"]);
    const ev = evaluationSchema.parse(JSON.parse(r.stdout));
    expect(rateOf(ev.groups, "A")).toBeCloseTo(0.6, 12);
    expect(rateOf(ev.groups, "B")).toBeCloseTo(0.3, 12);
    expect(ev.metrics.disparateImpactRatio).toBeCloseTo(0.5, 12);
    expect(ev.verdict).toBe("block");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/above the median score 0\.4 of all 20 rows/);
    // ... and recorded in the evaluation, not only printed.
    expect(ev.selection).toEqual({ kind: "score", column: "score", rule: "above-median", threshold: 0.4 });
    const fixed = evaluationSchema.parse(JSON.parse((await run([...base(), "--threshold", "0.5", "--json"])).stdout));
    expect(fixed.selection).toEqual({ kind: "score", column: "score", rule: "at-least", threshold: 0.5 });
  });

  it("agrees with fairgate audit ll144's scoring rate on the same file", async () => {
    // The audit needs sex and race columns: the same rows with a constant sex and g as race.
    const ll = join(dir, "ll.csv");
    await writeFile(ll, `sex,race,score\n${A.flatMap((a, i) => [`F,A,${a}`, `F,B,${B[i]}`]).join("\n")}\n`);
    const audit = JSON.parse((await run(["audit", "ll144", "--input", ll, "--sex", "sex", "--race", "race", "--score", "score", "--json"])).stdout);
    const ev = JSON.parse((await run([...base(), "--scoring-rate", "median", "--json"])).stdout);
    expect(audit.medianScore).toBe(0.4);
    for (const row of audit.tables.race) expect(rateOf(ev.groups, row.category)).toBe(row.rate);
  });

  it("is refused with --threshold, without --score, or with another value", async () => {
    for (const [args, msg] of [
      [[...base(), "--scoring-rate", "median", "--threshold", "0.5"], /mutually exclusive/],
      [["check", "--input", csv, "--policy", policy, "--decision", "score", "--scoring-rate", "median"], /--scoring-rate only applies with --score/],
      [[...base(), "--scoring-rate", "mean"], /--scoring-rate must be median/],
    ] as const) {
      const r = await run([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });
});
