/**
 * The gate over slices, sources, tiers, the decision rule and baselines — and the
 * design invariant: the same window, policy and seed give the same evaluation, bit
 * for bit, whichever kernels draw the bootstrap and in whatever order rows arrive.
 */
import { describe, expect, it } from "vitest";
import type { GroupCounts } from "../../worker/domain/confusion.js";
import { buildEvaluation, type Evaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { decideGate, type GateInput } from "../../worker/domain/gate.js";
import { type FairnessPolicy, fairnessPolicySchema } from "../../worker/domain/policy.js";
import type { SliceTable } from "../../worker/domain/slices.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import type { Kernels } from "../../worker/engine/kernels/types.js";
import { loadWasmKernelsFromFile } from "../../worker/engine/kernels/wasm-node.js";
import { createSliceAccumulators, addSliceRows } from "../../worker/engine/window.js";

const ref = createReferenceKernels();
const resample = ref.bootstrap;
const policy = (p: Record<string, unknown>): FairnessPolicy => fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "ageBand", ...p });
/** n traces, `sel` selected, no labels. */
const grp = (value: string, n: number, sel: number): GroupCounts => ({ value, n, selected: sel, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 });
const slice = (name: string, groups: GroupCounts[]): SliceTable => ({ name, attributes: name.split("|"), table: { groups }, calibration: null });
const ctx = (p: FairnessPolicy | null) => ({ id: "e1", flowId: "f1", flowKey: "k", version: 2, trigger: "publish" as const, policy: p, window: null, now: new Date("2026-03-01T00:00:00Z") });

describe("slices and sources", () => {
  it("blocks on an intersection even when each attribute alone passes; messages name the slice", () => {
    const p = policy({ sensitiveAttributes: ["ageBand", "gender"], thresholds: { demographicParityGap: 0.2 } });
    const input: GateInput = {
      observed: [
        slice("ageBand", [grp("old", 200, 100), grp("young", 200, 100)]),
        slice("gender", [grp("f", 200, 100), grp("m", 200, 100)]),
        slice("ageBand|gender", [grp("old|f", 100, 80), grp("old|m", 100, 20), grp("young|f", 100, 20), grp("young|m", 100, 80)]),
      ],
    };
    const r = decideGate(p, input, null, { resample });
    expect(r.verdict).toBe("block");
    expect(r.violations).toEqual(["ageBand|gender: demographic parity gap 0.600 > threshold 0.2"]);
    expect(r.results.map((x) => [x.slice, x.source, x.metrics.demographicParityGap.status])).toEqual([
      ["ageBand", "observed", "pass"], ["gender", "observed", "pass"], ["ageBand|gender", "observed", "block"],
    ]);
  });

  it("blocks a candidate that would breach even when the live traffic is fine", () => {
    const p = policy({ thresholds: { disparateImpactRatio: 0.8 } });
    const r = decideGate(p, { observed: [slice("ageBand", [grp("a", 100, 50), grp("b", 100, 50)])], replayed: [slice("ageBand", [grp("a", 100, 50), grp("b", 100, 20)])] }, null, { resample });
    expect(r.verdict).toBe("block");
    expect(r.violations).toEqual(["candidate ageBand: disparate impact ratio 0.400 < threshold 0.8"]);
    expect(r.report.metrics.disparateImpactRatio).toBe(1); // the legacy fields stay the observed window's
    expect(r.results.map((x) => x.source)).toEqual(["observed", "replayed"]);
  });

  it("small cells are reported with their n and left out of the gaps", () => {
    const p = policy({ thresholds: { demographicParityGap: 0.2 }, minGroupSize: 30 });
    const r = decideGate(p, { observed: [slice("ageBand", [grp("a", 100, 50), grp("b", 100, 45), grp("tiny", 5, 5)])] }, null, { resample });
    expect(r.verdict).toBe("pass");
    expect(r.results[0]!.excludedGroups).toEqual([{ value: "tiny", n: 5, reason: "n 5 < minGroupSize 30" }]);
    expect(r.results[0]!.groups.find((g) => g.value === "tiny")).toMatchObject({ n: 5, excluded: true, selectionRate: 1 });
  });
});

