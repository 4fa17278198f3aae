/**
 * Confidence sequences (decisionRule "sequential"): the normal-mixture boundary
 * against a hand computation, the choice of ρ, the time-uniform guarantee by
 * simulation (a flow exactly at its threshold, looked at every day, is paused in
 * at most alpha of runs), and the gate: states advance by the increment only, the
 * evaluation records them, and a publish keeps nothing.
 */
import { describe, expect, it } from "vitest";
import type { GroupCounts } from "../../worker/domain/confusion.js";
import { buildEvaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { decideGate } from "../../worker/domain/gate.js";
import { type FairnessPolicy, fairnessPolicySchema } from "../../worker/domain/policy.js";
import {
  addCounts,
  advance,
  blockAlpha,
  blockIndex,
  metricSequence,
  mixtureRho,
  rateSequence,
  sequenceRho,
  sequenceSource,
  type SequenceState,
} from "../../worker/domain/sequential.js";
import type { Interval } from "../../worker/domain/tiers.js";
import { day, rng } from "../helpers/sequential.js";

const grp = (value: string, n: number, selected: number): GroupCounts => ({ value, n, selected, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 });

describe("normal-mixture boundary", () => {
  it("matches the formula by hand: 50/100, α 0.05, ρ 25", () => {
    // v = 100/4 + 25 = 50; radius = √(50 · ln(50 / (25 · 0.0025))) / 100 = √(50 · ln 800) / 100 = 0.182821
    const iv = rateSequence(50, 100, 0.05, 25)!;
    expect(iv.lower).toBeCloseTo(0.5 - 0.182821, 5);
    expect(iv.upper).toBeCloseTo(0.5 + 0.182821, 5);
    expect(rateSequence(0, 0, 0.05, 25)).toBeNull();
  });
  it("ρ minimises the boundary at the tuned size: c solves ln((1 + c)/(c α²)) = 1/c (c ≈ 0.122 at α 0.05)", () => {
    const rho = mixtureRho(0.05, 10_000);
    const c = rho / 2500;
    expect(c).toBeGreaterThan(0.12);
    expect(c).toBeLessThan(0.124);
    const width = (r: number) => rateSequence(5000, 10_000, 0.05, r)!.upper - 0.5;
    expect(width(rho)).toBeLessThan(width(rho * 0.8));
    expect(width(rho)).toBeLessThan(width(rho * 1.25));
  });
  it("a gap's sequence covers max − min via every group's sequence at α/k", () => {
    const groups = [grp("a", 1000, 500), grp("b", 1000, 400), grp("c", 1000, 450)];
    const rho = mixtureRho(0.05);
    const gap = metricSequence("demographicParityGap", groups, 0.05, rho)!;
    const a = rateSequence(500, 1000, 0.05 / 3, rho)!;
    const b = rateSequence(400, 1000, 0.05 / 3, rho)!;
    expect(gap.lower).toBeCloseTo(Math.max(0, a.lower - b.upper), 12);
    expect(gap.upper).toBeCloseTo(a.upper - b.lower, 12);
  });
});

/** Of two gap intervals, the one reaching further towards worse (the larger lower bound). */
const worse = (a: Interval, b: Interval) => (b.lower > a.lower ? b : a);

describe("restarting blocks", () => {
  it("number looks by 14-day blocks from the start and split α/2 as (α/2)·6/(π² j²)", () => {
    expect(blockIndex(day(0), day(13))).toBe(1);
    expect(blockIndex(day(0), day(14))).toBe(2);
    expect(blockIndex("window", "window")).toBeNull();
    // Σ_j 6/(π² j²) = 1, so the blocks together spend α/2.
    let sum = 0;
    for (let j = 1; j <= 200_000; j++) sum += blockAlpha(0.05, j);
    expect(sum).toBeCloseTo(0.025, 5);
    expect(blockAlpha(0.05, 1)).toBeCloseTo((0.025 * 6) / Math.PI ** 2, 15);
  });
  it("a look in a new block restarts the block's counts; the since-start counts keep growing", () => {
    const s1 = advance(null, "g", "demographicParityGap", [grp("a", 100, 50)], day(0), day(7));
    expect(s1.block).toEqual({ index: 1, since: day(0), groups: [grp("a", 100, 50)] });
    const s2 = advance(s1, "g", "demographicParityGap", [grp("a", 10, 5)], day(0), day(13));
    expect(s2.block).toEqual({ index: 1, since: day(0), groups: [grp("a", 110, 55)] });
    const s3 = advance(s2, "g", "demographicParityGap", [grp("a", 20, 20)], day(0), day(15));
    expect(s3.block).toEqual({ index: 2, since: day(13), groups: [grp("a", 20, 20)] });
    expect(s3.groups).toEqual([grp("a", 130, 75)]);
  });
  it("the interval is the since-start sequence at α/2 or the block's at α_j, whichever reaches further", () => {
    // No allocation kept: a and b form the first cohort, 0.9 of each level shared evenly (0.45 each).
    const rho = sequenceRho(0.05);
    const state: SequenceState = {
      slice: "g", metric: "demographicParityGap", looks: 9, since: day(0), through: day(30),
      groups: [grp("a", 8000, 4000), grp("b", 8000, 3900)],
      block: { index: 3, since: day(28), groups: [grp("a", 500, 250), grp("b", 500, 100)] },
    };
    const src = sequenceSource(state, 1, rho);
    const main = metricSequence("demographicParityGap", state.groups, 0.025 * 0.9, rho.sinceStart)!;
    const blk = metricSequence("demographicParityGap", state.block!.groups, blockAlpha(0.05, 3) * 0.9, rho.block)!;
    const ref = worse(main, blk);
    expect(src.at(0.95)!.lower).toBeCloseTo(ref.lower, 12);
    expect(src.at(0.95)!.upper).toBeCloseTo(ref.upper, 12);
    expect(src.componentAt(0.95)).toBe("block"); // a 0.3 gap in the last block, 0.0125 since the start
  });
});

describe("the time-uniform guarantee", () => {
  it("a flow whose true gap equals its threshold, looked at 100 times, is ever judged beyond in ≤ 5% of 400 runs", () => {
    const rho = mixtureRho(0.05);
    const runs = 400;
    let ever = 0;
    for (let r = 0; r < runs; r++) {
      const u = rng(1000 + r);
      let g: GroupCounts[] = [];
      for (let day = 0; day < 100; day++) {
        let a = 0, b = 0;
        for (let i = 0; i < 100; i++) {
          if (u() < 0.5) a++;
          if (u() < 0.4) b++;
        }
        g = addCounts(g, [grp("a", 100, a), grp("b", 100, b)]);
        if (metricSequence("demographicParityGap", g, 0.05, rho)!.lower > 0.1) {
          ever++;
          break;
        }
      }
    }
    expect(ever / runs).toBeLessThanOrEqual(0.05);
  });
  it("with restarting blocks too: 300 runs of 120 daily looks at the threshold, ever beyond in ≤ 5%", () => {
    const rho = sequenceRho(0.05);
    let ever = 0;
    for (let r = 0; r < 300; r++) {
      const u = rng(5000 + r);
      let state: SequenceState | null = null;
      for (let d = 0; d < 120; d++) {
        let a = 0, b = 0;
        for (let i = 0; i < 100; i++) {
          if (u() < 0.5) a++;
          if (u() < 0.4) b++;
        }
        state = advance(state, "g", "demographicParityGap", [grp("a", 100, a), grp("b", 100, b)], day(0), day(d + 1));
        if (sequenceSource(state, 1, rho).at(0.95)!.lower > 0.1) {
          ever++;
          break;
        }
      }
    }
    expect(ever / 300).toBeLessThanOrEqual(0.05);
  });
});

const pol = (extra: Record<string, unknown> = {}): FairnessPolicy =>
  fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "g", minSampleSize: 10, minGroupSize: 1, decisionRule: "sequential", thresholds: { demographicParityGap: 0.2 }, ...extra });
