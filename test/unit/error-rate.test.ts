/**
 * Slice error rates and comparisons to overall: per group errorRate = (FP + FN) / labeled
 * and accuracy, errorRateGap (max − min) and errorRateToOverall (largest group error rate
 * minus the slice's overall one), every rate's difference to overall — against a confusion
 * table worked by hand and against Fairlearn's documented definitions (error_rate =
 * 1 − accuracy; MetricFrame.by_group − overall; difference(method="between_groups") =
 * max − min; difference(method="to_overall") = max |by_group − overall|). The gap's
 * analytic interval reproduces Newcombe 1998 Table II; the sequences follow the boundary
 * written out again; an evaluation stored before these fields reads back.
 */
import { describe, expect, it } from "vitest";
import type { GroupCounts } from "../../worker/domain/confusion.js";
import { buildEvaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { readEvaluation } from "../../worker/domain/evaluation-read.js";
import { decideGate } from "../../worker/domain/gate.js";
import { computeMetrics } from "../../worker/domain/metrics.js";
import { type FairnessPolicy, fairnessPolicySchema } from "../../worker/domain/policy.js";
import { metricSequence } from "../../worker/domain/sequential.js";

const g = (value: string, c: { tp: number; fp: number; fn: number; tn: number; unlabeledSelected?: number; unlabeled?: number }): GroupCounts => {
  const labeled = c.tp + c.fp + c.fn + c.tn;
  return { value, n: labeled + (c.unlabeled ?? 0), selected: c.tp + c.fp + (c.unlabeledSelected ?? 0), labeled, positives: c.tp + c.fn, tp: c.tp, fp: c.fp, fn: c.fn, tn: c.tn };
};

// The hand-worked table:
//   a: TP 30, FP 10, FN 20, TN 40 (+ 20 unlabeled, 5 of them selected) → n 120, selected 45, labeled 100
//   b: TP 20, FP 30, FN 10, TN 140                                      → n 200, selected 50, labeled 200
//   c: TP 5,  FP 5,  FN 5,  TN 35                                       → n 50,  selected 10, labeled 50
// errorRate: a (10+20)/100 = 0.30, b (30+10)/200 = 0.20, c (5+5)/50 = 0.20; accuracy 0.70, 0.80, 0.80
// overall (pooled): errors 30 + 40 + 10 = 80 of 350 labeled → 8/35 = 0.228571; accuracy 27/35
// errorRateGap = 0.30 − 0.20 = 0.10; errorRateToOverall = 0.30 − 8/35 = 1/14 = 0.071429
// toOverall.errorRate: a +1/14, b and c 0.2 − 8/35 = −1/35
// selectionRate: a 45/120, overall (45+50+10)/370 = 105/370; tpr overall (30+20+5)/(50+30+10) = 55/90
const table = { groups: [g("a", { tp: 30, fp: 10, fn: 20, tn: 40, unlabeled: 20, unlabeledSelected: 5 }), g("b", { tp: 20, fp: 30, fn: 10, tn: 140 }), g("c", { tp: 5, fp: 5, fn: 5, tn: 35 })] };

const policy = (extra: Record<string, unknown>): FairnessPolicy =>
  fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "g", minSampleSize: 10, minGroupSize: 1, ...extra });
const evaluate = (p: FairnessPolicy, t = table) => {
  const gate = decideGate(p, { observed: [{ name: "g", attributes: ["g"], table: t, calibration: null }] }, null);
  return evaluationSchema.parse(buildEvaluation({ id: "e1", flowId: "f", flowKey: "k", version: 1, trigger: "publish", policy: p, window: null, now: new Date(0) }, gate));
};

