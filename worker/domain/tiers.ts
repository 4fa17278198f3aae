/**
 * @module domain/tiers
 * The metric catalogue (names, labels, which direction is worse) and tiered
 * thresholds: a threshold is a number (= the block tier) or
 * `{warning, critical, block}`. Classifying a metric value against its tiers
 * under the policy's decision rule is done here and nowhere else.
 */
import { z } from "zod";

/** Every gated aggregate metric, in report order. */
export const METRIC_NAMES = [
  "disparateImpactRatio",
  "demographicParityGap",
  "equalOpportunityGap",
  "equalizedOddsGap",
  "predictiveParityGap",
  "treatmentEqualityGap",
  "calibrationGap",
  "counterfactualFlipRate",
  "errorRateGap",
  "errorRateToOverall",
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/**
 * `lowerIsWorse`: the threshold is a minimum (breach when value < threshold), as for
 * the disparate impact ratio; every other metric is a gap or rate where higher is worse.
 * `max`: the largest threshold the policy accepts (the FN/FP ratio gap is unbounded).
 */
export const METRICS: Record<MetricName, { label: string; lowerIsWorse: boolean; max: number }> = {
  disparateImpactRatio: { label: "disparate impact ratio", lowerIsWorse: true, max: 1 },
  demographicParityGap: { label: "demographic parity gap", lowerIsWorse: false, max: 1 },
  equalOpportunityGap: { label: "equal opportunity gap", lowerIsWorse: false, max: 1 },
  equalizedOddsGap: { label: "equalized odds gap", lowerIsWorse: false, max: 1 },
  predictiveParityGap: { label: "predictive parity gap", lowerIsWorse: false, max: 1 },
  treatmentEqualityGap: { label: "treatment equality gap", lowerIsWorse: false, max: 1_000_000 },
  calibrationGap: { label: "calibration gap", lowerIsWorse: false, max: 1 },
  counterfactualFlipRate: { label: "counterfactual flip rate", lowerIsWorse: false, max: 1 },
  errorRateGap: { label: "error rate gap", lowerIsWorse: false, max: 1 },
  errorRateToOverall: { label: "error rate above overall", lowerIsWorse: false, max: 1 },
};

export const TIERS = ["warning", "critical", "block"] as const;
export type Tier = (typeof TIERS)[number];
export type TierThresholds = Partial<Record<Tier, number>>;
export type ThresholdSpec = number | TierThresholds;

/** The schema of one metric's threshold: a number, or tiers ordered from mild to severe. */
export function thresholdSpecSchema(metric: MetricName) {
  const { lowerIsWorse, max } = METRICS[metric];
  const value = z.number().finite().min(0).max(max);
  const tiers = z
    .strictObject({ warning: value.optional(), critical: value.optional(), block: value.optional() })
    .superRefine((t, ctx) => {
      const set = TIERS.filter((k) => t[k] !== undefined);
      if (set.length === 0) ctx.addIssue({ code: "custom", message: "give at least one of warning, critical, block" });
      // Milder tiers must trip first: for a gap warning ≤ critical ≤ block, for a ratio the reverse.
      for (let i = 1; i < set.length; i++) {
        const a = t[set[i - 1]!]!;
        const b = t[set[i]!]!;
        if (lowerIsWorse ? a < b : a > b)
          ctx.addIssue({ code: "custom", path: [set[i]!], message: `${set[i]} must be ${lowerIsWorse ? "≤" : "≥"} ${set[i - 1]} (${a})` });
      }
    });
  return z.union([value, tiers]);
}

/** A threshold spec as tiers (a bare number is the block tier). */
export function tiersOf(spec: ThresholdSpec | undefined): TierThresholds | null {
  if (spec === undefined) return null;
  return typeof spec === "number" ? { block: spec } : spec;
}

/** Whether `value` is beyond threshold `t` (equal to the threshold is within). */
export function beyond(metric: MetricName, value: number, t: number): boolean {
  return METRICS[metric].lowerIsWorse ? value < t : value > t;
}

const fmt = (x: number) => x.toFixed(3);

/** "disparate impact ratio 0.612 < threshold 0.8": value with 3 decimals, threshold as given. */
export function breachText(metric: MetricName, value: number, t: number): string {
  return `${METRICS[metric].label} ${fmt(value)} ${METRICS[metric].lowerIsWorse ? "<" : ">"} threshold ${t}`;
}

/** A two-sided interval (95% unless its evidence states another level). */
export interface Interval {
  lower: number;
  upper: number;
}

export const DECISION_RULES = ["point", "confident", "sequential"] as const;
export type DecisionRule = (typeof DECISION_RULES)[number];

/** Where a metric's interval lies relative to its threshold: the two one-sided tests (TOST) read off the interval. */
export type Equivalence = "shown_within" | "shown_beyond" | "undetermined";

/** shown_within: wholly inside the threshold; shown_beyond: wholly beyond; undetermined: straddles (or no interval). */
export function equivalenceOf(metric: MetricName, interval: Interval | null, t: number): Equivalence {
  if (!interval) return "undetermined";
  const side = intervalSide(metric, interval, t);
  return side === "within" ? "shown_within" : side === "beyond" ? "shown_beyond" : "undetermined";
}

/**
 * pass / warning / critical / block: the most severe tier breached.
 * insufficient_evidence: under the confident rule, the interval straddles the block threshold.
 * not_checked: no threshold configured. unavailable: the metric has no value (see its note).
 */
export type MetricStatus = "pass" | "warning" | "critical" | "block" | "insufficient_evidence" | "not_checked" | "unavailable";

export interface Classification {
  status: MetricStatus;
  /** The threshold of the tier that tripped (or that the interval straddles). */
  threshold: number | null;
  /** Whether the interval contains the deciding threshold, i.e. more data could change the answer. */
  straddles: boolean;
}

/** Where an interval lies relative to threshold `t`: wholly within, wholly beyond, or straddling. */
export function intervalSide(metric: MetricName, iv: Interval, t: number): "within" | "beyond" | "straddles" {
  const worst = METRICS[metric].lowerIsWorse ? iv.lower : iv.upper;
  const best = METRICS[metric].lowerIsWorse ? iv.upper : iv.lower;
  if (!beyond(metric, worst, t)) return "within";
  if (beyond(metric, best, t)) return "beyond";
  return "straddles";
}

/** The threshold whose side matters most: block if set, else the most severe tier given. */
export function decidingThreshold(tiers: TierThresholds): number {
  return tiers.block ?? tiers.critical ?? tiers.warning!;
}

/**
 * Classifies a metric. The decision rule applies to the block tier: `point` compares
 * the estimate, `confident` and `sequential` block only when the whole interval (for
 * sequential: the confidence sequence) is beyond and report insufficient evidence when it straddles. Warning and critical tiers never block, so
 * they compare the point estimate under either rule and err on the side of telling.
 */
export function classify(metric: MetricName, value: number | null, interval: Interval | null, tiers: TierThresholds | null, rule: DecisionRule): Classification {
  if (value === null) return { status: "unavailable", threshold: null, straddles: false };
  if (!tiers) return { status: "not_checked", threshold: null, straddles: false };
  const straddles = interval !== null && intervalSide(metric, interval, decidingThreshold(tiers)) === "straddles";
  if (tiers.block !== undefined) {
    const t = tiers.block;
    if (rule === "point") {
      if (beyond(metric, value, t)) return { status: "block", threshold: t, straddles };
    } else {
      const side = interval ? intervalSide(metric, interval, t) : beyond(metric, value, t) ? "straddles" : "within";
      if (side === "beyond") return { status: "block", threshold: t, straddles };
      if (side === "straddles") return { status: "insufficient_evidence", threshold: t, straddles: true };
    }
  }
  for (const tier of ["critical", "warning"] as const) {
    const t = tiers[tier];
    if (t !== undefined && beyond(metric, value, t)) return { status: tier, threshold: t, straddles };
  }
  return { status: "pass", threshold: null, straddles };
}
