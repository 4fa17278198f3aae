/**
 * Multiplicity (Holm, Benjamini–Hochberg) over a family of interval tests, and the
 * equivalence field ("shown fair"). The family tests below have normal intervals
 * est ± z·se with known (est − t)/se, so their p-values come from the normal table:
 * two-sided p = 2(1 − Φ(x)): x = 3.0 → 0.0027, 2.3 → 0.0214, 2.2 → 0.0278, 2.1 → 0.0357.
 */
import { describe, expect, it } from "vitest";
import { zFor } from "../../worker/domain/analytic.js";
import type { ConfusionTable } from "../../worker/domain/confusion.js";
import { buildEvaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { readEvaluation } from "../../worker/domain/evaluation-read.js";
import { decideGate } from "../../worker/domain/gate.js";
import { bootstrapSamples, sampleInterval } from "../../worker/domain/intervals.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { adjustedLevels, type FamilyTest } from "../../worker/domain/multiplicity.js";
import { type FairnessPolicy, fairnessPolicySchema } from "../../worker/domain/policy.js";
import { equivalenceText, sliceResults } from "../../worker/domain/report-results.js";

/** A gap test whose interval is est ± z·se, with (est − threshold)/se = x. */
const normalTest = (x: number): FamilyTest => ({
  metric: "demographicParityGap",
  threshold: 0.1,
  at: (level) => ({ lower: 0.1 + x * 0.01 - zFor(level) * 0.01, upper: 0.1 + x * 0.01 + zFor(level) * 0.01 }),
});

describe("adjustedLevels", () => {
  const family = [normalTest(2.1), normalTest(3.0), normalTest(2.2)];
  it("holm steps down: p 0.0027 ≤ 0.05/3 is rejected, then 0.0278 > 0.05/2 stops", () => {
    expect(adjustedLevels(family, 0.05, "holm")).toEqual([1 - 0.05 / 2, 1 - 0.05 / 3, 1 - 0.05 / 2]);
  });
  it("holm rejects all three when 0.0214 > 0.05/3 but ≤ 0.05/2, then 0.0357 ≤ 0.05", () => {
    expect(adjustedLevels([normalTest(2.1), normalTest(3.0), normalTest(2.3)], 0.05, "holm")).toEqual([0.95, 1 - 0.05 / 3, 1 - 0.05 / 2]);
  });
  it("bh steps up: the largest p 0.0357 ≤ 3·0.05/3 rejects all three at level 0.95", () => {
    expect(adjustedLevels(family, 0.05, "bh")).toEqual([0.95, 0.95, 0.95]);
    // Alone, 0.0357 ≤ 0.05 is rejected; with two nulls far inside, BH needs p ≤ 0.05/3 and reports 1 − α/m.
    expect(adjustedLevels([normalTest(2.1), normalTest(-5), normalTest(-5)], 0.05, "bh")).toEqual([1 - 0.05 / 3, 1 - 0.05 / 3, 1 - 0.05 / 3]);
  });
  it("none runs every test at 1 − α", () => {
    expect(adjustedLevels(family, 0.1, "none")).toEqual([0.9, 0.9, 0.9]);
    expect(adjustedLevels([], 0.05, "holm")).toEqual([]);
  });
});

const grp = (value: string, n: number, selected: number) => ({ value, n, selected, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 });
const pol = (extra: Record<string, unknown>): FairnessPolicy =>
  fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "g", minSampleSize: 10, minGroupSize: 1, intervalMethod: "analytic", ...extra });
function evaluate(p: FairnessPolicy, table: ConfusionTable) {
  const gate = decideGate(p, { observed: [{ name: "g", attributes: ["g"], table, calibration: null }] }, null);
  return evaluationSchema.parse(buildEvaluation({ id: "e", flowId: "f", flowKey: "k", version: 1, trigger: "publish", policy: p, window: null, now: new Date(0) }, gate));
}

describe("multiplicity in the gate", () => {
  // 250/500 vs 200/500: gap 0.1; Newcombe lower ≈ 0.039 at 95%, ≈ 0.030 at 97.5% (Wald: 0.1 − z·0.0313).
  const table = { groups: [grp("a", 500, 250), grp("b", 500, 200)] };
  const thresholds = { demographicParityGap: 0.035, disparateImpactRatio: 0.85 };
  it("Holm (the default) runs a family of two at 97.5%, so a 95% breach becomes insufficient evidence", () => {
    const none = evaluate(pol({ thresholds, decisionRule: "confident", multiplicity: "none" }), table);
    expect(none.results[0]!.metrics.demographicParityGap).toMatchObject({ status: "block", level: 0.95 });
    expect(none.verdict).toBe("block");
    const holm = evaluate(pol({ thresholds, decisionRule: "confident" }), table);
    expect(holm.multiplicity).toEqual({ method: "holm", familySize: 2, alpha: 0.05 });
    const m = holm.results[0]!.metrics.demographicParityGap;
    expect(m).toMatchObject({ status: "insufficient_evidence", level: 0.975, equivalence: "undetermined" });
    expect(m.interval!.lower).toBeLessThan(0.035);
    expect(holm.verdict).toBe("skip");
    expect(holm.insufficientEvidence.join("\n")).toMatch(/97\.5% interval/);
  });
  it("the point rule is not adjusted", () => {
    const e = evaluate(pol({ thresholds }), table);
    expect(e.multiplicity).toBeNull();
    expect(e.results[0]!.metrics.demographicParityGap.level).toBe(0.95);
  });
  it("counts every gated metric of every slice", () => {
    const p = pol({ sensitiveAttributes: ["g", "h"], thresholds: { demographicParityGap: 0.5 }, decisionRule: "confident" });
    const s = (name: string) => ({ name, attributes: name.split("|"), table, calibration: null });
    const gate = decideGate(p, { observed: [s("g"), s("h"), s("g|h")] }, null);
    expect(gate.multiplicity).toEqual({ method: "holm", familySize: 3, alpha: 0.05 });
    // Nothing rejected: all three are run at 1 − 0.05/3.
    for (const r of gate.results) expect(r.metrics.demographicParityGap.level).toBeCloseTo(1 - 0.05 / 3, 15);
  });
});