describe("by hand", () => {
  it("per group error rate and accuracy, overall, and every rate's difference to overall", () => {
    const m = computeMetrics(table);
    expect(m.groups.map((x) => x.errorRate)).toEqual([0.3, 0.2, 0.2]);
    expect(m.groups.map((x) => x.accuracy)).toEqual([0.7, 0.8, 0.8]);
    expect(m.comparison.overall.errorRate).toBeCloseTo(8 / 35, 15);
    expect(m.comparison.overall.accuracy).toBeCloseTo(27 / 35, 15);
    expect(m.comparison.overall).toMatchObject({ n: 370, labeled: 350 });
    expect(m.comparison.toOverall[0]!.errorRate).toBeCloseTo(1 / 14, 15);
    expect(m.comparison.toOverall[1]!.errorRate).toBeCloseTo(-1 / 35, 15);
    expect(m.comparison.toOverall[0]!.selectionRate).toBeCloseTo(45 / 120 - 105 / 370, 15);
    expect(m.comparison.toOverall[2]!.tpr).toBeCloseTo(5 / 10 - 55 / 90, 15);
    expect(m.aggregates.errorRateGap.value).toBeCloseTo(0.1, 15);
    expect(m.aggregates.errorRateToOverall.value).toBeCloseTo(1 / 14, 15);
  });
  it("Fairlearn's definitions: error_rate = 1 − accuracy; to_overall = by_group − overall; between_groups = max − min", () => {
    const m = computeMetrics(table);
    for (const [i, x] of m.groups.entries()) {
      expect(x.errorRate! + x.accuracy!).toBeCloseTo(1, 15);
      // accuracy's difference to overall is the error rate's, negated (both are 1 − the other).
      expect(m.comparison.toOverall[i]!.accuracy).toBeCloseTo(-m.comparison.toOverall[i]!.errorRate!, 15);
    }
    const rates = m.groups.map((x) => x.errorRate!);
    expect(m.aggregates.errorRateGap.value).toBeCloseTo(Math.max(...rates) - Math.min(...rates), 15);
    // Our threshold is one-sided — how far the worst group is *above* overall: max(by_group − overall).
    // Fairlearn's difference(method="to_overall") is max |by_group − overall|; here the two agree (1/14 > 1/35) …
    const diffs = m.comparison.toOverall.map((x) => x.errorRate!);
    expect(Math.max(...diffs.map(Math.abs))).toBeCloseTo(m.aggregates.errorRateToOverall.value!, 15);
    // … and where the large deviation is *below* overall they differ: a 10-trace group at 0.1 beside 1,000 at 0.5.
    const below = computeMetrics({ groups: [g("s", { tp: 9, fp: 1, fn: 0, tn: 0 }), g("t", { tp: 250, fp: 250, fn: 250, tn: 250 })] });
    // overall = (1 + 500) / 1010 = 0.496040; one-sided: 0.5 − 0.496040 = 0.003960; Fairlearn: |0.1 − 0.496040| = 0.396040
    expect(below.aggregates.errorRateToOverall.value).toBeCloseTo(0.5 - 501 / 1010, 15);
    expect(Math.max(...below.comparison.toOverall.map((x) => Math.abs(x.errorRate!)))).toBeCloseTo(501 / 1010 - 0.1, 15);
  });
  it("groups without labels have no error rate and are named; small groups stay out of the overall", () => {
    const m = computeMetrics({ groups: [...table.groups, { value: "d", n: 40, selected: 10, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 }] });
    expect(m.groups[3]!.errorRate).toBeNull();
    expect(m.comparison.toOverall[3]!.errorRate).toBeNull();
    expect(m.aggregates.errorRateGap.excluded).toEqual(["d"]);
    const small = computeMetrics(table, { minGroupSize: 60 });
    // c (n 50) is reported and compared, but the overall pools a and b only: 70/300.
    expect(small.comparison.overall.errorRate).toBeCloseTo(70 / 300, 15);
    expect(small.comparison.toOverall[2]!.errorRate).toBeCloseTo(0.2 - 70 / 300, 15);
    expect(computeMetrics({ groups: [g("a", { tp: 0, fp: 0, fn: 0, tn: 0, unlabeled: 50 })] }).aggregates.errorRateGap.note).toBe("no outcome labels in the window");
  });
});

