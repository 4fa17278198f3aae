/** Tiered thresholds, the decision rule, and the policy fields of the metrics issue. */
import { describe, expect, it } from "vitest";
import { fairnessPolicySchema, resolvePolicy } from "../../worker/domain/policy.js";
import { breachText, classify } from "../../worker/domain/tiers.js";

describe("classify", () => {
  const tiers = { warning: 0.1, critical: 0.15, block: 0.2 };
  it("point rule: the most severe tier the estimate breaches; equal to a threshold is within", () => {
    expect(classify("demographicParityGap", 0.25, null, tiers, "point").status).toBe("block");
    expect(classify("demographicParityGap", 0.2, null, tiers, "point").status).toBe("critical");
    expect(classify("demographicParityGap", 0.12, null, tiers, "point").status).toBe("warning");
    expect(classify("demographicParityGap", 0.1, null, tiers, "point").status).toBe("pass");
    expect(classify("demographicParityGap", null, null, tiers, "point").status).toBe("unavailable");
    expect(classify("demographicParityGap", 0.5, null, null, "point").status).toBe("not_checked");
  });
  it("ratios are breached from below", () => {
    const r = { warning: 0.9, block: 0.8 };
    expect(classify("disparateImpactRatio", 0.79, null, r, "point").status).toBe("block");
    expect(classify("disparateImpactRatio", 0.85, null, r, "point").status).toBe("warning");
    expect(classify("disparateImpactRatio", 0.95, null, r, "point").status).toBe("pass");
  });
  it("confident rule: blocks only when the whole interval is beyond; a straddle is insufficient evidence", () => {
    expect(classify("demographicParityGap", 0.3, { lower: 0.21, upper: 0.39 }, tiers, "confident")).toMatchObject({ status: "block", straddles: false });
    expect(classify("demographicParityGap", 0.3, { lower: 0.19, upper: 0.41 }, tiers, "confident")).toMatchObject({ status: "insufficient_evidence", straddles: true });
    // Below the threshold but the interval reaches over it: still not a pass under `confident`.
    expect(classify("demographicParityGap", 0.17, { lower: 0.12, upper: 0.22 }, tiers, "confident").status).toBe("insufficient_evidence");
    // Wholly within block: the lower tiers still speak, on the point estimate.
    expect(classify("demographicParityGap", 0.17, { lower: 0.12, upper: 0.2 }, tiers, "confident").status).toBe("critical");
    // The point rule blocks the same straddling case.
    expect(classify("demographicParityGap", 0.3, { lower: 0.19, upper: 0.41 }, tiers, "point")).toMatchObject({ status: "block", straddles: true });
  });
  it("writes violations like the gateway issue: value with 3 decimals, threshold as given", () => {
    expect(breachText("disparateImpactRatio", 0.6123, 0.8)).toBe("disparate impact ratio 0.612 < threshold 0.8");
    expect(breachText("demographicParityGap", 0.3139, 0.2)).toBe("demographic parity gap 0.314 > threshold 0.2");
    expect(breachText("equalizedOddsGap", 0.25, 0.1)).toBe("equalized odds gap 0.250 > threshold 0.1");
    expect(breachText("counterfactualFlipRate", 0.05, 0.01)).toBe("counterfactual flip rate 0.050 > threshold 0.01");
  });
});

describe("policy", () => {
  const base = { enabled: true, thresholds: {} };
  it("accepts sensitiveAttributes alone, keeps sensitiveAttribute as the primary one", () => {
    const p = fairnessPolicySchema.parse({ ...base, sensitiveAttributes: ["ageBand", "gender"] });
    expect(p.sensitiveAttribute).toBe("ageBand");
    expect(resolvePolicy(p).attributes).toEqual(["ageBand", "gender"]);
    const q = fairnessPolicySchema.parse({ ...base, sensitiveAttribute: "gender", sensitiveAttributes: ["ageBand", "gender"] });
    expect(resolvePolicy(q).attributes).toEqual(["gender", "ageBand"]);
    expect(fairnessPolicySchema.safeParse({ ...base }).success).toBe(false);
    expect(fairnessPolicySchema.safeParse({ ...base, sensitiveAttributes: ["a", "a"] }).success).toBe(false);
  });
  it("takes a number (block) or ordered tiers per metric, and refuses tiers out of order", () => {
    const p = fairnessPolicySchema.parse({
      ...base,
      sensitiveAttribute: "a",
      thresholds: { disparateImpactRatio: { warning: 0.9, block: 0.8 }, demographicParityGap: 0.2, treatmentEqualityGap: { critical: 3 } },
    });
    expect(resolvePolicy(p).thresholds).toEqual({ disparateImpactRatio: { warning: 0.9, block: 0.8 }, demographicParityGap: { block: 0.2 }, treatmentEqualityGap: { critical: 3 } });
    const bad = fairnessPolicySchema.safeParse({ ...base, sensitiveAttribute: "a", thresholds: { demographicParityGap: { warning: 0.3, block: 0.2 } } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error!.issues)).toContain("block must be ≥ warning");
    expect(fairnessPolicySchema.safeParse({ ...base, sensitiveAttribute: "a", thresholds: { demographicParityGap: {} } }).success).toBe(false);
    expect(fairnessPolicySchema.safeParse({ ...base, sensitiveAttribute: "a", thresholds: { demographicParityGap: 1.5 } }).success).toBe(false);
  });
  it("resolves defaults; minGroupSize is 30 but never above minSampleSize", () => {
    const r = resolvePolicy(fairnessPolicySchema.parse({ ...base, sensitiveAttribute: "a" }));
    expect(r).toMatchObject({ minGroupSize: 30, decisionRule: "point", bootstrapReplicates: 1000, calibrationBins: 10, counterfactualRequested: false });
    expect(resolvePolicy(fairnessPolicySchema.parse({ ...base, sensitiveAttribute: "a", minSampleSize: 10 })).minGroupSize).toBe(10);
    expect(resolvePolicy(fairnessPolicySchema.parse({ ...base, sensitiveAttribute: "a", minGroupSize: 50 })).minGroupSize).toBe(50);
    expect(resolvePolicy(fairnessPolicySchema.parse({ ...base, sensitiveAttribute: "a", thresholds: { counterfactualFlipRate: 0.01 } })).counterfactualRequested).toBe(true);
  });
  it("stores exactly what was given: the new fields stay absent unless set", () => {
    const p = fairnessPolicySchema.parse({ ...base, sensitiveAttribute: "a" });
    expect(Object.keys(p).sort()).toEqual(["continuousRecheck", "enabled", "minSampleSize", "onInsufficientSamples", "sensitiveAttribute", "thresholds", "windowDays"]);
  });
});
