/**
 * @module test/unit/explanation
 * The reasons behind a decision (domain/explanation.ts): hand-computed contributions
 * and reasons on the README's flow, and a property test — for random definitions and
 * requests the explanation's selected, offers, propensities and score are exactly the
 * flow execution's, and each offer's contributions sum to its linear score.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { explainDecision, MAX_REASONS, reproduces } from "../../worker/domain/explanation.js";
import { AttributeTypeError, executeFlow, flowDefinitionSchema, logistic } from "../../worker/domain/flow.js";
import { PLATINUM_FLOW } from "../e2e/story.case.js";

const platinum = flowDefinitionSchema.parse(PLATINUM_FLOW);

describe("explainDecision on the README flow", () => {
  it("a declined 65+ customer: contributions by effect, the age weight as the principal reason", () => {
    // z = −1 + 0.00002·100000 − 2 = −1 → p = 0.2689414 < 0.5
    const ex = explainDecision(platinum, { tier: "gold", income: 100_000, ageBand: "65+" });
    expect(ex.selected).toBe(false);
    const o = ex.perOffer[0]!;
    expect(o).toMatchObject({ id: "platinum-card", eligible: true, failedRule: null, minPropensity: 0.5, qualified: false, offered: false });
    expect(o.propensity).toBeCloseTo(0.2689414, 7);
    expect(o.contributions.map((c) => [c.kind, c.attribute, c.contribution, c.effect])).toEqual([
      ["numeric", "income", 2, "raises"],
      ["categorical", "ageBand", -2, "lowers"],
      ["intercept", null, -1, "lowers"],
    ]);
    // Without the age term the score would be logistic(1) = 0.7310586: it lowered p by 0.4621172.
    expect(ex.reasons).toHaveLength(1);
    expect(ex.reasons[0]).toMatchObject({ attribute: "ageBand", kind: "score", offers: ["platinum-card"], decisive: false });
    expect(ex.reasons[0]!.lowered).toBeCloseTo(0.4621172, 7);
    expect(ex.reasons[0]!.text).toBe('ageBand "65+" lowered the likelihood score of offer platinum-card by 46.2 percentage points, to 26.9%; the offer requires at least 50.0%.');
  });
  it("an ineligible customer: the failed rule is a decisive reason; a selected customer gets none", () => {
    const ex = explainDecision(platinum, { tier: "silver", income: 10_000 });
    expect(ex.perOffer[0]!.failedRule).toMatchObject({ index: 0, attribute: "tier", op: "in", requestValue: "silver" });
    expect(ex.reasons).toEqual([
      { attribute: "tier", kind: "eligibility", offers: ["platinum-card"], decisive: true, lowered: null, text: 'tier "silver" does not meet a requirement of offer platinum-card: tier must be one of "gold", "platinum".' },
    ]);
    expect(explainDecision(platinum, { tier: "gold", income: 100_000, ageBand: "25-34" }).reasons).toEqual([]);
  });
  it("withheld attributes are used but never shown", () => {
    const ex = explainDecision(platinum, { tier: "gold", income: 100_000, ageBand: "65+" }, { withheld: new Set(["ageBand"]) });
    expect(ex.perOffer[0]!.propensity).toBeCloseTo(0.2689414, 7);
    const age = ex.perOffer[0]!.contributions.find((c) => c.attribute === "ageBand")!;
    expect(age).toMatchObject({ value: null, withheld: true, contribution: -2 });
    expect(JSON.stringify(ex)).not.toContain("65+");
  });
  it("reasons are ranked by how much each lowered the outcome, at most four, one per attribute", () => {
    const def = flowDefinitionSchema.parse({
      offers: [
        { id: "loan", model: { intercept: 0, numeric: { a: 1, b: 1, c: 1, d: 1, e: 1 } }, minPropensity: 0.9 },
        { id: "card", eligibility: [{ attribute: "f", op: "gte", value: 10 }], model: { intercept: 0, numeric: { a: 1 } }, minPropensity: 0.1 },
      ],
      maxOffers: 1,
    });
    const ex = explainDecision(def, { a: -0.5, b: -3, c: -1, d: -2, e: -0.1, f: 5 });
    // The rule first (decisive), then by the propensity drop: b (−3) > d (−2) > c (−1) …
    expect(ex.reasons.map((r) => r.attribute)).toEqual(["f", "b", "d", "c"]);
    expect(ex.reasons).toHaveLength(MAX_REASONS);
    expect(ex.reasons[3]!.text).toContain("c -1 lowered");
  });
});

// Random definitions over a small attribute vocabulary, so rules and weights meet request values often.
const NAMES = ["a", "b", "c", "tier"];
const scalar = fc.oneof(fc.constantFrom("x", "y", "z"), fc.integer({ min: -5, max: 5 }), fc.double({ min: -10, max: 10, noNaN: true }), fc.boolean());
const rule = fc.oneof(
  fc.record({ attribute: fc.constantFrom(...NAMES), op: fc.constantFrom("eq", "neq"), value: scalar }),
  fc.record({ attribute: fc.constantFrom(...NAMES), op: fc.constant("in"), value: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  fc.record({ attribute: fc.constantFrom(...NAMES), op: fc.constantFrom("gte", "lte"), value: fc.double({ min: -10, max: 10, noNaN: true }) }),
);
const weight = fc.double({ min: -5, max: 5, noNaN: true });
const offer = (id: number) =>
  fc.record({
    id: fc.constant(`o${id}`),
    eligibility: fc.array(rule, { maxLength: 3 }),
    model: fc.record({
      intercept: weight,
      numeric: fc.dictionary(fc.constantFrom(...NAMES), weight, { maxKeys: 3 }),
      categorical: fc.dictionary(fc.constantFrom(...NAMES), fc.dictionary(fc.constantFrom("x", "y", "z", "1", "true"), weight, { maxKeys: 3 }), { maxKeys: 2 }),
    }),
    minPropensity: fc.double({ min: 0, max: 1, noNaN: true }),
  });
const definition = fc
  .integer({ min: 1, max: 5 })
  .chain((n) => fc.record({ offers: fc.tuple(...Array.from({ length: n }, (_, i) => offer(i))), maxOffers: fc.integer({ min: 1, max: 5 }) }))
  .map((d) => flowDefinitionSchema.parse(d));
const request = fc.dictionary(fc.constantFrom(...NAMES), fc.oneof(scalar, fc.constant(null)), { maxKeys: 4 });

describe("explanation = execution (property)", () => {
  it("for random definitions and requests: the same selected, offers, propensities and score", () => {
    fc.assert(
      fc.property(definition, request, (def, attrs) => {
        let decision;
        try {
          decision = executeFlow(def, attrs);
        } catch (e) {
          // A request the execution refuses (non-numeric value for a numeric weight) is never stored.
          if (e instanceof AttributeTypeError) return;
          throw e;
        }
        const ex = explainDecision(def, attrs);
        expect(ex.selected).toBe(decision.selected);
        expect(ex.offers).toEqual(decision.offers);
        expect(ex.score).toBe(decision.score);
        expect(reproduces(ex, decision)).toBe(true);
        expect(ex.reasons.length === 0).toBe(decision.selected);
        expect(ex.reasons.length).toBeLessThanOrEqual(MAX_REASONS);
        for (const [i, o] of ex.perOffer.entries()) {
          const made = decision.offers.find((m) => m.id === o.id);
          if (made) expect(o.propensity).toBe(made.propensity);
          expect(o.offered).toBe(made !== undefined);
          expect(o.eligible).toBe(def.offers[i]!.eligibility.length === 0 || o.failedRule === null);
          if (o.propensity !== null && o.linearScore !== null) {
            expect(logistic(o.linearScore)).toBe(o.propensity);
            const sum = o.contributions.reduce((s, c) => s + c.contribution, 0);
            expect(sum).toBeCloseTo(o.linearScore, 9);
          }
        }
      }),
      { numRuns: 2000, seed: 14 },
    );
  });
});
