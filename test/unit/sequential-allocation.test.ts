/**
 * The allocation of α over a sequence's groups (decisionRule "sequential"): each group's
 * share is fixed at the look it reaches minGroupSize and never revised, the shares sum to
 * at most 1 over every group that can ever appear, states kept before allocations are
 * upgraded at their next look, and a flow whose groups appear late is still paused in at
 * most α of runs. The old split (over the groups present at each look) ran a group at α/2
 * early and α/8 later: the union over time of the levels it used was 1.75 α.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { GroupCounts } from "../../worker/domain/confusion.js";
import { buildEvaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { decideGate } from "../../worker/domain/gate.js";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { advance, allocationOf, blockAlpha, rateSequence, sequenceRho, sequenceSource, type SequenceState, sequenceStateSchemaOf } from "../../worker/domain/sequential.js";
import type { Interval } from "../../worker/domain/tiers.js";
import { day, rng } from "../helpers/sequential.js";

const grp = (value: string, n: number, selected: number): GroupCounts => ({ value, n, selected, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 });

// Weights by hand: cohort 1 gets 1 − 0.1 = 0.9; cohort c ≥ 2 gets 0.1 · 6/(π² (c − 1)²), each shared evenly.
const SIX_OVER_PI2 = 0.6079271018540267;
const W1 = 0.45; // 0.9 over two groups
const W2 = 0.1 * SIX_OVER_PI2; // 0.0607927, one group
const W3 = (0.1 * SIX_OVER_PI2) / 4 / 2; // 0.0075991 each, two groups

/** The parity gap's range from per-group selection-rate sequences, each at its own level (written out again). */
function gapByHand(groups: GroupCounts[], level: (g: GroupCounts) => number, rho: number): Interval {
  const ivs = groups.map((g) => rateSequence(g.selected, g.n, level(g), rho)!);
  const lower = Math.max(0, Math.max(...ivs.map((i) => i.lower)) - Math.min(...ivs.map((i) => i.upper)));
  const upper = Math.max(...ivs.map((i) => i.upper)) - Math.min(...ivs.map((i) => i.lower));
  return { lower, upper };
}
const worse = (a: Interval, b: Interval) => (b.lower > a.lower ? b : a);

