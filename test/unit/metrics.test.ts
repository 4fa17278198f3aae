/**
 * The full metric set against hand-computed counts, the small-group rule, and the
 * notes that explain a null. Expected values are worked out by hand in the comments.
 */
import { describe, expect, it } from "vitest";
import { expectedCalibrationError, groupCalibration, SCORE_UNIT, scoreBin } from "../../worker/domain/calibration.js";
import type { GroupCounts } from "../../worker/domain/confusion.js";
import { aggregateDetails, computeMetrics, groupReport } from "../../worker/domain/metrics.js";

/** A group from its cells: TP, FP, selected-unlabeled, FN, TN, unselected-unlabeled. */
const g = (value: string, tp: number, fp: number, su: number, fn: number, tn: number, uu: number): GroupCounts => ({
  value, n: tp + fp + su + fn + tn + uu, selected: tp + fp + su, labeled: tp + fp + fn + tn, positives: tp + fn, tp, fp, fn, tn,
});

// A: n 100, 60 selected; TPR 30/40 = .75, FPR 20/50 = .4, PPV 30/50 = .6, FN/FP 10/20 = .5
// B: n 100, 30 selected; TPR 20/50 = .4, FPR 1/40 = .025, PPV 20/21, FN/FP 30/1 = 30
const A = g("A", 30, 20, 10, 10, 30, 0);
const B = g("B", 20, 1, 9, 30, 39, 1);

describe("the full metric set on a hand table", () => {
  const d = aggregateDetails([A, B], null);
  it("keeps the pinned definitions", () => {
    expect(d.disparateImpactRatio.value).toBeCloseTo(0.3 / 0.6, 12);
    expect(d.demographicParityGap.value).toBeCloseTo(0.3, 12);
    expect(d.equalOpportunityGap.value).toBeCloseTo(0.75 - 0.4, 12);
  });
  it("equalized odds is the larger of the TPR gap (.35) and the FPR gap (.375)", () => {
    expect(d.equalizedOddsGap.value).toBeCloseTo(0.4 - 0.025, 12);
    // With B's FPR at .3 the TPR gap is the larger one.
    expect(aggregateDetails([A, g("B", 20, 12, 0, 30, 28, 10)], null).equalizedOddsGap.value).toBeCloseTo(0.35, 12);
  });
  it("predictive parity is the PPV gap; treatment equality the FN/FP ratio gap (max − min, unbounded)", () => {
    expect(d.predictiveParityGap.value).toBeCloseTo(20 / 21 - 0.6, 12);
    expect(d.treatmentEqualityGap.value).toBeCloseTo(30 - 0.5, 12);
    expect(groupReport(B).fnFpRatio).toBe(30);
  });
  it("names the groups a metric is undefined for, and says why a metric is null", () => {
    const noFp = g("C", 5, 0, 0, 5, 40, 0); // FN/FP = 5/0: undefined
    const r = aggregateDetails([A, B, noFp], null);
    expect(r.treatmentEqualityGap.excluded).toEqual(["C"]);
    expect(r.treatmentEqualityGap.value).toBeCloseTo(29.5, 12);
    const unlabeled = aggregateDetails([g("A", 0, 0, 5, 0, 0, 5), g("B", 0, 0, 2, 0, 0, 8)], null);
    expect(unlabeled.equalizedOddsGap).toEqual({ value: null, note: "no outcome labels in the window", excluded: [] });
    expect(unlabeled.predictiveParityGap.note).toBe("no outcome labels in the window");
    expect(unlabeled.calibrationGap.note).toMatch(/no calibration data/);
    const noNegatives = aggregateDetails([g("A", 5, 0, 0, 5, 0, 0), g("B", 3, 0, 0, 7, 0, 0)], null);
    expect(noNegatives.equalOpportunityGap.value).toBeCloseTo(0.2, 12);
    expect(noNegatives.equalizedOddsGap.note).toMatch(/no group has a negative outcome/);
  });
});

describe("calibration", () => {
  // A: bin [0, .5): 10 traces, 2 positive, mean score .3 → |.2 − .3| ; bin [.5, 1): 10, 9 positive, mean .8 → |.9 − .8|
  //    ECE_A = (10/20)·.1 + (10/20)·.1 = .1.  B: one bin, 20 traces, 4 positive, mean .2 → ECE_B = 0.
  const calA = { value: "A", count: [10, 10], positives: [2, 9], scoreSum: [3 * SCORE_UNIT, 8 * SCORE_UNIT] };
  const calB = { value: "B", count: [20, 0], positives: [4, 0], scoreSum: [4 * SCORE_UNIT, 0] };
  it("reports mean score vs observed rate per bin and the expected calibration error", () => {
    const c = groupCalibration(calA, 2);
    expect(c.n).toBe(20);
    expect(c.ece).toBeCloseTo(0.1, 12);
    expect(c.bins).toEqual([
      { lower: 0, upper: 0.5, n: 10, meanScore: 0.3, observedRate: 0.2 },
      { lower: 0.5, upper: 1, n: 10, meanScore: 0.8, observedRate: 0.9 },
    ]);
    expect(groupCalibration(calB, 2).ece).toBe(0);
    expect(expectedCalibrationError([0, 0], [0, 0], [0, 0])).toBeNull();
  });
  it("the calibration gap is the ECE spread between groups", () => {
    expect(aggregateDetails([A, B], [0.1, 0]).calibrationGap.value).toBeCloseTo(0.1, 12);
    expect(aggregateDetails([A, B], [0.1, null]).calibrationGap).toMatchObject({ value: 0, excluded: ["B"] });
  });
  it("bins like the histogram kernel: floor(score × bins), 1.0 and above in the last bin, NaN in none", () => {
    expect([0, 0.0999, 0.1, 0.55, 0.999, 1, 1.5, -0.2].map((s) => scoreBin(s, 10))).toEqual([0, 0, 1, 5, 9, 9, 9, 0]);
    expect(scoreBin(NaN, 10)).toBe(-1);
  });
});

describe("minGroupSize", () => {
  const small = g("tiny", 0, 0, 9, 0, 0, 1); // SR .9, n 10
  it("reports small groups with their counts but leaves them out of every gap", () => {
    const r = computeMetrics({ groups: [A, B, small] }, { minGroupSize: 30 });
    expect(r.groups.map((x) => [x.value, x.n])).toEqual([["A", 100], ["B", 100], ["tiny", 10]]);
    expect(r.excludedGroups).toEqual([{ value: "tiny", n: 10 }]);
    expect(r.metrics.demographicParityGap).toBeCloseTo(0.3, 12);
    // Without the rule the tiny group's .9 would set the maximum.
    expect(computeMetrics({ groups: [A, B, small] }).metrics.demographicParityGap).toBeCloseTo(0.6, 12);
  });
  it("says so when no group is large enough", () => {
    const r = computeMetrics({ groups: [small] }, { minGroupSize: 30 });
    expect(r.metrics.disparateImpactRatio).toBeNull();
    expect(r.metricNotes.disparateImpactRatio).toBe("no group has at least minGroupSize (30) traces");
    expect(r.metrics.sampleSize).toBe(10);
  });
});
