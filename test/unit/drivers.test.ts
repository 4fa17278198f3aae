/**
 * Drivers of a breach on tiny flows whose selection rates are counted by hand,
 * and the failure class of blocking evaluations built from those drivers.
 */
import { describe, expect, it } from "vitest";
import { driverTargets, findDrivers } from "../../worker/domain/drivers.js";
import type { Evaluation } from "../../worker/domain/evaluation.js";
import { classifyFailure, DEFAULT_PLAYBOOKS, playbookFor } from "../../worker/domain/failure-class.js";
import type { FlowDefinition } from "../../worker/domain/flow.js";
import type { RecordedRequest } from "../../worker/domain/replay.js";

const rq = (attributes: Record<string, string | number>): RecordedRequest => ({ attributes, selected: false, converted: null });
const age = { name: "ageBand", attributes: ["ageBand"] };
const target = (metric: "disparateImpactRatio" | "demographicParityGap") => ({ slice: age, metric, excluded: new Set<string>() });

/**
 * Case A. One offer, p = logistic(score − 2·[65+]), offered when tier = gold and p ≥ 0.5 (z ≥ 0).
 *   25-34: (1, gold) z=1 ✓, (1, gold) ✓, (−1, gold) ✗, (1, silver) ineligible → SR 2/4 = 0.5
 *   65+:   (1, gold) z=−1 ✗, (3, gold) z=1 ✓, (1, gold) ✗, (1, silver) ineligible → SR 1/4 = 0.25
 *   before: DIR = 0.25/0.5 = 0.5, DPG = 0.25.
 *   65+ weight → 0: 65+ gold z = 1, 3, 1 → 3/4; DIR = 0.5/0.75 = 2/3 (+1/6), DPG = 0.25 (no change).
 *   score weight → 0: 25-34 gold z = 0 → 3/4, 65+ z = −2 → 0; DIR 0 (worse): not a driver.
 *   tier rule dropped: 25-34 3/4, 65+ 1/4 → DIR 1/3 (worse): not a driver.
 *   minPropensity → 0: every gold request: 3/4 and 3/4 → DIR 1 (+0.5), DPG 0 (+0.25).
 */
const caseA: FlowDefinition = {
  offers: [
    {
      id: "card",
      eligibility: [{ attribute: "tier", op: "in", value: ["gold"] }],
      model: { intercept: 0, numeric: { score: 1 }, categorical: { ageBand: { "65+": -2 } } },
      minPropensity: 0.5,
    },
  ],
  maxOffers: 1,
};
const requestsA = [
  rq({ ageBand: "25-34", score: 1, tier: "gold" }),
  rq({ ageBand: "25-34", score: 1, tier: "gold" }),
  rq({ ageBand: "25-34", score: -1, tier: "gold" }),
  rq({ ageBand: "25-34", score: 1, tier: "silver" }),
  rq({ ageBand: "65+", score: 1, tier: "gold" }),
  rq({ ageBand: "65+", score: 3, tier: "gold" }),
  rq({ ageBand: "65+", score: 1, tier: "gold" }),
  rq({ ageBand: "65+", score: 1, tier: "silver" }),
];

/**
 * Case B. Every eligible request is offered (intercept 0: p = 0.5 = minPropensity), with two rules:
 * ageBand ≠ 65+ and tier = gold. 25-34 has 3 gold of 4, 65+ has 2 gold of 4.
 *   before: 25-34 3/4, 65+ 0 → DIR 0.
 *   age rule dropped: 65+ 2/4 → DIR 0.5/0.75 = 2/3. It excludes 4 of 4 65+ and 0 of 4 25-34.
 *   tier rule dropped: 25-34 4/4, 65+ 0 → DIR 0: no change.
 */
const caseB: FlowDefinition = {
  offers: [
    {
      id: "loan",
      eligibility: [
        { attribute: "ageBand", op: "neq", value: "65+" },
        { attribute: "tier", op: "eq", value: "gold" },
      ],
      model: { intercept: 0, numeric: {}, categorical: {} },
      minPropensity: 0.5,
    },
  ],
  maxOffers: 1,
};
const requestsB = [
  ...["gold", "gold", "gold", "silver"].map((tier) => rq({ ageBand: "25-34", tier })),
  ...["gold", "gold", "silver", "silver"].map((tier) => rq({ ageBand: "65+", tier })),
];

