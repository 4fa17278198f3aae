/**
 * Analytic intervals against published reference values, through the domain gate:
 * Newcombe (1998), Stat. Med. 17:873, Table II, method 10 (hybrid score) for
 * differences of proportions; Katz's log interval for the ratio (the values of
 * scipy.stats.contingency.relative_risk for 10/75 vs 12/225: 2.5, [1.12616, 5.54985]).
 * Also the normal quantile against textbook values.
 */
import { describe, expect, it } from "vitest";
import { extremePair, katzRatio, newcombeDifference, normalQuantile, zFor } from "../../worker/domain/analytic.js";
import type { ConfusionTable } from "../../worker/domain/confusion.js";
import { buildEvaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { decideGate } from "../../worker/domain/gate.js";
import { type FairnessPolicy, fairnessPolicySchema } from "../../worker/domain/policy.js";

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
const r5 = (x: number) => Math.round(x * 100_000) / 100_000;

/** A group with `selected` of `n` selected and no outcome labels. */
const grp = (value: string, n: number, selected: number) => ({ value, n, selected, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 });

const policy = (extra: Record<string, unknown>): FairnessPolicy =>
  fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "g", minSampleSize: 10, minGroupSize: 1, intervalMethod: "analytic", ...extra });

/** The evaluation (parsed by its schema) of one table under `p`. */
function evaluate(p: FairnessPolicy, table: ConfusionTable) {
  const gate = decideGate(p, { observed: [{ name: "g", attributes: ["g"], table, calibration: null }] }, null);
  const now = new Date("2026-12-01T00:00:00Z");
  return evaluationSchema.parse(buildEvaluation({ id: "e1", flowId: "f", flowKey: "k", version: 1, trigger: "publish", policy: p, window: null, now }, gate));
}

describe("normal quantile (AS 241)", () => {
  it("matches tabulated values", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489, 12);
    expect(normalQuantile(0.3)).toBeCloseTo(-0.5244005127080407, 14);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 10);
    expect(zFor(0.9)).toBeCloseTo(1.6448536269514722, 14);
  });
});

describe("Newcombe hybrid score interval (method 10)", () => {
  const table2: [number, number, number, number, number, number][] = [
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
  ];
  it("reproduces Newcombe 1998, Table II", () => {
    for (const [k1, n1, k2, n2, lo, hi] of table2) {
      const iv = newcombeDifference(k1, n1, k2, n2, zFor(0.95))!;
      expect([r4(iv.lower), r4(iv.upper)]).toEqual([lo, hi]);
    }
  });
  it("is the demographic parity gap's interval in an evaluation under intervalMethod analytic", () => {
    for (const [k1, n1, k2, n2, lo, hi] of table2) {
      const e = evaluate(policy({ thresholds: { demographicParityGap: 0.9 } }), { groups: [grp("b", n2, k2), grp("a", n1, k1)] });
      const m = e.results[0]!.metrics.demographicParityGap;
      expect(m.value).toBeCloseTo(k1 / n1 - k2 / n2, 12);
      expect([r4(m.interval!.lower), r4(m.interval!.upper)]).toEqual([lo, hi]);
      expect(m.intervalMethod).toBe("newcombe-hybrid-score");
      expect(m.pair).toEqual({ rate: "selectionRate", high: "a", low: "b" });
      expect(m.level).toBe(0.95);
      expect(e.intervals?.aggregates).toBe("analytic");
    }
  });
});

describe("Katz log interval", () => {
  it("reproduces scipy's relative_risk for 10/75 vs 12/225", () => {
    const iv = katzRatio(10, 75, 12, 225, zFor(0.95))!;
    expect([r5(iv.lower), r5(iv.upper)]).toEqual([1.12616, 5.54985]);
    expect(katzRatio(0, 75, 12, 225, 1.96)).toBeNull();
  });
  it("gives the disparate impact ratio 0.4 = (12/225) / (10/75) its interval [0.18019, 0.88798]", () => {
    const e = evaluate(policy({ thresholds: { disparateImpactRatio: 0.8 } }), { groups: [grp("x", 75, 10), grp("y", 225, 12)] });
    const m = e.results[0]!.metrics.disparateImpactRatio;
    expect(m.value).toBeCloseTo(0.4, 12);
    expect([r5(m.interval!.lower), r5(m.interval!.upper)]).toEqual([0.18019, 0.88798]);
    expect(m.intervalMethod).toBe("katz-log");
    expect(m.pair).toEqual({ rate: "selectionRate", high: "x", low: "y" });
  });
});

describe("the extreme pair over several groups", () => {
  it("is the highest and the lowest rate, named in the evaluation", () => {
    const t = { groups: [grp("mid", 100, 40), grp("top", 100, 60), grp("low", 100, 20)] };
    expect(extremePair(t.groups, "selectionRate")).toMatchObject({ high: { value: "top" }, low: { value: "low" } });
    const e = evaluate(policy({ thresholds: { demographicParityGap: 0.2 } }), t);
    const m = e.results[0]!.metrics.demographicParityGap;
    const ref = newcombeDifference(60, 100, 20, 100, zFor(0.95))!;
    expect(m.interval).toEqual(ref);
    expect(m.pair).toEqual({ rate: "selectionRate", high: "top", low: "low" });
  });
  it("the bootstrap stays the default and the FN/FP and calibration gaps keep it under analytic", () => {
    const t = { groups: [grp("a", 100, 40), grp("b", 100, 60)] };
    const p = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "g", minSampleSize: 10, thresholds: { demographicParityGap: 0.3 } });
    const gate = decideGate(p, { observed: [{ name: "g", attributes: ["g"], table: t, calibration: null }] }, null);
    expect(gate.results[0]!.metrics.demographicParityGap.intervalMethod).toBeNull(); // no resampler given: point estimate only
    const a = evaluate(policy({ thresholds: { treatmentEqualityGap: 3 } }), t);
    expect(a.results[0]!.metrics.treatmentEqualityGap.intervalMethod ?? null).toBeNull();
  });
});