describe("multiplicity with the bootstrap", () => {
  it("reads the kept replicates at the adjusted level (quantiles 1.25% and 98.75% for a family of two)", () => {
    const resample = createReferenceKernels().bootstrap;
    const p = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "g", minSampleSize: 10, minGroupSize: 1, decisionRule: "confident", bootstrapReplicates: 400, thresholds: { demographicParityGap: 0.3, disparateImpactRatio: 0.5 } });
    const groups = [grp("a", 300, 150), grp("b", 300, 120)];
    const gate = decideGate(p, { observed: [{ name: "g", attributes: ["g"], table: { groups }, calibration: null }] }, null, { resample });
    const samples = bootstrapSamples(groups, null, { resample, replicates: 400, seed: 1 });
    const m = gate.results[0]!.metrics.demographicParityGap;
    expect(m.level).toBe(0.975);
    expect(m.intervalMethod).toBe("poisson-bootstrap");
    expect(m.interval).toEqual(sampleInterval(samples.demographicParityGap, 0.975));
    expect(m.interval!.upper - m.interval!.lower).toBeGreaterThan(sampleInterval(samples.demographicParityGap, 0.95)!.upper - sampleInterval(samples.demographicParityGap, 0.95)!.lower);
  });
});

describe("stored evaluations", () => {
  it("keep the new fields through readEvaluation, and bodies stored without them stay readable", () => {
    const p = pol({ thresholds: { demographicParityGap: 0.035 }, decisionRule: "confident" });
    const e = evaluate(p, { groups: [grp("a", 500, 250), grp("b", 500, 200)] });
    expect(readEvaluation(JSON.parse(JSON.stringify(e)))).toEqual(e);
    const { multiplicity: _m, ...old } = JSON.parse(JSON.stringify(e));
    for (const r of old.results) for (const k of Object.keys(r.metrics)) for (const f of ["level", "intervalMethod", "pair", "equivalence", "sequence"]) delete r.metrics[k][f];
    const read = readEvaluation(old);
    expect(read.results[0]!.metrics.demographicParityGap.value).toBeCloseTo(0.1, 12);
    expect(read.results[0]!.metrics.demographicParityGap.equivalence).toBeUndefined();
  });
});

describe("equivalence (two one-sided tests against the threshold)", () => {
  // 500/1000 vs 490/1000: gap 0.01, 95% interval about [−0.034, 0.054].
  const close = { groups: [grp("a", 1000, 500), grp("b", 1000, 490)] };
  it("shown_within when the interval lies wholly inside, undetermined when it straddles; the verdict is unchanged", () => {
    const within = evaluate(pol({ thresholds: { demographicParityGap: 0.1 } }), close);
    expect(within.results[0]!.metrics.demographicParityGap.equivalence).toBe("shown_within");
    const straddle = evaluate(pol({ thresholds: { demographicParityGap: 0.03 } }), close);
    expect(straddle.results[0]!.metrics.demographicParityGap.equivalence).toBe("undetermined");
    expect(straddle.verdict).toBe("pass"); // the point rule still passes 0.01 ≤ 0.03
    expect(within.results[0]!.metrics.disparateImpactRatio.equivalence).toBeNull(); // not gated
  });
  it("shown_beyond when the interval lies wholly past it (a ratio: wholly below)", () => {
    const far = evaluate(pol({ thresholds: { disparateImpactRatio: 0.8 } }), { groups: [grp("a", 1000, 500), grp("b", 1000, 300)] });
    expect(far.results[0]!.metrics.disparateImpactRatio).toMatchObject({ equivalence: "shown_beyond", status: "block" });
  });
  it("the report says which holds in plain words", () => {
    const e = evaluate(pol({ thresholds: { demographicParityGap: 0.03 } }), close);
    const row = sliceResults(e, null)[0]!.metrics.find((m) => m.metric === "demographicParityGap")!;
    expect(row.equivalence).toBe("undetermined");
    expect(row.equivalenceText).toMatch(/not shown either way.*a breach was not shown, not that fairness was shown/);
    expect(equivalenceText("shown_within", 0.975)).toMatch(/shown within the threshold: the whole 97\.5% interval/);
  });
});