describe("allocation by order of admission", () => {
  const rho = sequenceRho(0.05);
  it("groups reaching minGroupSize at different looks keep the share they were admitted with; the shares sum to ≤ 1", () => {
    const s1 = advance(null, "g", "demographicParityGap", [grp("a", 40, 20), grp("b", 35, 14), grp("c", 10, 5)], day(0), day(1), {}, 30);
    expect(s1.allocation).toEqual([
      { value: "a", cohort: 1, look: 1, weight: W1 },
      { value: "b", cohort: 1, look: 1, weight: W1 },
    ]);
    const s2 = advance(s1, "g", "demographicParityGap", [grp("a", 40, 20), grp("b", 35, 14), grp("c", 25, 12)], day(0), day(2), {}, 30);
    expect(s2.allocation).toEqual([...s1.allocation!, { value: "c", cohort: 2, look: 2, weight: expect.closeTo(0.0607927, 7) }]);
    const s3 = advance(s2, "g", "demographicParityGap", [grp("a", 40, 20), grp("b", 35, 14), grp("c", 35, 17), grp("d", 50, 22), grp("e", 40, 19)], day(0), day(3), {}, 30);
    expect(s3.allocation!.slice(0, 3)).toEqual(s2.allocation);
    expect(s3.allocation!.slice(3)).toEqual([
      { value: "d", cohort: 3, look: 3, weight: expect.closeTo(0.0075991, 7) },
      { value: "e", cohort: 3, look: 3, weight: expect.closeTo(0.0075991, 7) },
    ]);
    // A group still below minGroupSize joins nothing.
    const s4 = advance(s3, "g", "demographicParityGap", [grp("f", 10, 5)], day(0), day(4), {}, 30);
    expect(s4.allocation).toEqual(s3.allocation);
    // 0.9 + 0.0607927 + 0.0151982 = 0.9759909 ≤ 1.
    expect(s4.allocation!.reduce((s, x) => s + x.weight, 0)).toBeCloseTo(0.9759909, 6);

    // The levels used: group a at 0.025 · 0.45 (since start) at look 1 and still at look 3, whatever joined since.
    const at1 = gapByHand(s1.groups.filter((g) => g.value !== "c"), () => 0.025 * W1, rho.sinceStart);
    const blk1 = gapByHand(s1.groups.filter((g) => g.value !== "c"), () => blockAlpha(0.05, 1) * W1, rho.block);
    expect(sequenceSource(s1, 30, rho).at(0.95)).toEqual(worse(at1, blk1));
    const w3 = { a: W1, b: W1, c: W2, d: W3, e: W3 } as Record<string, number>;
    const at3 = gapByHand(s3.groups, (g) => 0.025 * w3[g.value]!, rho.sinceStart);
    const blk3 = gapByHand(s3.groups, (g) => blockAlpha(0.05, 1) * w3[g.value]!, rho.block);
    const got = sequenceSource(s3, 30, rho).at(0.95)!;
    expect(got.lower).toBeCloseTo(worse(at3, blk3).lower, 12);
    expect(got.upper).toBeCloseTo(worse(at3, blk3).upper, 12);
  });

  it("the first cohort opens only when two groups qualify", () => {
    const s1 = advance(null, "g", "demographicParityGap", [grp("a", 40, 20), grp("b", 10, 4)], day(0), day(1), {}, 30);
    expect(s1.allocation).toEqual([]);
    expect(sequenceSource(s1, 30, rho).at(0.95)).toBeNull();
    const s2 = advance(s1, "g", "demographicParityGap", [grp("b", 25, 10)], day(0), day(2), {}, 30);
    expect(s2.allocation).toEqual([
      { value: "a", cohort: 1, look: 2, weight: W1 },
      { value: "b", cohort: 1, look: 2, weight: W1 },
    ]);
  });

  it("a state kept before allocations parses, and is allocated at its next look as if its sequence began there", () => {
    const old = { slice: "g", metric: "demographicParityGap", looks: 5, since: day(0), through: day(5), groups: [grp("a", 500, 250), grp("b", 500, 200), grp("c", 20, 10)] };
    for (const schema of [sequenceStateSchemaOf(z.object), sequenceStateSchemaOf(z.strictObject)]) expect(schema.parse(old)).toEqual(old);
    const next = advance(old as SequenceState, "g", "demographicParityGap", [grp("c", 20, 10)], day(0), day(6), {}, 30);
    // c reaches 40 ≥ 30 at this look, so the first cohort is a, b and c: 0.9 / 3 = 0.3 each.
    expect(next.allocation).toEqual([
      { value: "a", cohort: 1, look: 6, weight: expect.closeTo(0.3, 15) },
      { value: "b", cohort: 1, look: 6, weight: expect.closeTo(0.3, 15) },
      { value: "c", cohort: 1, look: 6, weight: expect.closeTo(0.3, 15) },
    ]);
    expect([...allocationOf(old, 30)]).toEqual([["a", W1], ["b", W1]]);
    // A file that would spend more than α is refused.
    const over = { ...old, allocation: [{ value: "a", cohort: 1, look: 1, weight: 0.6 }, { value: "b", cohort: 1, look: 1, weight: 0.6 }] };
    expect(sequenceStateSchemaOf(z.strictObject).safeParse(over).success).toBe(false);
  });
});

