/** Candidate replay and counterfactual flips on hand-built flows, with hand-counted results. */
import { describe, expect, it } from "vitest";
import type { FlowDefinition } from "../../worker/domain/flow.js";
import { counterfactualFlips, type RecordedRequest, replayCandidate } from "../../worker/domain/replay.js";
import { intersectionParts, intersectionValue, slicesOf } from "../../worker/domain/slices.js";

/** Selects everyone except customers in ageBand "65+" (a categorical weight sinks them). */
const ageBiased: FlowDefinition = {
  offers: [{ id: "o", eligibility: [], model: { intercept: 1, numeric: {}, categorical: { ageBand: { "65+": -3 } } }, minPropensity: 0.5 }],
  maxOffers: 1,
};
/** Selects on income only: the sensitive attribute cannot change a decision. */
const incomeOnly: FlowDefinition = {
  offers: [{ id: "o", eligibility: [{ attribute: "income", op: "gte", value: 50_000 }], model: { intercept: 0, numeric: {}, categorical: {} }, minPropensity: 0.5 }],
  maxOffers: 1,
};

const req = (ageBand: string | null, gender: string, income: number, selected: boolean, converted: boolean | null): RecordedRequest => ({
  attributes: { ...(ageBand === null ? {} : { ageBand }), gender, income },
  selected,
  converted,
});
const requests = [
  req("25-34", "f", 60_000, true, true),
  req("25-34", "m", 40_000, false, false),
  req("65+", "f", 60_000, true, true), // the candidate will not select this one: its outcome becomes unknown
  req("65+", "m", 30_000, false, null),
  req(null, "f", 70_000, true, false), // no ageBand: counts for gender only
];

describe("replayCandidate", () => {
  it("re-decides every recorded request; outcomes are kept only where the decision is unchanged", () => {
    const r = replayCandidate(ageBiased, requests, slicesOf(["ageBand", "gender"]), 10);
    expect(r).toMatchObject({ requests: 5, refused: 0, changed: 2 }); // 25-34/m and 65+/f change
    const [age, gender, both] = r.slices;
    expect(age!.table.groups).toEqual([
      { value: "25-34", n: 2, selected: 2, labeled: 1, positives: 1, tp: 1, fp: 0, fn: 0, tn: 0 },
      { value: "65+", n: 2, selected: 0, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 },
    ]);
    expect(gender!.table.groups.map((g) => [g.value, g.n, g.selected])).toEqual([["f", 3, 2], ["m", 2, 1]]);
    expect(both!.name).toBe("ageBand|gender");
    expect(both!.table.groups.map((g) => g.value)).toEqual(["25-34|f", "25-34|m", "65+|f", "65+|m"]);
    // Calibration counts only labeled traces whose decision is unchanged: 25-34/f (positive) and f/no-ageBand.
    expect(gender!.calibration!.groups.map((g) => [g.value, g.count.reduce((a, b) => a + b, 0)])).toEqual([["f", 2]]);
  });
  it("counts requests the candidate refuses instead of failing", () => {
    const numeric: FlowDefinition = { ...ageBiased, offers: [{ ...ageBiased.offers[0]!, model: { intercept: 0, numeric: { gender: 1 }, categorical: {} } }] };
    expect(replayCandidate(numeric, requests, slicesOf(["ageBand"]), 10)).toMatchObject({ requests: 0, refused: 5 });
  });
});

describe("counterfactualFlips", () => {
  it("sets the attribute to every other observed value and counts changed selections, overall and per pair", () => {
    const r = counterfactualFlips(ageBiased, requests, slicesOf(["ageBand"])[0]!);
    // Four requests carry ageBand, one other value each: 4 trials. Every request flips (25-34 ↔ 65+).
    expect(r).toMatchObject({ requests: 4, trials: 4, flips: 4, rate: 1, refused: 0, pairsTruncated: false });
    expect(r.pairs).toEqual([
      { from: "25-34", to: "65+", trials: 2, flips: 2, rate: 1 },
      { from: "65+", to: "25-34", trials: 2, flips: 2, rate: 1 },
    ]);
    const none = counterfactualFlips(incomeOnly, requests, slicesOf(["ageBand"])[0]!);
    expect(none).toMatchObject({ trials: 4, flips: 0, rate: 0 });
    expect(none.interval!.lower).toBe(0);
  });
  it("on an intersection, changes both attributes to every other observed combination", () => {
    const r = counterfactualFlips(ageBiased, requests, slicesOf(["ageBand", "gender"])[2]!);
    // 4 observed combinations → 3 alternatives for each of the 4 requests; a flip needs the ageBand to change: 2 of 3.
    expect(r).toMatchObject({ requests: 4, trials: 12, flips: 8 });
  });
  it("a single observed value leaves nothing to compare", () => {
    expect(counterfactualFlips(ageBiased, [requests[0]!], slicesOf(["ageBand"])[0]!)).toMatchObject({ trials: 0, rate: null, interval: null });
  });
});

describe("intersection values", () => {
  it("escape the separator so different parts never collide", () => {
    expect(intersectionValue(["a|b", "c"])).not.toBe(intersectionValue(["a", "b|c"]));
    for (const parts of [["a|b", "c"], ["x\\", "|y"], ["plain", "values"]]) expect(intersectionParts(intersectionValue(parts))).toEqual(parts);
    expect(intersectionValue(["solo|x"])).toBe("solo|x"); // a single attribute is never escaped
  });
});
