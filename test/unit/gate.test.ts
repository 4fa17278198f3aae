/** Metric definitions and the gate decision against hand-computed counts. */
import { describe, expect, it } from "vitest";
import type { ConfusionTable } from "../../worker/domain/confusion.js";
import { applicableOverride, decideGate, type OverrideView } from "../../worker/domain/gate.js";
import { computeMetrics } from "../../worker/domain/metrics.js";
import { fairnessPolicySchema, type FairnessPolicy } from "../../worker/domain/policy.js";

const g = (value: string, n: number, selected: number, tp: number, fp: number, fn: number, tn: number) => ({
  value, n, selected, labeled: tp + fp + fn + tn, positives: tp + fn, tp, fp, fn, tn,
});

// A: 100 traces, 60 selected; labels: 40 positives of which 30 selected. B: 100 traces, 30 selected; 50 positives, 20 selected.
const table: ConfusionTable = { groups: [g("A", 100, 60, 30, 20, 10, 30), g("B", 100, 30, 20, 5, 30, 35)] };
const policy = (t: FairnessPolicy["thresholds"], extra: Partial<FairnessPolicy> = {}): FairnessPolicy =>
  ({ ...fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "ageBand", thresholds: t }), ...extra });

describe("metrics", () => {
  it("follow the pinned definitions", () => {
    const m = computeMetrics(table).metrics;
    expect(m.sampleSize).toBe(200);
    expect(m.disparateImpactRatio).toBeCloseTo(0.3 / 0.6, 12); // 0.5
    expect(m.demographicParityGap).toBeCloseTo(0.6 - 0.3, 12); // 0.3
    expect(m.equalOpportunityGap).toBeCloseTo(30 / 40 - 20 / 50, 12); // 0.75 − 0.4 = 0.35
  });
  it("leaves groups without positives out of the TPR gap and names them", () => {
    const t = { groups: [...table.groups, g("C", 50, 10, 0, 10, 0, 40)] };
    const r = computeMetrics(t);
    expect(r.metrics.equalOpportunityGap).toBeCloseTo(0.35, 12);
    expect(r.excludedFromEqualOpportunity).toEqual(["C"]);
    expect(r.groups.find((x) => x.value === "C")!.tpr).toBeNull();
  });
  it("is null with a reason when there are no labels", () => {
    const r = computeMetrics({ groups: [{ ...g("A", 10, 5, 0, 0, 0, 0) }, { ...g("B", 10, 2, 0, 0, 0, 0) }] });
    expect(r.metrics.equalOpportunityGap).toBeNull();
    expect(r.metricNotes.equalOpportunityGap).toMatch(/no outcome labels/);
  });
  it("0/0 rates are null", () => {
    const r = computeMetrics({ groups: [g("A", 10, 0, 0, 0, 0, 0), g("B", 10, 0, 0, 0, 0, 0)] });
    expect(r.metrics.disparateImpactRatio).toBeNull();
    expect(r.metrics.demographicParityGap).toBe(0);
    expect(r.groups[0]!.ppv).toBeNull();
  });
});

describe("decideGate", () => {
  it("blocks with 3-decimal violation strings", () => {
    const r = decideGate(policy({ disparateImpactRatio: 0.8, demographicParityGap: 0.2, equalOpportunityGap: 0.4 }), table, null);
    expect(r.verdict).toBe("block");
    expect(r.violations).toEqual(["disparate impact ratio 0.500 < threshold 0.8", "demographic parity gap 0.300 > threshold 0.2"]);
  });
  it("passes at exactly the threshold and ignores absent thresholds", () => {
    expect(decideGate(policy({ disparateImpactRatio: 0.5 }), table, null).verdict).toBe("pass");
    expect(decideGate(policy({}), table, null).verdict).toBe("pass");
  });
  it("skips with the pinned reasons, or blocks when the policy says so", () => {
    expect(decideGate(policy({ disparateImpactRatio: 0.8 }), { groups: [] }, null)).toMatchObject({ verdict: "skip", reason: "no usable samples" });
    expect(decideGate(policy({ disparateImpactRatio: 0.8 }, { minSampleSize: 500 }), table, null)).toMatchObject({ verdict: "skip", reason: "insufficient samples" });
    const b = decideGate(policy({ disparateImpactRatio: 0.8 }, { minSampleSize: 500, onInsufficientSamples: "block" }), table, null);
    expect(b.verdict).toBe("block");
    expect(b.violations[0]).toMatch(/^insufficient samples: 200 < minimum sample size 500$/);
    expect(decideGate(null, table, null).verdict).toBe("skip");
    expect(decideGate(policy({ disparateImpactRatio: 0.8 }, { enabled: false }), table, null).verdict).toBe("skip");
  });
  it("turns a block into a bypass only with an applicable override", () => {
    const now = new Date("2026-03-03T12:00:00Z");
    const o = (p: Partial<OverrideView>): OverrideView => ({
      id: "o1", flowId: null, status: "active", expiresAt: "2026-03-04T00:00:00Z", requestedBy: "a", approvedBy: "b", reason: "r", ...p,
    });
    expect(applicableOverride([o({})], "f1", now)?.id).toBe("o1");
    expect(applicableOverride([o({ expiresAt: "2026-03-03T12:00:00Z" })], "f1", now)).toBeNull();
    expect(applicableOverride([o({ status: "pending", approvedBy: null })], "f1", now)).toBeNull();
    expect(applicableOverride([o({ status: "revoked" })], "f1", now)).toBeNull();
    expect(applicableOverride([o({ flowId: "f2" })], "f1", now)).toBeNull();
    expect(applicableOverride([o({ id: "tenant" }), o({ id: "flow", flowId: "f1" })], "f1", now)?.id).toBe("flow");
    const r = decideGate(policy({ disparateImpactRatio: 0.8 }), table, o({}));
    expect(r).toMatchObject({ verdict: "bypass", reason: "Fairness gate bypassed via active override" });
    expect(r.violations.length).toBe(1);
    expect(decideGate(policy({ disparateImpactRatio: 0.1 }), table, o({})).verdict).toBe("pass");
  });
});

describe("policy schema", () => {
  it("applies defaults and refuses unknown keys naming them", () => {
    const p = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "ageBand", thresholds: {} });
    expect(p).toMatchObject({ minSampleSize: 100, windowDays: 7, continuousRecheck: false, onInsufficientSamples: "skip" });
    const r = fairnessPolicySchema.safeParse({ enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpact: 0.8 } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toContain("disparateImpact");
  });
});
