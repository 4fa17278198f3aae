/**
 * @module domain/interval-sources
 * Where each aggregate's interval comes from, readable at any confidence level: the
 * multiplicity adjustment (domain/multiplicity) asks for intervals at adjusted levels,
 * so a source is a function of the level, not one interval.
 *
 * - bootstrap: quantiles of the kept Poisson-bootstrap replicates (domain/intervals);
 * - analytic: Newcombe (gaps) or Katz (the ratio) on the extreme pair (domain/analytic);
 * - simultaneous: every pair at a Bonferroni level, covering the true max − min (domain/simultaneous);
 *   the FN/FP gap, the calibration gap and the error rate above overall are not
 *   differences of two proportions, so they keep the bootstrap under the analytic and
 *   simultaneous methods (the source says so).
 */
import { extremePair, pairInterval, type RateName } from "./analytic.js";
import type { CalibrationGroup } from "./calibration.js";
import type { GroupCounts } from "./confusion.js";
import { pairCount, simultaneousGap, simultaneousRatio } from "./simultaneous.js";
import { type BootstrapSample, bootstrapSamples, type Resampler, sampleInterval } from "./intervals.js";
import { TABLE_METRICS, type TableMetric } from "./metrics.js";
import type { Interval } from "./tiers.js";

export const INTERVAL_METHODS = ["poisson-bootstrap", "newcombe-hybrid-score", "katz-log", "wilson", "confidence-sequence", "simultaneous-newcombe", "simultaneous-katz"] as const;
export type IntervalMethodName = (typeof INTERVAL_METHODS)[number];

/** The pair of groups an analytic interval compares: `high` has the larger rate. */
export interface PairRef {
  rate: RateName;
  high: string;
  low: string;
}

export interface IntervalSource {
  method: IntervalMethodName;
  pair: PairRef | null;
  /** The two-sided interval at `level` (e.g. 0.95), null when it is undefined. */
  at(level: number): Interval | null;
}

function bootstrapSource(s: BootstrapSample): IntervalSource {
  return { method: "poisson-bootstrap", pair: null, at: (level) => sampleInterval(s, level) };
}

/** The analytic source of a metric built from one rate, or null when fewer than two groups have it. */
function pairSource(groups: readonly GroupCounts[], rate: RateName, kind: "difference" | "ratio"): IntervalSource | null {
  const pair = extremePair(groups, rate);
  if (!pair) return null;
  return {
    method: kind === "difference" ? "newcombe-hybrid-score" : "katz-log",
    pair: { rate, high: pair.high.value, low: pair.low.value },
    at: (level) => pairInterval(kind, pair, level),
  };
}

/** Equalized odds = max(TPR gap, FPR gap): the interval of whichever component is larger (TPR on a tie). */
function equalizedOddsSource(groups: readonly GroupCounts[]): IntervalSource | null {
  const t = extremePair(groups, "tpr");
  const f = extremePair(groups, "fpr");
  if (!t || !f) return null;
  const gap = (p: NonNullable<typeof t>) => p.high.k / p.high.n - p.low.k / p.low.n;
  return gap(f) > gap(t) ? pairSource(groups, "fpr", "difference") : pairSource(groups, "tpr", "difference");
}

/** Simultaneous pairwise intervals (domain/simultaneous): cover the true max − min or min / max over any k. */
function simultaneousSources(groups: readonly GroupCounts[]): Partial<Record<TableMetric, IntervalSource | null>> {
  const gap = (rate: RateName): IntervalSource | null =>
    pairCount(groups, rate) === 0 ? null : { method: "simultaneous-newcombe", pair: null, at: (level) => simultaneousGap(groups, rate, level) };
  // Equalized odds = max(TPR gap, FPR gap): both families of pairs share one Bonferroni split.
  const both = pairCount(groups, "tpr") + pairCount(groups, "fpr");
  const odds: IntervalSource | null =
    pairCount(groups, "tpr") === 0 || pairCount(groups, "fpr") === 0
      ? null
      : {
          method: "simultaneous-newcombe",
          pair: null,
          at: (level) => {
            const t = simultaneousGap(groups, "tpr", level, both);
            const f = simultaneousGap(groups, "fpr", level, both);
            return t && f ? { lower: Math.max(t.lower, f.lower), upper: Math.max(t.upper, f.upper) } : null;
          },
        };
  return {
    disparateImpactRatio: pairCount(groups, "selectionRate") === 0 ? null : { method: "simultaneous-katz", pair: null, at: (level) => simultaneousRatio(groups, level) },
    demographicParityGap: gap("selectionRate"),
    equalOpportunityGap: gap("tpr"),
    equalizedOddsGap: odds,
    predictiveParityGap: gap("ppv"),
    errorRateGap: gap("errorRate"),
  };
}

export interface SourceOptions {
  method: "bootstrap" | "analytic" | "simultaneous";
  resample: Resampler | null;
  replicates: number;
  seed: number;
}

/**
 * Interval sources of every table metric over `groups` (already filtered by size);
 * null where there is none (no resampler for a bootstrap-only metric, or fewer than two groups).
 */
export function intervalSources(
  groups: readonly GroupCounts[],
  calibration: readonly (CalibrationGroup | null)[] | null,
  o: SourceOptions,
): Record<TableMetric, IntervalSource | null> {
  const samples = o.resample ? bootstrapSamples(groups, calibration, { resample: o.resample, replicates: o.replicates, seed: o.seed }) : null;
  const boot = (m: TableMetric) => (samples ? bootstrapSource(samples[m]) : null);
  const out = Object.fromEntries(TABLE_METRICS.map((m) => [m, boot(m)])) as Record<TableMetric, IntervalSource | null>;
  if (o.method === "analytic") {
    out.disparateImpactRatio = pairSource(groups, "selectionRate", "ratio");
    out.demographicParityGap = pairSource(groups, "selectionRate", "difference");
    out.equalOpportunityGap = pairSource(groups, "tpr", "difference");
    out.equalizedOddsGap = equalizedOddsSource(groups);
    out.predictiveParityGap = pairSource(groups, "ppv", "difference");
    out.errorRateGap = pairSource(groups, "errorRate", "difference");
  }
  if (o.method === "simultaneous") Object.assign(out, simultaneousSources(groups));
  return out;
}
