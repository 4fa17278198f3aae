/**
 * Confidence sequences of the FN/FP ratio gap, the calibration gap and the
 * counterfactual flip rate (domain/sequence-bounds): each against the boundary
 * formula computed here by hand, the time-uniform guarantee by simulation (fair
 * flows looked at every day are ever judged beyond in ≤ alpha of runs, while the
 * per-look rule in the same simulation is not), and through the gate: states keep
 * their calibration bins and flip shares, advance by the increment only, and are
 * recorded in the evaluation.
 */
import { describe, expect, it } from "vitest";
import { SCORE_UNIT, type CalibrationGroup } from "../../worker/domain/calibration.js";
import type { GroupCounts } from "../../worker/domain/confusion.js";
import { buildEvaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { decideGate } from "../../worker/domain/gate.js";
import { wilson } from "../../worker/domain/intervals.js";
import { type FairnessPolicy, fairnessPolicySchema } from "../../worker/domain/policy.js";
import { counterfactualFlips } from "../../worker/domain/replay.js";
import { advance, metricSequence, RATIO_BOUND_CAP, sequenceRho, sequenceSource, type SequenceState, sequenceStateSchemaOf } from "../../worker/domain/sequential.js";
import type { CounterfactualResult } from "../../worker/domain/replay.js";
import { z } from "zod";
import { day, rng } from "../helpers/sequential.js";

/** The normal-mixture radius, written out again: √((t/4 + ρ) ln((t/4 + ρ)/(ρ a²))) / t. */
const radius = (t: number, a: number, rho: number) => Math.sqrt((t / 4 + rho) * Math.log((t / 4 + rho) / (rho * a * a))) / t;

const counts = (value: string, c: Partial<GroupCounts>): GroupCounts => {
  const tp = c.tp ?? 0, fp = c.fp ?? 0, fn = c.fn ?? 0, tn = c.tn ?? 0;
  return { value, n: tp + fp + fn + tn, selected: tp + fp, labeled: tp + fp + fn + tn, positives: tp + fn, tp, fp, fn, tn, ...c };
};
/** A group's calibration bins (10) with `bins[b] = [count, positives, meanScore]`. */
const cal = (value: string, bins: Record<number, [number, number, number]>): CalibrationGroup => {
  const z10 = () => new Array<number>(10).fill(0);
  const g = { value, count: z10(), positives: z10(), scoreSum: z10() };
  for (const [b, [n, pos, mean]] of Object.entries(bins)) {
    g.count[+b] = n;
    g.positives[+b] = pos;
    g.scoreSum[+b] = Math.round(mean * n * SCORE_UNIT);
  }
  return g;
};

describe("by hand, α 0.05, ρ 25", () => {
  it("FN/FP gap: each group's FN share of errors q at α/2, mapped by q/(1 − q), then max − min", () => {
    // a: FN 600, FP 400 (q 0.6, FN/FP 1.5); b: FN 200, FP 800 (q 0.2, FN/FP 0.25); the gap is 1.25.
    // t = 1000 errors per group at a = 0.025: r = √(275 · ln(275/(25 · 0.025²)))/1000 = 0.0518489.
    // a ∈ [0.548151/0.451849, 0.651849/0.348151] = [1.213129, 1.872316]; b ∈ [0.148151/0.851849, 0.251849/0.748151] = [0.173917, 0.336628]
    // gap ∈ [1.213129 − 0.336628, 1.872316 − 0.173917] = [0.876501, 1.698399].
    const groups = [counts("a", { tp: 100, fp: 400, fn: 600, tn: 900 }), counts("b", { tp: 100, fp: 800, fn: 200, tn: 900 })];
    const r = radius(1000, 0.025, 25);
    expect(r).toBeCloseTo(0.0518489, 6);
    const odds = (q: number) => q / (1 - q);
    const iv = metricSequence("treatmentEqualityGap", groups, 0.05, 25)!;
    expect(iv.lower).toBeCloseTo(odds(0.6 - r) - odds(0.2 + r), 10);
    expect(iv.upper).toBeCloseTo(odds(0.6 + r) - odds(0.2 - r), 10);
    expect(iv.lower).toBeCloseTo(0.876501, 5);
    expect(iv.upper).toBeCloseTo(1.698399, 5);
  });
  it("FN/FP gap: a group whose errors may all be false negatives has an unbounded ratio, written as the cap", () => {
    // b: FN 3, FP 1 (q 0.75) — the sequence for q reaches 1, so FN/FP is unbounded above.
    const iv = metricSequence("treatmentEqualityGap", [counts("a", { fp: 500, fn: 500, tn: 10 }), counts("b", { fp: 1, fn: 3, tn: 10 })], 0.05, 25)!;
    expect(iv.upper).toBe(RATIO_BOUND_CAP);
    expect(iv.lower).toBe(0);
  });
  it("FN/FP gap: a group without a false positive is left out as the point metric leaves it out, the level still split over every group with an error", () => {
    // a: FN 1000/FP 1000 (1.0), b: FN 1100/FP 1000 (1.1) — the point gap 0.1 over a and b; z: FN 3000, FP 0 (no ratio, excluded).
    // With z in it the sequence was [26.85, 1e9]: "0.100 > threshold 1", wholly beyond, from a group the value leaves out.
    const groups = [counts("a", { tp: 500, fp: 1000, fn: 1000, tn: 500 }), counts("b", { tp: 500, fp: 1000, fn: 1100, tn: 500 }), counts("z", { tp: 500, fp: 0, fn: 3000, tn: 500 })];
    const odds = (q: number) => q / (1 - q);
    // a: q = 1000/2000, b: q = 1100/2100, each at α/3 (three groups have errors).
    const ra = radius(2000, 0.05 / 3, 25);
    const rb = radius(2100, 0.05 / 3, 25);
    const iv = metricSequence("treatmentEqualityGap", groups, 0.05, 25)!;
    expect(iv.lower).toBe(Math.max(0, odds(1100 / 2100 - rb) - odds(0.5 + ra)));
    expect(iv.lower).toBe(0);
    expect(iv.upper).toBeCloseTo(odds(1100 / 2100 + rb) - odds(0.5 - ra), 10);
    const gate = decideGate(pol({ thresholds: { treatmentEqualityGap: 1 } }), { observed: [{ name: "g", attributes: ["g"], table: { groups }, calibration: null }], sequential: { prior: [], increment: null, from: day(0), through: day(1), persist: false } }, null);
    expect(gate.results[0]!.metrics.treatmentEqualityGap).toMatchObject({ value: expect.closeTo(0.1, 12), status: "pass", excluded: ["z"] });
    expect(gate.verdict).toBe("pass");
  });
  it("calibration gap: every bin's outcome rate at α/(2 groups · 10 bins); ECE between the nearest and the farthest point", () => {
    // a: bins 2 and 7 with 5000 labeled traces each, mean scores 0.25 / 0.75, observed 0.40 / 0.60 (ECE 0.15);
    // b: the same scores, observed 0.25 / 0.75 (ECE 0). Streams: 2 groups × 10 bins, a = 0.05/20 = 0.0025.
    // r(5000) = √(1275 · ln(1275/(25 · 0.0025²)))/5000 = 0.0284895.
    // a: bin 2 μ ∈ [0.371510, 0.428490] vs 0.25 → nearest 0.121510, farthest 0.178490; bin 7 likewise (mirror):
    //    ECE_a ∈ [0.121510, 0.178490]; b: both bins contain their mean score → ECE_b ∈ [0, 0.028490].
    // gap ∈ [0.121510 − 0.028490, 0.178490 − 0] = [0.093021, 0.178490]; the point gap 0.15 is inside.
    const groups = [counts("a", { tp: 5000, fn: 0, fp: 5000, tn: 0 }), counts("b", { tp: 5000, fp: 5000 })];
    const calibration = [cal("a", { 2: [5000, 2000, 0.25], 7: [5000, 3000, 0.75] }), cal("b", { 2: [5000, 1250, 0.25], 7: [5000, 3750, 0.75] })];
    const r = radius(5000, 0.05 / 20, 25);
    expect(r).toBeCloseTo(0.0284895, 6);
    const iv = metricSequence("calibrationGap", groups, 0.05, 25, { calibration })!;
    expect(iv.lower).toBeCloseTo(0.15 - r - r, 10);
    expect(iv.upper).toBeCloseTo(0.15 + r, 10);
    expect(iv.lower).toBeCloseTo(0.093021, 5);
    expect(iv.upper).toBeCloseTo(0.17849, 5);
  });
  it("counterfactual flip rate: one stream of per-request flip shares", () => {
    // 500 requests, shares summing to 120 (rate 0.24): r(500) = √(150 · ln(150/(25 · 0.05²)))/500 = 0.0683369.
    const iv = metricSequence("counterfactualFlipRate", [], 0.05, 25, { flips: { n: 500, sum: 120 } })!;
    expect(radius(500, 0.05, 25)).toBeCloseTo(0.0683369, 6);
    expect(iv.lower).toBeCloseTo(0.24 - 0.0683369, 6);
    expect(iv.upper).toBeCloseTo(0.24 + 0.0683369, 6);
    expect(metricSequence("counterfactualFlipRate", [], 0.05, 25, {})).toBeNull();
  });
  it("a request's flip share is its flips over its own re-runs", () => {
    // One offer whose propensity is high only for "y": every request of "x" or "z" flips against "y" only.
    const def = { offers: [{ id: "o", eligibility: [], model: { intercept: -3, numeric: {}, categorical: { g: { y: 6 } } }, minPropensity: 0.5 }], maxOffers: 1 };
    const reqs = ["x", "y", "z", "x"].map((g) => ({ attributes: { g }, selected: false, converted: null }));
    const cf = counterfactualFlips(def as never, reqs, { name: "g", attributes: ["g"] });
    // x: re-run as y (flip), z (no) → 1/2; y: as x, z → 2/2; z: 1/2; x: 1/2 → n 4, sum 2.5; pooled 5/8.
    expect(cf.shares).toEqual({ n: 4, sum: 2.5 });
    expect(cf.flips / cf.trials).toBe(5 / 8);
  });
});

describe("the time-uniform guarantee by simulation (each metric at its threshold, 100 daily looks)", () => {
  const rho = sequenceRho(0.05);
  /** Runs `runs` flows; `look(u)` draws a day's data; returns how many were ever beyond under the sequence and under a per-look test. */
  function simulate(metric: SequenceState["metric"], runs: number, t: number, look: (u: () => number) => { groups: GroupCounts[]; extra: Parameters<typeof advance>[6] }, naive: (s: SequenceState) => boolean) {
    let seq = 0;
    let perLook = 0;
    for (let r = 0; r < runs; r++) {
      const u = rng(7000 + r);
      let state: SequenceState | null = null;
      let s1 = false;
      let s2 = false;
      for (let d = 0; d < 100 && !(s1 && s2); d++) {
        const l = look(u);
        state = advance(state, "g", metric, l.groups, day(0), day(d + 1), l.extra);
        if (!s1 && sequenceSource(state, 1, rho).at(0.95)!.lower > t) s1 = true;
        if (!s2 && naive(state)) s2 = true;
      }
      if (s1) seq++;
      if (s2) perLook++;
    }
    return { seq: seq / runs, perLook: perLook / runs };
  }

  it("counterfactual flip rate 0.1 at threshold 0.1: sequence ≤ 5%, a daily 95% Wilson test pauses far more", () => {
    const out = simulate(
      "counterfactualFlipRate",
      300,
      0.1,
      (u) => {
        let sum = 0;
        for (let i = 0; i < 100; i++) if (u() < 0.1) sum++;
        return { groups: [], extra: { flips: { n: 100, sum } } };
      },
      (s) => wilson(s.flips!.sum, s.flips!.n)!.lower > 0.1,
    );
    expect(out.seq).toBeLessThanOrEqual(0.05);
    // The per-look test on the same data: the simulation can tell the two apart.
    expect(out.perLook).toBeGreaterThan(0.1);
  });

  it("FN/FP gap 0.5 (ratios 1 and 1.5) at threshold 0.5: sequence ≤ 5%, the point rule pauses most flows", () => {
    const errors = (u: () => number, value: string, q: number) => {
      let fn = 0;
      for (let i = 0; i < 100; i++) if (u() < q) fn++;
      return counts(value, { fn, fp: 100 - fn, tn: 100 });
    };
    const out = simulate(
      "treatmentEqualityGap",
      200,
      0.5,
      (u) => ({ groups: [errors(u, "a", 0.5), errors(u, "b", 0.6)], extra: {} }),
      (s) => Math.abs(s.groups[0]!.fn / s.groups[0]!.fp - s.groups[1]!.fn / s.groups[1]!.fp) > 0.5,
    );
    expect(out.seq).toBeLessThanOrEqual(0.05);
    expect(out.perLook).toBeGreaterThan(0.5);
  });

  it("calibration gap 0.05 (a off by 0.05, b calibrated) at threshold 0.05: sequence ≤ 5%, the point rule pauses many flows", () => {
    const group = (u: () => number, value: string, shift: number) => {
      const g = cal(value, {});
      for (let i = 0; i < 200; i++) {
        const s = 0.1 + 0.8 * u();
        const b = Math.floor(s * 10);
        g.count[b]!++;
        g.scoreSum[b]! += Math.round(s * SCORE_UNIT);
        if (u() < s + shift) g.positives[b]!++;
      }
      return g;
    };
    const ece = (g: CalibrationGroup) => g.count.reduce((e, c, b) => e + Math.abs(g.positives[b]! - g.scoreSum[b]! / SCORE_UNIT), 0) / g.count.reduce((s, c) => s + c, 0);
    const out = simulate(
      "calibrationGap",
      100,
      0.05,
      (u) => ({ groups: [counts("a", { tp: 200 }), counts("b", { tp: 200 })], extra: { calibration: [group(u, "a", 0.05), group(u, "b", 0)] } }),
      (s) => ece(s.calibration![0]!) - ece(s.calibration![1]!) > 0.05,
    );
    expect(out.seq).toBeLessThanOrEqual(0.05);
    expect(out.perLook).toBeGreaterThan(0.1);
  });
});

const pol = (extra: Record<string, unknown> = {}): FairnessPolicy =>
  fairnessPolicySchema.parse({
    enabled: true,
    sensitiveAttribute: "g",
    minSampleSize: 10,
    minGroupSize: 1,
    decisionRule: "sequential",
    multiplicity: "none",
    thresholds: { treatmentEqualityGap: 1, calibrationGap: 0.2, counterfactualFlipRate: 0.5 },
    ...extra,
  });
const cf = (requests: number, sum: number): CounterfactualResult => ({ requests, trials: requests, flips: sum, rate: sum / requests, interval: null, pairs: [], pairsTruncated: false, refused: 0, shares: { n: requests, sum } });

describe("the three metrics under the sequential rule in the gate", () => {
  const groups = [counts("a", { tp: 50, fp: 40, fn: 60, tn: 50 }), counts("b", { tp: 50, fp: 80, fn: 20, tn: 50 })];
  const calibration = { bins: 10, groups: [cal("a", { 3: [200, 80, 0.35] }), cal("b", { 3: [200, 70, 0.35] })] };
  const slice = { name: "g", attributes: ["g"], table: { groups }, calibration };
  const from = day(0);

  it("a first look keeps each metric's own streams and records them in the evaluation", () => {
    const gate = decideGate(pol(), { observed: [slice], counterfactual: { g: cf(100, 30) }, sequential: { prior: [], increment: null, from, through: day(1), persist: true } }, null);
    const byMetric = Object.fromEntries(gate.sequences.map((s) => [s.metric, s]));
    expect(Object.keys(byMetric).sort()).toEqual(["calibrationGap", "counterfactualFlipRate", "treatmentEqualityGap"]);
    expect(byMetric.calibrationGap!.calibration).toEqual(calibration.groups);
    expect(byMetric.counterfactualFlipRate!.flips).toEqual({ n: 100, sum: 30 });
    expect(byMetric.treatmentEqualityGap!.calibration).toBeUndefined();
    for (const m of ["treatmentEqualityGap", "calibrationGap", "counterfactualFlipRate"] as const) {
      const e = gate.results[0]!.metrics[m];
      expect(e.intervalMethod).toBe("confidence-sequence");
      const ref = sequenceSource(byMetric[m]!, 1, sequenceRho(0.05)).at(0.95)!;
      expect(e.interval).toEqual(ref);
    }
    // The stored evaluation keeps the streams (the interval reproduces from them), and the state file / store schema accepts them.
    const ev = evaluationSchema.parse(buildEvaluation({ id: "e", flowId: "f", flowKey: "k", version: 1, trigger: "recheck", policy: pol(), window: null, now: new Date(0) }, gate));
    expect(ev.results[0]!.metrics.calibrationGap.sequence?.calibration).toEqual(calibration.groups);
    expect(ev.results[0]!.metrics.counterfactualFlipRate.sequence?.flips).toEqual({ n: 100, sum: 30 });
    expect(ev.results[0]!.metrics.counterfactualFlipRate.sequence?.block?.flips).toEqual({ n: 100, sum: 30 });
    for (const s of gate.sequences) expect(sequenceStateSchemaOf(z.strictObject).parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it("a later look adds only the increment's counts, bins and flip shares", () => {
    const first = decideGate(pol(), { observed: [slice], counterfactual: { g: cf(100, 30) }, sequential: { prior: [], increment: null, from, through: day(1), persist: true } }, null);
    const inc = { ...slice, table: { groups: [counts("a", { fp: 10, fn: 10 }), counts("b", { fp: 10, fn: 10 })] }, calibration: { bins: 10, groups: [cal("a", { 3: [10, 5, 0.35] })] } };
    const gate = decideGate(
      pol(),
      { observed: [slice], counterfactual: { g: cf(100, 30) }, sequential: { prior: first.sequences, increment: [inc], incrementCounterfactual: { g: cf(40, 38) }, from, through: day(2), persist: true } },
      null,
    );
    const by = Object.fromEntries(gate.sequences.map((s) => [s.metric, s]));
    expect(by.counterfactualFlipRate!.flips).toEqual({ n: 140, sum: 68 });
    expect(by.calibrationGap!.calibration![0]!.count[3]).toBe(210);
    expect(by.calibrationGap!.calibration![0]!.positives[3]).toBe(85);
    expect(by.calibrationGap!.calibration![1]!.count[3]).toBe(200);
    expect(by.treatmentEqualityGap!.groups.map((g) => [g.fn, g.fp])).toEqual([[70, 50], [30, 90]]);
    expect(by.treatmentEqualityGap!.looks).toBe(2);
    // Without an increment counterfactual the look adds no flip data (never the window's again).
    const none = decideGate(pol(), { observed: [slice], counterfactual: { g: cf(100, 30) }, sequential: { prior: first.sequences, increment: [inc], from, through: day(2), persist: true } }, null);
    expect(none.sequences.find((s) => s.metric === "counterfactualFlipRate")!.flips).toEqual({ n: 100, sum: 30 });
  });

  it("blocks on a flip-rate sequence wholly beyond its threshold, and only then", () => {
    const high = decideGate(pol({ thresholds: { counterfactualFlipRate: 0.5 } }), { observed: [slice], counterfactual: { g: cf(1000, 950) }, sequential: { prior: [], increment: null, from, through: day(1), persist: false } }, null);
    expect(high.results[0]!.metrics.counterfactualFlipRate.interval!.lower).toBeGreaterThan(0.5);
    expect(high.verdict).toBe("block");
    const few = decideGate(pol({ thresholds: { counterfactualFlipRate: 0.5 } }), { observed: [slice], counterfactual: { g: cf(20, 19) }, sequential: { prior: [], increment: null, from, through: day(1), persist: false } }, null);
    expect(few.results[0]!.metrics.counterfactualFlipRate.status).toBe("insufficient_evidence");
    expect(few.verdict).toBe("skip");
  });
});
