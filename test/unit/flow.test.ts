/** Flow execution against hand-computed propensities (logistic of the pinned linear score). */
import { describe, expect, it } from "vitest";
import { executeFlow, flowDefinitionSchema, logistic } from "../../worker/domain/flow.js";
import { PLATINUM_FLOW } from "../e2e/story.case.js";

const def = flowDefinitionSchema.parse(PLATINUM_FLOW);

describe("executeFlow", () => {
  it("computes logistic(intercept + numeric + categorical) and applies minPropensity", () => {
    // z = -1 + 0.00002 × 100000 = 1 → p = 1/(1+e^-1) = 0.7310585786300049
    const d = executeFlow(def, { tier: "gold", income: 100_000, ageBand: "25-34" });
    expect(d.selected).toBe(true);
    expect(d.offers).toEqual([{ id: "platinum-card", propensity: 0.7310585786300049 }]);
    // 65+: z = 1 − 2 = −1 → p = 0.2689414213699951 < 0.5 → no offer, but it is the score.
    const old = executeFlow(def, { tier: "gold", income: 100_000, ageBand: "65+" });
    expect(old).toEqual({ selected: false, offers: [], score: 0.2689414213699951 });
  });
  it("ineligible customers get nothing and no score", () => {
    expect(executeFlow(def, { tier: "silver", income: 1e6 })).toEqual({ selected: false, offers: [], score: null });
    expect(executeFlow(def, { income: 1e6 })).toEqual({ selected: false, offers: [], score: null });
  });
  it("missing numeric attributes count as 0", () => {
    expect(executeFlow(def, { tier: "gold" }).score).toBe(logistic(-1));
  });
  it("rejects a non-numeric value for a numeric weight", () => {
    expect(() => executeFlow(def, { tier: "gold", income: "lots" })).toThrow(/income/);
  });
  it("supports eq, neq, in, gte, lte and maxOffers ordering by propensity", () => {
    const d2 = flowDefinitionSchema.parse({
      offers: [
        { id: "a", eligibility: [{ attribute: "age", op: "gte", value: 18 }], model: { intercept: 0 }, minPropensity: 0.4 },
        { id: "b", eligibility: [{ attribute: "age", op: "lte", value: 30 }, { attribute: "country", op: "neq", value: "XX" }], model: { intercept: 2 }, minPropensity: 0.4 },
        { id: "c", eligibility: [{ attribute: "country", op: "eq", value: "DE" }], model: { intercept: 1 }, minPropensity: 0.4 },
      ],
      maxOffers: 2,
    });
    const d = executeFlow(d2, { age: 25, country: "DE" });
    expect(d.offers.map((o) => o.id)).toEqual(["b", "c"]);
    expect(executeFlow(d2, { age: 40, country: "FR" }).offers.map((o) => o.id)).toEqual(["a"]);
  });
  it("rejects duplicate offer ids and bad rule shapes", () => {
    expect(flowDefinitionSchema.safeParse({ ...PLATINUM_FLOW, offers: [PLATINUM_FLOW.offers[0], PLATINUM_FLOW.offers[0]] }).success).toBe(false);
    expect(flowDefinitionSchema.safeParse({ offers: [{ id: "x", eligibility: [{ attribute: "a", op: "in", value: 3 }], model: { intercept: 0 }, minPropensity: 0 }], maxOffers: 1 }).success).toBe(false);
  });
});