describe("tiers, the decision rule and baselines", () => {
  const table = [grp("a", 100, 50), grp("b", 100, 30)]; // DPG .2, DIR .6; interval of the DPG roughly ±.13
  const input = { observed: [slice("ageBand", table)] };

  it("critical and warning tiers pass with warnings; block blocks", () => {
    const p = policy({ thresholds: { demographicParityGap: { warning: 0.1, critical: 0.15, block: 0.3 }, disparateImpactRatio: { warning: 0.7 } } });
    const r = decideGate(p, input, null, { resample });
    expect(r.verdict).toBe("pass");
    expect(r.warnings.map((w) => [w.tier, w.metric, w.message])).toEqual([
      ["warning", "disparateImpactRatio", "disparate impact ratio 0.600 < threshold 0.7 (warning)"],
      ["critical", "demographicParityGap", "demographic parity gap 0.200 > threshold 0.15 (critical)"],
    ]);
    expect(buildEvaluation(ctx(p), r).highestTier).toBe("critical");
  });

  it("confident: a straddling interval is insufficient evidence (skip, or block per onInsufficientSamples), with a sample-size hint", () => {
    const point = decideGate(policy({ thresholds: { demographicParityGap: 0.15 } }), input, null, { resample });
    expect(point.verdict).toBe("block");
    const p = policy({ thresholds: { demographicParityGap: 0.15 }, decisionRule: "confident" });
    const r = decideGate(p, input, null, { resample });
    expect(r).toMatchObject({ verdict: "skip", reason: "insufficient evidence", violations: [] });
    const e = r.results[0]!.metrics.demographicParityGap;
    expect(e.status).toBe("insufficient_evidence");
    expect(e.interval!.lower).toBeLessThan(0.15);
    expect(e.interval!.upper).toBeGreaterThan(0.15);
    expect(r.insufficientEvidence[0]).toMatch(/^insufficient evidence: demographic parity gap 0\.200, 95% interval \[0\.\d{3}, 0\.\d{3}\] straddles threshold 0\.15$/);
    expect(e.sampleSizeHint!.factor).toBeGreaterThan(1);
    expect(e.sampleSizeHint!.additionalPerGroup.map((g) => g.value)).toEqual(["a", "b"]);
    const strict = decideGate({ ...p, onInsufficientSamples: "block" }, input, null, { resample });
    expect(strict.verdict).toBe("block");
    // With four times the data the interval clears the threshold and the block is confident.
    const big = decideGate(p, { observed: [slice("ageBand", [grp("a", 1600, 800), grp("b", 1600, 480)])] }, null, { resample });
    expect(big.verdict).toBe("block");
    expect(big.violations[0]).toMatch(/^demographic parity gap 0\.200 > threshold 0\.15 \(95% interval \[0\.1\d\d, 0\.2\d\d\] lies wholly beyond\)$/);
  });

  it("a metric worse than the last passing evaluation by more than maxRegression warns, inside its threshold", () => {
    const p = policy({ thresholds: { demographicParityGap: 0.3 }, maxRegression: { demographicParityGap: 0.02, disparateImpactRatio: 0.5 } });
    const before = buildEvaluation(ctx(p), decideGate(p, { observed: [slice("ageBand", [grp("a", 100, 50), grp("b", 100, 40)])] }, null, { resample }));
    const r = decideGate(p, { ...input, baseline: before }, null, { resample });
    expect(r.verdict).toBe("pass");
    expect(r.baseline!.regressions.map((g) => [g.metric, g.baseline, g.current])).toEqual([["demographicParityGap", expect.closeTo(0.1, 12), expect.closeTo(0.2, 12)]]);
    expect(r.warnings).toEqual([expect.objectContaining({ tier: "warning", kind: "regression", metric: "demographicParityGap" })]);
    expect(r.warnings[0]!.message).toBe("demographic parity gap 0.200 worsened by 0.100 since evaluation e1 (0.100), more than maxRegression 0.02");
    // An evaluation stored before the metrics issue has only the three pinned metrics: still a baseline.
    const legacy = { id: "old", createdAt: "2026-01-01T00:00:00Z", sensitiveAttribute: "ageBand", metrics: { demographicParityGap: 0.05 } };
    expect(decideGate(p, { ...input, baseline: legacy }, null, { resample }).baseline!.regressions).toHaveLength(1);
  });
});

