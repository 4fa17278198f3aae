/**
 * readEvaluation: a current stored body reads back exactly as written (same keys,
 * same values, same canonical hash); a first-version (v1) body — no results,
 * tiers, intervals or warnings — is upgraded to the current shape; anything else
 * is a StoredRecordError (503 stored_record_invalid), never a half-read object.
 */
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../worker/domain/chain.js";
import type { GroupCounts } from "../../worker/domain/confusion.js";
import { StoredRecordError } from "../../worker/domain/errors.js";
import { buildEvaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { evaluationV1Schema, readEvaluation, readEvaluationJson } from "../../worker/domain/evaluation-read.js";
import { decideGate } from "../../worker/domain/gate.js";
import { sha256Hex } from "../../worker/domain/hex.js";
import { wilson } from "../../worker/domain/intervals.js";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { buildReport } from "../../worker/domain/report.js";
import type { SliceTable } from "../../worker/domain/slices.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";

const { bootstrap: resample } = createReferenceKernels();
const grp = (value: string, n: number, selected: number, tp: number, fp: number, fn: number, tn: number): GroupCounts => ({ value, n, selected, labeled: tp + fp + fn + tn, positives: tp + fn, tp, fp, fn, tn });
const slice = (name: string, groups: GroupCounts[]): SliceTable => ({ name, attributes: name.split("|"), table: { groups }, calibration: null });

/** Stored bodies as the gateway writes them: JSON text of buildEvaluation's output. */
function currentBodies(): string[] {
  const policy = fairnessPolicySchema.parse({
    enabled: true,
    sensitiveAttributes: ["ageBand", "gender"],
    thresholds: { disparateImpactRatio: { warning: 0.95, critical: 0.9, block: 0.8 }, equalizedOddsGap: 0.3 },
    maxRegression: { disparateImpactRatio: 0.01 },
    minSampleSize: 50,
    bootstrapReplicates: 200,
    seed: 7,
  });
  const observed = (worse: boolean) => [
    slice("ageBand", [grp("young", 200, 100, 60, 40, 20, 80), grp("old", 150, worse ? 60 : 70, 30, worse ? 30 : 40, 20, 70), grp("tiny", 10, 5, 2, 3, 1, 4)]),
    slice("gender", [grp("f", 180, 85, 45, 40, 20, 75), grp("m", 180, 85, 45, 40, 21, 74)]),
    slice("ageBand|gender", [grp("young|f", 100, 50, 30, 20, 10, 40), grp("old|m", 90, 40, 20, 20, 10, 40)]),
  ];
  const at = (iso: string, id: string) => ({ id, flowId: "f1", flowKey: "cards", version: 2, trigger: "publish" as const, policy, window: { from: "2026-02-22T00:00:00.000Z", to: iso, days: 7 }, now: new Date(iso) });
  const first = buildEvaluation(at("2026-03-01T00:00:00.000Z", "e1"), decideGate(policy, { observed: observed(false) }, null, { resample }));
  // The second one is compared with the first: baseline, regressions and warnings are recorded.
  const second = buildEvaluation(at("2026-03-02T00:00:00.000Z", "e2"), decideGate(policy, { observed: observed(true), baseline: first }, null, { resample }));
  return [JSON.stringify(first), JSON.stringify(second)];
}

/** A v1 body, written by hand after the first evaluation schema (commit 943d375). */
const v1Group = (value: string, n: number, selected: number, tp: number, fp: number, fn: number, tn: number) => ({
  value, n, selected, labeled: tp + fp + fn + tn, positives: tp + fn, tp, fp, fn, tn,
  selectionRate: selected / n, tpr: tp / (tp + fn), fpr: fp / (fp + tn), fnr: fn / (tp + fn), ppv: tp / (tp + fp),
});
const v1Body = (verdict: "pass" | "block" | "bypass" | "skip") => ({
  id: `v1-${verdict}`,
  flowId: "f1",
  flowKey: "cards",
  version: 1,
  trigger: "publish",
  verdict,
  reason: verdict === "skip" ? "insufficient samples" : null,
  sensitiveAttribute: "ageBand",
  window: { from: "2025-06-01T00:00:00.000Z", to: "2025-06-08T00:00:00.000Z", days: 7 },
  sampleSize: 300,
  metrics: { disparateImpactRatio: 0.5, demographicParityGap: 0.3, equalOpportunityGap: 0.25 },
  metricNotes: {},
  groups: [v1Group("18-24", 150, 90, 50, 40, 10, 50), v1Group("65+", 150, 45, 25, 20, 25, 80)],
  excludedFromEqualOpportunity: [],
  violations: verdict === "block" || verdict === "bypass" ? ["disparateImpactRatio 0.500 < threshold 0.8"] : [],
  policy: { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 100, windowDays: 7, continuousRecheck: false, onInsufficientSamples: "skip" },
  overrideId: verdict === "bypass" ? "ov-1" : null,
  approvedBy: verdict === "bypass" ? "approver@x" : null,
  createdAt: "2025-06-08T00:00:00.000Z",
});

describe("readEvaluation", () => {
  it("reads a current body back exactly as stored: same keys and values, same canonical hash", async () => {
    const bodies = currentBodies();
    const [, second] = bodies.map((b) => JSON.parse(b));
    expect(second.baseline.regressions.length).toBeGreaterThan(0); // the rich case really is rich
    expect(second.warnings.length).toBeGreaterThan(0);
    for (const body of bodies) {
      const stored = JSON.parse(body);
      const read = readEvaluationJson(body);
      expect(read).toStrictEqual(stored);
      expect(canonicalJson(read)).toBe(canonicalJson(stored));
      expect(await sha256Hex(canonicalJson(read.policy))).toBe(await sha256Hex(canonicalJson(stored.policy)));
    }
  });

  it("upgrades a v1 body: groups gain fnFpRatio, Wilson intervals, excluded false, no calibration; the rest is empty or null", () => {
    const raw = v1Body("block");
    expect(evaluationV1Schema.safeParse(raw).success).toBe(true);
    expect(evaluationSchema.safeParse(raw).success).toBe(false);
    const e = readEvaluation(raw);
    expect(evaluationSchema.parse(e)).toStrictEqual(e);
    expect(e).toMatchObject({ id: "v1-block", verdict: "block", sensitiveAttribute: "ageBand", sensitiveAttributes: ["ageBand"], highestTier: "block", metrics: raw.metrics, violations: raw.violations, policy: raw.policy });
    expect(e).toMatchObject({ warnings: [], insufficientEvidence: [], results: [], decisionRule: null, minGroupSize: null, intervals: null, replay: null, baseline: null });
    expect(e.groups[1]).toStrictEqual({
      ...raw.groups[1]!,
      fnFpRatio: 25 / 20,
      excluded: false,
      intervals: { selectionRate: wilson(45, 150), tpr: wilson(25, 50), fpr: wilson(20, 100), fnr: wilson(25, 50), ppv: wilson(25, 45) },
      calibration: null,
    });
    expect(readEvaluation(v1Body("bypass")).highestTier).toBe("block");
    expect(readEvaluation(v1Body("pass")).highestTier).toBeNull();
    expect(readEvaluation(v1Body("skip")).highestTier).toBeNull();
  });

  it("an upgraded v1 body reports: group intervals, the policy's threshold as the block tier", async () => {
    const r = await buildReport({ tenant: { id: "t", name: null }, evaluation: readEvaluation(v1Body("block")), flowDefinition: null, datasetHash: null, datasetHashScope: "test", overrides: [], generatedAt: "2026-01-01T00:00:00.000Z" });
    const w = wilson(90, 150)!;
    expect(r.groups[0]).toMatchObject({ value: "18-24", selectionRateInterval: { low: w.lower, high: w.upper }, excluded: false });
    expect(r.metrics.find((m) => m.metric === "disparateImpactRatio")).toMatchObject({ value: 0.5, tiers: [{ tier: "block", threshold: 0.8, pass: false }] });
    expect(r.sliceMetrics).toEqual([]);
  });

  it("a body of no known version throws StoredRecordError (503 stored_record_invalid, no details for the client)", () => {
    const [body] = currentBodies();
    const current = JSON.parse(body!);
    // Current bodies damaged in one field: neither current nor (having current-only keys) v1.
    const noMetric = { ...current, results: [{ ...current.results[0], metrics: { ...current.results[0].metrics, calibrationGap: undefined } }] };
    const badVerdict = { ...current, verdict: "maybe" };
    const v1Extra = { ...v1Body("pass"), surprise: true };
    const v1BadGroup = { ...v1Body("pass"), groups: [{ value: "a" }] };
    for (const raw of [null, 42, "text", [], {}, { id: "x", verdict: "skip" }, noMetric, badVerdict, v1Extra, v1BadGroup]) {
      let caught: unknown;
      try {
        readEvaluation(raw);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(StoredRecordError);
      const e = caught as StoredRecordError;
      expect([e.status, e.code]).toEqual([503, "stored_record_invalid"]);
      expect(e.issues.length).toBeGreaterThan(0);
      expect(e.extra).toEqual({});
      expect(e.message).not.toMatch(/verdict|results|groups/);
    }
    expect(() => readEvaluationJson("{not json")).toThrow(StoredRecordError);
  });
});
