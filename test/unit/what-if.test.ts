/** The what-if's pure parts: applying a change, the threshold values and the 1-D search. */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../worker/domain/errors.js";
import type { FlowDefinition } from "../../worker/domain/flow.js";
import { applyChange, gridOf, searchThreshold, thresholdValues, whatIfChangeSchema } from "../../worker/domain/what-if.js";

const def: FlowDefinition = {
  offers: [
    {
      id: "card",
      eligibility: [{ attribute: "tier", op: "eq", value: "gold" }],
      model: { intercept: 0, numeric: { score: 1 }, categorical: { ageBand: { "65+": -2 } } },
      minPropensity: 0.5,
    },
  ],
  maxOffers: 1,
};
const rq = (attributes: Record<string, string | number>) => ({ attributes, selected: false, converted: null });

describe("applyChange", () => {
  it("zeroes a categorical or numeric weight, drops a rule, replaces a threshold — and nothing else", () => {
    expect(applyChange(def, { type: "zero_weight", offer: "card", attribute: "ageBand", value: "65+" }).offers[0]!.model.categorical).toEqual({ ageBand: { "65+": 0 } });
    expect(applyChange(def, { type: "zero_weight", offer: "card", attribute: "score" }).offers[0]!.model.numeric).toEqual({ score: 0 });
    expect(applyChange(def, { type: "drop_rule", offer: "card", rule: 0 }).offers[0]!.eligibility).toEqual([]);
    const t = applyChange(def, { type: "set_min_propensity", offer: "card", minPropensity: 0.2 });
    expect(t.offers[0]).toEqual({ ...def.offers[0], minPropensity: 0.2 });
    expect(def.offers[0]!.minPropensity).toBe(0.5);
  });

  it("refuses parts the version does not have, and any per-group threshold shape", () => {
    for (const c of [
      { type: "zero_weight", offer: "nope", attribute: "score" },
      { type: "zero_weight", offer: "card", attribute: "ageBand", value: "18-24" },
      { type: "zero_weight", offer: "card", attribute: "income" },
      { type: "drop_rule", offer: "card", rule: 1 },
    ] as const)
      expect(() => applyChange(def, c)).toThrow(ValidationError);
    expect(whatIfChangeSchema.safeParse({ type: "set_min_propensity", offer: "card", minPropensity: 0.2, attribute: "ageBand", value: "65+" }).success).toBe(false);
    expect(whatIfChangeSchema.safeParse({ type: "set_group_threshold", offer: "card", group: "65+", minPropensity: 0.2 }).success).toBe(false);
  });
});

describe("threshold search", () => {
  it("tries 0 and the distinct propensities of eligible requests, without the current threshold", () => {
    const s = (z: number) => 1 / (1 + Math.exp(-z));
    const values = thresholdValues(def, 0, [rq({ tier: "gold", score: 1 }), rq({ tier: "gold", score: 1 }), rq({ tier: "gold", score: 0 }), rq({ tier: "gold", score: 2, ageBand: "65+" }), rq({ tier: "silver", score: 3 })]);
    // score 0 gives p = 0.5 = the current threshold: left out; silver is not eligible.
    expect(values).toEqual([0, s(1)]);
  });

  it("finds the passing value nearest the current threshold, by grid (nearest first) then bisection, and says when none passes", () => {
    const values = Array.from({ length: 1000 }, (_, i) => i / 1000);
    expect(gridOf(values)).toHaveLength(16);
    // Passing below 0.3 only, current 0.7: the nearest passing value is 0.299 (or just above it after six bisection steps).
    const down = searchThreshold(values, 0.7, (t) => t <= 0.2991);
    expect(down.threshold).toBeLessThanOrEqual(0.299);
    expect(down.threshold).toBeGreaterThan(0.29);
    // 16 grid points at most, then at most 6 bisection steps.
    expect(down.tried).toBeLessThanOrEqual(22);
    // Both sides pass: the nearer side wins.
    expect(searchThreshold([0.1, 0.45, 0.6], 0.5, (t) => t !== 0.45)).toEqual({ threshold: 0.6, tried: 2 });
    expect(searchThreshold(values, 0.5, () => false)).toEqual({ threshold: null, tried: 16 });
  });
});