describe("groups that appear late, by simulation", () => {
  it("2 groups from day 1, 6 more from day 8: ever judged beyond in ≤ 5% of 200 runs; no group's level ever moves, their sum stays ≤ α", () => {
    const rho = sequenceRho(0.05);
    const late = ["c", "d", "e", "f", "g", "h"];
    let ever = 0;
    let budgetOld = 0;
    for (let r = 0; r < 200; r++) {
      const u = rng(9100 + r);
      let state: SequenceState | null = null;
      const first = new Map<string, number>();
      const maxOld = new Map<string, number>();
      let beyond = false;
      for (let d = 0; d < 60; d++) {
        const draw = (value: string, p: number) => {
          let k = 0;
          for (let i = 0; i < 100; i++) if (u() < p) k++;
          return grp(value, 100, k);
        };
        // a and b differ by exactly the threshold 0.1; the late groups sit between them.
        const look = [draw("a", 0.5), draw("b", 0.4), ...(d >= 7 ? late.map((v) => draw(v, 0.45)) : [])];
        state = advance(state, "s", "demographicParityGap", look, day(0), day(d + 1), {}, 30);
        for (const x of state.allocation!) {
          if (!first.has(x.value)) first.set(x.value, x.weight);
          expect(x.weight).toBe(first.get(x.value));
        }
        expect(state.allocation!.reduce((s, x) => s + x.weight, 0)).toBeLessThanOrEqual(1);
        // The split the old code used: α/2 over the groups present at this look.
        for (const g of state.groups) maxOld.set(g.value, Math.max(maxOld.get(g.value) ?? 0, 0.025 / state.groups.length));
        if (!beyond && sequenceSource(state, 30, rho).at(0.95)!.lower > 0.1) beyond = true;
      }
      if (beyond) ever++;
      budgetOld = Math.max(budgetOld, [...maxOld.values()].reduce((s, x) => s + x, 0));
      // All eight admitted: a, b in cohort 1 (0.45 each), the six late ones in cohort 2 (0.0607927 / 6 each).
      expect(first.size).toBe(8);
      expect(first.get("c")).toBeCloseTo(W2 / 6, 12);
    }
    expect(ever / 200).toBeLessThanOrEqual(0.05);
    // The old split's union over time: 2 · α/4 + 6 · α/16 of the since-start α/2 — 1.75 × its budget.
    expect(budgetOld / 0.025).toBeCloseTo(1.75, 12);
  });
});

describe("the allocation through the gate", () => {
  it("is recorded in the evaluation, and the interval reproduces from it at the multiplicity-adjusted level", () => {
    const p = fairnessPolicySchema.parse({
      enabled: true,
      sensitiveAttribute: "g",
      minSampleSize: 10,
      minGroupSize: 30,
      decisionRule: "sequential",
      multiplicity: "holm",
      thresholds: { demographicParityGap: 0.2, disparateImpactRatio: 0.5 },
    });
    const groups = [grp("a", 400, 200), grp("b", 400, 150), grp("c", 20, 10)];
    const slice = { name: "g", attributes: ["g"], table: { groups }, calibration: null };
    const gate = decideGate(p, { observed: [slice], sequential: { prior: [], increment: null, from: day(0), through: day(7), persist: true } }, null);
    const m = gate.results[0]!.metrics.demographicParityGap;
    const kept = gate.sequences.find((s) => s.metric === "demographicParityGap")!;
    expect(kept.allocation).toEqual([
      { value: "a", cohort: 1, look: 1, weight: W1 },
      { value: "b", cohort: 1, look: 1, weight: W1 },
    ]);
    const ev = evaluationSchema.parse(buildEvaluation({ id: "e", flowId: "f", flowKey: "k", version: 1, trigger: "recheck", policy: p, window: null, now: new Date(0) }, gate));
    const seq = ev.results[0]!.metrics.demographicParityGap.sequence!;
    expect(seq.allocation).toEqual(kept.allocation);
    // Holm over two tests, neither rejected: each at α/2, so a = 0.025; the since-start sequence at a/2 · 0.45 per group, block 1 at α_1(a) · 0.45.
    expect(m.level).toBeCloseTo(0.975, 12);
    const a = 1 - m.level!;
    const ab = [grp("a", 400, 200), grp("b", 400, 150)];
    const ref = worse(gapByHand(ab, () => (a / 2) * W1, sequenceRho(0.05).sinceStart), gapByHand(ab, () => blockAlpha(a, 1) * W1, sequenceRho(0.05).block));
    expect(m.interval!.lower).toBeCloseTo(ref.lower, 12);
    expect(m.interval!.upper).toBeCloseTo(ref.upper, 12);
  });
});