describe("drivers", () => {
  it("ranks the threshold and the direct-use weight by their hand-counted effect on DIR, and leaves out parts that widen nothing", () => {
    const d = findDrivers(caseA, requestsA, [target("disparateImpactRatio"), target("demographicParityGap")], { sensitive: ["ageBand"], limit: 1000 });
    expect(d).toMatchObject({ requests: 8, refused: 0, parts: 4, note: null });
    const dir = d.items.filter((i) => i.effect.metric === "disparateImpactRatio");
    expect(dir.map((i) => i.kind)).toEqual(["min_propensity", "categorical_weight"]);
    expect(dir[0]).toMatchObject({ offer: "card", attribute: null, directUse: false, effect: { slice: "ageBand", before: 0.5, after: 1 } });
    expect(dir[0]!.contribution).toBeCloseTo(0.5, 12);
    expect(dir[1]).toMatchObject({ offer: "card", attribute: "ageBand", value: "65+", directUse: true, effect: { before: 0.5 } });
    expect(dir[1]!.effect.after).toBeCloseTo(2 / 3, 12);
    expect(dir[1]!.contribution).toBeCloseTo(1 / 6, 12);
    // DPG: only the threshold narrows it (0.25 → 0); the weight leaves it at 0.25.
    const dpg = d.items.filter((i) => i.effect.metric === "demographicParityGap");
    expect(dpg).toHaveLength(1);
    expect(dpg[0]).toMatchObject({ kind: "min_propensity", effect: { before: 0.25, after: 0 } });
  });

  it("counts per group what an eligibility rule excludes, and flags a rule on the sensitive attribute as direct use", () => {
    const d = findDrivers(caseB, requestsB, [target("disparateImpactRatio")], { sensitive: ["ageBand"], limit: 1000 });
    expect(d.items).toHaveLength(1);
    const [rule] = d.items;
    expect(rule).toMatchObject({ kind: "eligibility_rule", offer: "loan", attribute: "ageBand", rule: 0, directUse: true, effect: { before: 0 } });
    expect(rule!.effect.after).toBeCloseTo(2 / 3, 12);
    expect(rule!.excludes).toEqual([
      { group: "25-34", excluded: 0, n: 4 },
      { group: "65+", excluded: 4, n: 4 },
    ]);
  });

  it("replays at most `limit` requests and fewer when parts × requests would exceed the run budget", () => {
    expect(findDrivers(caseA, requestsA, [target("disparateImpactRatio")], { sensitive: ["ageBand"], limit: 4 }).requests).toBe(4);
    // 4 parts + the unmodified version = 5 replays; 15 runs allow 3 requests.
    expect(findDrivers(caseA, requestsA, [target("disparateImpactRatio")], { sensitive: ["ageBand"], limit: 1000, maxRuns: 15 }).requests).toBe(3);
  });

  it("targets the breached or warned selection metrics of each slice once, block tier first", () => {
    const m = (status: string) => ({ status });
    const metrics = (dir: string, dpg: string) => ({ disparateImpactRatio: m(dir), demographicParityGap: m(dpg), equalOpportunityGap: m("block") });
    const t = driverTargets([
      { slice: "ageBand", attributes: ["ageBand"], excludedGroups: [{ value: "x" }], metrics: metrics("warning", "block") },
      { slice: "ageBand", attributes: ["ageBand"], excludedGroups: [], metrics: metrics("block", "pass") },
      { slice: "gender", attributes: ["gender"], excludedGroups: [], metrics: metrics("pass", "critical") },
    ]);
    expect(t.map((x) => `${x.slice.name}:${x.metric}`)).toEqual(["ageBand:disparateImpactRatio", "ageBand:demographicParityGap", "gender:demographicParityGap"]);
    expect([...t[1]!.excluded]).toEqual(["x"]);
  });
});

/** A blocking evaluation with the given blocking metrics (status block, a point interval) and drivers. */
function blocked(blocking: Record<string, number>, drivers: Evaluation["drivers"], extra: Partial<Evaluation> = {}): Evaluation {
  const ev = (value: number, t: number) => ({ value, interval: { lower: value, upper: value }, note: null, excluded: [], threshold: { block: t }, status: "block" as const, sampleSizeHint: null });
  return {
    violations: ["x"],
    insufficientEvidence: [],
    results: [{ metrics: Object.fromEntries(Object.entries(blocking).map(([m, v]) => [m, ev(v, m === "disparateImpactRatio" ? 0.8 : 0.1)])) }],
    drivers,
    ...extra,
  } as unknown as Evaluation;
}
const driver = (kind: string, directUse: boolean, contribution = 0.1) => ({ kind, offer: "o", attribute: directUse ? "ageBand" : null, directUse, effect: { metric: "disparateImpactRatio", slice: "ageBand", before: 0.5, after: 0.6 }, contribution });
const ds = (...items: ReturnType<typeof driver>[]) => ({ requests: 10, refused: 0, parts: items.length, note: null, items }) as Evaluation["drivers"];