describe("in the gate and the evaluation", () => {
  it("gates errorRateGap and errorRateToOverall with tiers like every other gap", () => {
    const e = evaluate(policy({ thresholds: { errorRateGap: 0.05, errorRateToOverall: { warning: 0.05, block: 0.1 } } }));
    expect(e.verdict).toBe("block");
    expect(e.violations).toEqual(["error rate gap 0.100 > threshold 0.05"]);
    expect(e.warnings.map((w) => w.message)).toEqual(["error rate above overall 0.071 > threshold 0.05 (warning)"]);
    const r = e.results[0]!;
    expect(r.metrics.errorRateToOverall).toMatchObject({ status: "warning" });
    expect(r.overall?.errorRate).toBeCloseTo(8 / 35, 15);
    expect(r.groups[0]!.toOverall?.errorRate).toBeCloseTo(1 / 14, 15);
    // The top-level groups are the primary slice's, with the same fields.
    expect(e.groups[1]!.errorRate).toBe(0.2);
    expect(evaluate(policy({ thresholds: { errorRateGap: 0.1 } })).verdict).toBe("pass");
  });
  it("the gap's analytic interval is Newcombe's on the extreme pair: Table II, 56/70 − 48/80 → [0.0524, 0.3339]", () => {
    // Error rates: a 56 errors of 70 labeled, b 48 of 80.
    const t = { groups: [g("a", { tp: 7, fp: 30, fn: 26, tn: 7 }), g("b", { tp: 16, fp: 24, fn: 24, tn: 16 })] };
    const m = evaluate(policy({ intervalMethod: "analytic", thresholds: { errorRateGap: 0.5 } }), t).results[0]!.metrics.errorRateGap;
    expect(m.value).toBeCloseTo(56 / 70 - 48 / 80, 15);
    expect(m.intervalMethod).toBe("newcombe-hybrid-score");
    expect(m.pair).toEqual({ rate: "errorRate", high: "a", low: "b" });
    expect([m.interval!.lower, m.interval!.upper].map((x) => Math.round(x * 10_000) / 10_000)).toEqual([0.0524, 0.3339]);
  });
  it("an evaluation stored before the slice error rate reads back, the new metrics not computed", () => {
    const e = evaluate(policy({ thresholds: { errorRateGap: 0.5 } }));
    const old = JSON.parse(JSON.stringify(e));
    for (const r of old.results) {
      delete r.overall;
      delete r.metrics.errorRateGap;
      delete r.metrics.errorRateToOverall;
      for (const x of r.groups) for (const k of ["errorRate", "accuracy", "toOverall"]) delete x[k];
    }
    for (const x of old.groups) for (const k of ["errorRate", "accuracy", "toOverall"]) delete x[k];
    const back = readEvaluation(old);
    expect(back.results[0]!.metrics.errorRateGap).toMatchObject({ value: null, status: "unavailable", note: "not computed when this evaluation was made" });
    expect(back.groups[0]!.errorRate).toBeUndefined();
    // A current one reads back unchanged.
    expect(readEvaluation(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });
});

describe("sequences (decisionRule sequential), α 0.05, ρ 25", () => {
  const radius = (t: number, a: number, rho: number) => Math.sqrt((t / 4 + rho) * Math.log((t / 4 + rho) / (rho * a * a))) / t;
  // a: 400 errors of 1,000 labeled, b: 200 of 1,000; each group's error rate at α/2: r = radius(1000, 0.025, 25) = 0.0518489.
  const groups = [g("a", { tp: 300, fp: 200, fn: 200, tn: 300 }), g("b", { tp: 400, fp: 100, fn: 100, tn: 400 })];
  const r = radius(1000, 0.025, 25);
  it("errorRateGap: [0.4 − r − (0.2 + r), 0.4 + r − (0.2 − r)] = [0.096302, 0.303698]", () => {
    const iv = metricSequence("errorRateGap", groups, 0.05, 25)!;
    expect(iv.lower).toBeCloseTo(0.2 - 2 * r, 12);
    expect(iv.upper).toBeCloseTo(0.2 + 2 * r, 12);
    expect(iv.lower).toBeCloseTo(0.096302, 5);
  });
  it("errorRateToOverall: weights ½, a − overall = ½(e_a − e_b) ∈ [½(0.4 − r) − ½(0.2 + r), …] = [0.048151, 0.151849]", () => {
    const iv = metricSequence("errorRateToOverall", groups, 0.05, 25)!;
    expect(iv.lower).toBeCloseTo(0.1 - r, 12);
    expect(iv.upper).toBeCloseTo(0.1 + r, 12);
    expect(iv.lower).toBeCloseTo(0.048151, 5);
  });
});
