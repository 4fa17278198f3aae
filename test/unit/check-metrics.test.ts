/**
 * `fairgate check` and the metrics issue, in-process through main(): the summary's
 * per-group table with Wilson intervals and the metric lines with bootstrap
 * intervals, tiered thresholds, `--baseline` regressions, calibration from `--score`,
 * and the same domain evaluation shape as the gateway.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../scripts/fairgate.js";
import { evaluationSchema } from "../../worker/domain/evaluation.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fairgate-check-metrics-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, now: () => new Date("2026-03-01T00:00:00Z"), newId: () => "id" });
  return { code, stdout, stderr };
}

/** 200 rows per group; group B is selected less often (SR .5 vs .4) with scores as probabilities. */
function csv(srB: number) {
  const lines = ["g,y,d,p"];
  for (let i = 0; i < 400; i++) {
    const g = i % 2 === 0 ? "A" : "B";
    const k = Math.floor(i / 2);
    const d = k < 200 * (g === "A" ? 0.5 : srB) ? 1 : 0;
    lines.push(`${g},${k % 3 === 0 ? 1 : 0},${d},${(k % 10) / 10 + 0.05}`);
  }
  return `${lines.join("\n")}\n`;
}

describe("fairgate check with intervals, tiers and a baseline", () => {
  it("prints intervals, returns warnings for tiers and regressions, and blocks only on the block tier", async () => {
    const policy = join(dir, "policy.json");
    await writeFile(policy, JSON.stringify({ enabled: true, sensitiveAttribute: "g", thresholds: { disparateImpactRatio: { warning: 0.95, block: 0.5 } }, maxRegression: { demographicParityGap: 0.02 } }));
    await writeFile(join(dir, "before.csv"), csv(0.48));
    await writeFile(join(dir, "after.csv"), csv(0.4));
    const args = (f: string) => ["check", "--input", join(dir, f), "--sensitive", "g", "--label", "y", "--decision", "d", "--policy", policy];

    const before = await run([...args("before.csv"), "--json"]);
    expect(before.code).toBe(0);
    const baseline = join(dir, "before.json");
    await writeFile(baseline, before.stdout);
    const ev = evaluationSchema.parse(JSON.parse(before.stdout));
    expect(ev.results[0]!.metrics.demographicParityGap.interval).not.toBeNull();

    const after = await run([...args("after.csv"), "--baseline", baseline, "--json"]);
    expect(after.code).toBe(0); // DIR .8: a warning, not a block
    const e = evaluationSchema.parse(JSON.parse(after.stdout));
    expect(e.verdict).toBe("pass");
    expect(e.warnings.map((w) => [w.kind, w.tier, w.metric])).toEqual([["threshold", "warning", "disparateImpactRatio"], ["regression", "warning", "demographicParityGap"]]);
    expect(e.baseline).toMatchObject({ evaluationId: "id", regressions: [{ metric: "demographicParityGap", baseline: expect.closeTo(0.02, 9), current: expect.closeTo(0.1, 9) }] });

    const text = await run([...args("after.csv"), "--baseline", baseline]);
    expect(text.stdout).toMatch(/group\s+n\s+selected\s+SR\s+TPR\s+FPR\s+FNR\s+PPV\s+SR 95% CI\s+TPR 95% CI\s+FPR 95% CI/);
    expect(text.stdout).toMatch(/A\s+200\s+100\s+0\.500 .* \[0\.431, 0\.569\]/); // Wilson for 100/200
    expect(text.stdout).toMatch(/disparate impact ratio\s+0\.800\s+\[0\.\d{3}, 0\.\d{3}\]\s+warning/);
    expect(text.stdout).toMatch(/- \[warning\] demographic parity gap 0\.100 worsened by 0\.080 since evaluation id \(0\.020\), more than maxRegression 0\.02/);
    expect(text.stdout).toMatch(/policy: disparate impact ratio >= 0\.95 \(warning\), 0\.5 \(block\)/);
  });

  it("computes calibration from --score when scores are probabilities, and refuses a bad baseline in one line", async () => {
    await writeFile(join(dir, "scores.csv"), csv(0.4));
    const r = await run(["check", "--input", join(dir, "scores.csv"), "--sensitive", "g", "--label", "y", "--score", "p", "--threshold", "0.5", "--json"]);
    const e = evaluationSchema.parse(JSON.parse(r.stdout));
    expect(e.groups[0]!.calibration!.n).toBe(200);
    expect(e.results[0]!.metrics.calibrationGap.value).not.toBeNull();
    const bad = await run(["check", "--input", join(dir, "scores.csv"), "--sensitive", "g", "--decision", "d", "--baseline", join(dir, "nope.json")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(`fairgate: ${join(dir, "nope.json")}: baseline file not found`);
  });
});
