/**
 * @module domain/interval-sources
 * Where each aggregate's interval comes from, readable at any confidence level: the
 * multiplicity adjustment (domain/multiplicity) asks for intervals at adjusted levels,
 * so a source is a function of the level, not one interval.
 *
 * - bootstrap: quantiles of the kept Poisson-bootstrap replicates (domain/intervals);
 * - analytic: Newcombe (gaps) or Katz (the ratio) on the extreme pair (domain/analytic);
 *   the FN/FP gap and the calibration gap are not differences of proportions, so they
 *   keep the bootstrap under the analytic method (the source says so).
 */
import { extremePair, pairInterval, type RateName } from "./analytic.js";
import type { CalibrationGroup } from "./calibration.js";
import type { GroupCounts } from "./confusion.js";
import { type BootstrapSample, bootstrapSamples, type Resampler, sampleInterval } from "./intervals.js";
import { TABLE_METRICS, type TableMetric } from "./metrics.js";
import type { Interval } from "./tiers.js";

export const INTERVAL_METHODS = ["poisson-bootstrap", "newcombe-hybrid-score", "katz-log", "wilson", "confidence-sequence"] as const;
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

export interface SourceOptions {
  method: "bootstrap" | "analytic";
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
  }
  return out;
}