/** The same rows as column batches, in the given order, through the engine's accumulators. */
function tablesFrom(rows: { g: string; s: string; sel: number; out: number | null; score: number | null }[], kernels: Kernels) {
  const acc = createSliceAccumulators(kernels, ["ageBand", "gender"], { calibrationBins: 10 });
  for (let i = 0; i < rows.length; i += 97) {
    addSliceRows(acc, rows.slice(i, i + 97).map((r, j) => ({ seq: i + j, createdAt: 0, groups: [JSON.stringify(r.g), JSON.stringify(r.s)], selected: r.sel, converted: r.out, score: r.score })));
  }
  return acc.tables();
}

describe("the same window, policy and seed give the same evaluation, bit for bit", () => {
  let x = 12345;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const rows = Array.from({ length: 3000 }, () => {
    const g = ["18-24", "25-44", "65+"][Math.floor(rnd() * 3)]!;
    const s = rnd() < 0.5 ? "f" : "m";
    const score = rnd();
    return { g, s, sel: score > (g === "65+" ? 0.6 : 0.45) ? 1 : 0, out: rnd() < 0.2 ? null : rnd() < score ? 1 : 0, score };
  });
  const p = policy({ sensitiveAttributes: ["ageBand", "gender"], thresholds: { disparateImpactRatio: { warning: 0.9, block: 0.8 }, equalizedOddsGap: 0.1, calibrationGap: 0.05 }, seed: 42 });
  const evaluate = (tables: SliceTable[], kernels: Kernels) => JSON.stringify(buildEvaluation(ctx(p), decideGate(p, { observed: tables }, null, { resample: kernels.bootstrap })));

  it("across runs, row orders and kernel implementations (Wasm ≡ TS reference)", async () => {
    const wasm = await loadWasmKernelsFromFile();
    const a = evaluate(tablesFrom(rows, ref), ref);
    expect(evaluate(tablesFrom(rows, ref), ref)).toBe(a);
    const shuffled = [...rows].sort((u, v) => u.score * 7919 % 1 - v.score * 7919 % 1);
    expect(evaluate(tablesFrom(shuffled, ref), ref)).toBe(a);
    expect(evaluate(tablesFrom(shuffled, wasm), wasm)).toBe(a);
    const ev = JSON.parse(a) as Evaluation;
    expect(evaluationSchema.parse(ev)).toEqual(ev);
    expect(ev.intervals).toEqual({ level: 0.95, groupRates: "wilson", aggregates: "poisson-bootstrap", replicates: 1000, seed: 42 });
    expect(ev.results.map((r) => r.slice)).toEqual(["ageBand", "gender", "ageBand|gender"]);
    for (const m of ["disparateImpactRatio", "equalizedOddsGap", "calibrationGap"] as const) {
      const e = ev.results[0]!.metrics[m];
      expect(e.interval!.lower).toBeLessThanOrEqual(e.value!);
      expect(e.interval!.upper).toBeGreaterThanOrEqual(e.value!);
    }
    // Another seed: other intervals, same point estimates.
    const other = JSON.parse(JSON.stringify(buildEvaluation(ctx({ ...p, seed: 43 }), decideGate({ ...p, seed: 43 }, { observed: tablesFrom(rows, ref) }, null, { resample }))));
    expect(other.results[0].metrics.disparateImpactRatio.value).toBe(ev.results[0]!.metrics.disparateImpactRatio.value);
    expect(other.results[0].metrics.disparateImpactRatio.interval).not.toEqual(ev.results[0]!.metrics.disparateImpactRatio.interval);
  });
});
