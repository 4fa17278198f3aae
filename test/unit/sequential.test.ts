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
import { addCounts, metricSequence, mixtureRho, rateSequence } from "../../worker/domain/sequential.js";

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

/** xorshift32: a seeded stream for the simulation (no Math.random in tests). */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

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
    const ref = metricSequence("demographicParityGap", window, 0.05, mixtureRho(0.05))!;
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
    const prior = [{ slice: "g", metric: "demographicParityGap" as const, looks: 3, since: "2026-01-01T00:00:00.000Z", through: "2026-01-04T00:00:00.000Z", groups: [grp("a", 3000, 1500), grp("b", 3000, 600)] }];
    const increment = [slice([grp("a", 1000, 500), grp("b", 1000, 200)])];
    const gate = decideGate(pol(), { observed: [slice(window)], sequential: { prior, increment, from: "2026-01-01T00:00:00.000Z", through: "2026-01-05T00:00:00.000Z", persist: true } }, null);
    const cumulative = [grp("a", 4000, 2000), grp("b", 4000, 800)];
    expect(gate.sequences).toEqual([{ ...prior[0], looks: 4, through: "2026-01-05T00:00:00.000Z", groups: cumulative }]);
    const m = gate.results[0]!.metrics.demographicParityGap;
    const ref = metricSequence("demographicParityGap", cumulative, 0.05, mixtureRho(0.05))!;
    expect(m.interval!.lower).toBeCloseTo(ref.lower, 12);
    expect(m.interval!.upper).toBeCloseTo(ref.upper, 12);
    expect(m.interval!.lower).toBeGreaterThan(0.2);
    expect(gate.verdict).toBe("block");
    expect(gate.violations[0]).toMatch(/95% interval .* lies wholly beyond/);
  });
});