describe("failure class", () => {
  it("insufficient data: a block on too few samples or on straddling intervals only", () => {
    expect(classifyFailure(blocked({}, null, { violations: ["insufficient samples: 5 < minimum sample size 10"] }))).toBe("insufficient_data");
    expect(classifyFailure(blocked({}, null, { violations: ["insufficient evidence: disparate impact ratio 0.700, 95% interval [0.5, 0.9] straddles threshold 0.8"], insufficientEvidence: ["…"] }))).toBe("insufficient_data");
    const straddling = blocked({ disparateImpactRatio: 0.7 }, ds(driver("categorical_weight", false)));
    (straddling.results[0]!.metrics.disparateImpactRatio as { interval: unknown }).interval = { lower: 0.6, upper: 0.85 };
    expect(classifyFailure(straddling)).toBe("insufficient_data");
  });

  it("direct use whenever a driver on the sensitive attribute widens the gap, even when another part dominates", () => {
    expect(classifyFailure(blocked({ disparateImpactRatio: 0.5 }, ds(driver("min_propensity", false, 0.5), driver("categorical_weight", true, 0.1))))).toBe("direct_use");
  });

  it("label gap when only outcome metrics block; threshold when minPropensity leads; model otherwise", () => {
    expect(classifyFailure(blocked({ equalOpportunityGap: 0.4 }, null))).toBe("label_gap");
    expect(classifyFailure(blocked({ disparateImpactRatio: 0.5 }, ds(driver("min_propensity", false, 0.5), driver("numeric_weight", false, 0.2))))).toBe("threshold");
    expect(classifyFailure(blocked({ disparateImpactRatio: 0.5 }, ds(driver("numeric_weight", false, 0.5), driver("min_propensity", false, 0.2))))).toBe("model");
    expect(classifyFailure(blocked({ disparateImpactRatio: 0.5 }, undefined))).toBe("model");
  });

  it("a block on the counterfactual flip rate alone is direct use, not a label gap (flips come from changing only the sensitive attribute)", () => {
    // The flip rate is not outcome-based, and no selection metric breached, so there are no drivers.
    expect(classifyFailure(blocked({ counterfactualFlipRate: 0.3 }, ds()))).toBe("direct_use");
    // Beside an outcome-metric block it is still direct use; an outcome metric alone stays a label gap.
    expect(classifyFailure(blocked({ counterfactualFlipRate: 0.3, equalOpportunityGap: 0.4 }, null))).toBe("direct_use");
    expect(classifyFailure(blocked({ errorRateGap: 0.4 }, null))).toBe("label_gap");
  });

  it("a tenant's playbook replaces the default for its class only", () => {
    expect(playbookFor("threshold", { threshold: ["Ask the risk team"] })).toEqual(["Ask the risk team"]);
    expect(playbookFor("model", { threshold: ["Ask the risk team"] })).toEqual(DEFAULT_PLAYBOOKS.model);
  });
});

describe("stored drivers", () => {
  it("an evaluation with drivers reads back through readEvaluation; one without (stored before drivers) still does; a malformed one is refused", async () => {
    const { buildEvaluation } = await import("../../worker/domain/evaluation.js");
    const { readEvaluation } = await import("../../worker/domain/evaluation-read.js");
    const { decideGate } = await import("../../worker/domain/gate.js");
    const { fairnessPolicySchema } = await import("../../worker/domain/policy.js");
    const { StoredRecordError } = await import("../../worker/domain/errors.js");
    const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 4 });
    const g = (value: string, n: number, selected: number) => ({ value, n, selected, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 });
    const gate = decideGate(policy, { observed: [{ name: "ageBand", attributes: ["ageBand"], table: { groups: [g("25-34", 4, 2), g("65+", 4, 1)] }, calibration: null }] }, null);
    const drivers = findDrivers(caseA, requestsA, [target("disparateImpactRatio")], { sensitive: ["ageBand"], limit: 1000 });
    const ctx = { id: "e1", flowId: "f", flowKey: "k", version: 2, trigger: "publish" as const, policy, window: null, now: new Date(0) };
    const withDrivers = JSON.parse(JSON.stringify(buildEvaluation({ ...ctx, drivers }, gate)));
    expect(readEvaluation(withDrivers).drivers).toEqual(drivers);
    const before = JSON.parse(JSON.stringify(buildEvaluation(ctx, gate)));
    expect("drivers" in before).toBe(false);
    expect(readEvaluation(before).drivers).toBeUndefined();
    expect(() => readEvaluation({ ...withDrivers, drivers: { items: [{ kind: "astrology" }] } })).toThrow(StoredRecordError);
  });
});
