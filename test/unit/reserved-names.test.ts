/**
 * The reserved attribute names are refused wherever an attribute is named — a
 * policy's sensitive attributes, a flow's rules and model weights — not only in
 * requests: a policy gating on "constructor" could never see a value.
 */
import { describe, expect, it } from "vitest";
import { flowDefinitionSchema } from "../../worker/domain/flow.js";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";

const base = { enabled: true, thresholds: { demographicParityGap: 0.2 }, minSampleSize: 10, windowDays: 7, continuousRecheck: false, onInsufficientSamples: "skip" };

describe("reserved attribute names", () => {
  it.each(["__proto__", "constructor", "prototype"])("%s is refused as a sensitive attribute, a rule attribute and a weight name", (name) => {
    expect(fairnessPolicySchema.safeParse({ ...base, sensitiveAttribute: name }).success).toBe(false);
    expect(fairnessPolicySchema.safeParse({ ...base, sensitiveAttributes: ["ageBand", name] }).success).toBe(false);
    const offer = (o: object) => ({ offers: [{ id: "o", eligibility: [], model: { intercept: 0 }, minPropensity: 0.1, ...o }], maxOffers: 1 });
    expect(flowDefinitionSchema.safeParse(offer({ eligibility: [{ attribute: name, op: "eq", value: "x" }] })).success).toBe(false);
    expect(flowDefinitionSchema.safeParse(offer({ model: { intercept: 0, numeric: JSON.parse(`{"${name}": 1}`) } })).success).toBe(false);
  });
  it("ordinary names still pass", () => {
    expect(fairnessPolicySchema.safeParse({ ...base, sensitiveAttribute: "ageBand" }).success).toBe(true);
  });
});