const slice = (groups: GroupCounts[]) => ({ name: "g", attributes: ["g"], table: { groups }, calibration: null });

describe("the sequential rule in the gate", () => {
  const window = [grp("a", 200, 100), grp("b", 200, 60)];
  it("a publish judges the window alone and keeps no state; the evaluation records the sequence", () => {
    const p = pol();
    const gate = decideGate(p, { observed: [slice(window)], sequential: { prior: [], increment: null, from: "2026-01-01T00:00:00.000Z", through: "2026-01-08T00:00:00.000Z", persist: false } }, null);
    expect(gate.sequences).toEqual([]);
    const m = gate.results[0]!.metrics.demographicParityGap;
    expect(m.intervalMethod).toBe("confidence-sequence");
    expect(m.sequence).toMatchObject({ looks: 1, persisted: false, groups: window });
    const rho = sequenceRho(0.05);
    // a and b are the first cohort: 0.9 of each level, split evenly (metricSequence's even split over the two).
    const ref = worse(metricSequence("demographicParityGap", window, 0.025 * 0.9, rho.sinceStart)!, metricSequence("demographicParityGap", window, blockAlpha(0.05, 1) * 0.9, rho.block)!);
    expect(m.interval!.lower).toBeCloseTo(ref.lower, 12);
    expect(m.interval!.upper).toBeCloseTo(ref.upper, 12);
    // Wide at 200 per group: straddles 0.2, and a straddling sequence never blocks (even with onInsufficientSamples block).
    expect(m.status).toBe("insufficient_evidence");
    expect(decideGate(pol({ onInsufficientSamples: "block" }), { observed: [slice(window)] }, null).verdict).toBe("skip");
    const e = evaluationSchema.parse(buildEvaluation({ id: "e", flowId: "f", flowKey: "k", version: 1, trigger: "publish", policy: p, window: null, now: new Date(0) }, gate));
    expect(e.decisionRule).toBe("sequential");
    expect(e.results[0]!.metrics.demographicParityGap.sequence?.groups).toEqual(window);
  });
  it("a recheck adds only the increment to the kept state and pauses once the sequence is wholly beyond", () => {
    const first = [grp("a", 3000, 1500), grp("b", 3000, 600)];
    const prior = [{ slice: "g", metric: "demographicParityGap" as const, looks: 3, since: "2026-01-01T00:00:00.000Z", through: "2026-01-04T00:00:00.000Z", groups: first, block: { index: 1, since: "2026-01-01T00:00:00.000Z", groups: first } }];
    const increment = [slice([grp("a", 1000, 500), grp("b", 1000, 200)])];
    const gate = decideGate(pol(), { observed: [slice(window)], sequential: { prior, increment, from: "2026-01-01T00:00:00.000Z", through: "2026-01-05T00:00:00.000Z", persist: true } }, null);
    const cumulative = [grp("a", 4000, 2000), grp("b", 4000, 800)];
    // The prior was kept without an allocation: this look (the 4th) gives it one, a and b in the first cohort at 0.45.
    const allocation = [{ value: "a", cohort: 1, look: 4, weight: 0.45 }, { value: "b", cohort: 1, look: 4, weight: 0.45 }];
    expect(gate.sequences).toEqual([{ ...prior[0], looks: 4, through: "2026-01-05T00:00:00.000Z", groups: cumulative, allocation, block: { ...prior[0]!.block, groups: cumulative } }]);
    const m = gate.results[0]!.metrics.demographicParityGap;
    expect(m.sequence?.allocation).toEqual(allocation);
    const rho = sequenceRho(0.05);
    const ref = worse(metricSequence("demographicParityGap", cumulative, 0.025 * 0.9, rho.sinceStart)!, metricSequence("demographicParityGap", cumulative, blockAlpha(0.05, 1) * 0.9, rho.block)!);
    expect(m.interval!.lower).toBeCloseTo(ref.lower, 12);
    expect(m.interval!.upper).toBeCloseTo(ref.upper, 12);
    expect(m.interval!.lower).toBeGreaterThan(0.2);
    expect(gate.verdict).toBe("block");
    expect(gate.violations[0]).toMatch(/95% interval .* lies wholly beyond/);
  });
});
