/**
 * Simultaneous pairwise intervals (intervalMethod "simultaneous"): with two groups they
 * are the published Newcombe / Katz intervals folded onto the unsigned gap / the ratio
 * min/max; with k groups every pair is at the Bonferroni level (z from the normal table:
 * z(1 − 0.05/6) = 2.3940 for three groups).
 */
import { describe, expect, it } from "vitest";
import { newcombeDifference } from "../../worker/domain/analytic.js";
import { decideGate } from "../../worker/domain/gate.js";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { simultaneousGap, simultaneousRatio } from "../../worker/domain/simultaneous.js";

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
const r5 = (x: number) => Math.round(x * 100_000) / 100_000;
const grp = (value: string, n: number, selected: number) => ({ value, n, selected, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 });

describe("simultaneous intervals", () => {
  it("two groups: Newcombe's Table II interval of |p₁ − p₂| (clipped at 0)", () => {
    const a = simultaneousGap([grp("x", 70, 56), grp("y", 80, 48)], "selectionRate", 0.95)!;
    expect([r4(a.lower), r4(a.upper)]).toEqual([0.0524, 0.3339]);
    const b = simultaneousGap([grp("x", 29, 0), grp("y", 56, 5)], "selectionRate", 0.95)!;
    expect([r4(b.lower), r4(b.upper)]).toEqual([0, 0.1926]);
  });
  it("two groups: the ratio min/max is Katz's interval of (12/225)/(10/75), [0.18019, 0.88798]", () => {
    const iv = simultaneousRatio([grp("x", 75, 10), grp("y", 225, 12)], 0.95)!;
    expect([r5(iv.lower), r5(iv.upper)]).toEqual([0.18019, 0.88798]);
    expect(simultaneousRatio([grp("x", 75, 0), grp("y", 225, 12)], 0.95)).toBeNull();
  });
  it("three groups: every pair at z = 2.3940, the gap between the largest lower and upper bounds", () => {
    const g = [grp("a", 400, 200), grp("b", 400, 180), grp("c", 400, 140)];
    const z = 2.39398;
    const pairs = [newcombeDifference(200, 400, 180, 400, z)!, newcombeDifference(200, 400, 140, 400, z)!, newcombeDifference(180, 400, 140, 400, z)!];
    const iv = simultaneousGap(g, "selectionRate", 0.95)!;
    expect(iv.lower).toBeCloseTo(Math.max(0, ...pairs.map((p) => p.lower)), 4);
    expect(iv.upper).toBeCloseTo(Math.max(...pairs.map((p) => p.upper)), 4);
  });
  it("is the metric's interval under intervalMethod simultaneous", () => {
    const p = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "g", minSampleSize: 10, minGroupSize: 1, intervalMethod: "simultaneous", thresholds: { disparateImpactRatio: 0.8, demographicParityGap: 0.2 } });
    const gate = decideGate(p, { observed: [{ name: "g", attributes: ["g"], table: { groups: [grp("x", 75, 10), grp("y", 225, 12)] }, calibration: null }] }, null);
    const m = gate.results[0]!.metrics;
    expect(m.disparateImpactRatio.intervalMethod).toBe("simultaneous-katz");
    expect([r5(m.disparateImpactRatio.interval!.lower), r5(m.disparateImpactRatio.interval!.upper)]).toEqual([0.18019, 0.88798]);
    expect(m.demographicParityGap.intervalMethod).toBe("simultaneous-newcombe");
    expect(m.demographicParityGap.pair).toBeNull();
  });
});
