/**
 * @module domain/results
 * One evaluated slice: per group the counts, rates, Wilson intervals and
 * calibration; per metric the value, its bootstrap interval, its tiered threshold,
 * the status under the decision rule and, when more data could change the answer,
 * a sample-size hint. Each result is labelled `observed` (the live traffic in the
 * window) or `replayed` (a candidate version re-run on recorded requests).
 */
import { type CalibrationGroup, type GroupCalibration, groupCalibration } from "./calibration.js";
import type { GroupCounts } from "./confusion.js";
import { zFor } from "./analytic.js";
import { type IntervalMethodName, type IntervalSource, intervalSources, type PairRef } from "./interval-sources.js";
import { groupIntervals, type Resampler, type SampleSizeHint, sampleSizeHint, wilson } from "./intervals.js";
import { computeMetrics, type GroupReport, type MetricReport, type OverallComparison, type RateSet, TABLE_METRICS } from "./metrics.js";
import type { ResolvedPolicy } from "./policy.js";
import type { CounterfactualResult } from "./replay.js";
import type { GroupAllocation, StreamData } from "./sequential.js";
import type { SliceTable } from "./slices.js";
import {
  classify,
  decidingThreshold,
  type Equivalence,
  equivalenceOf,
  type Interval,
  METRIC_NAMES,
  type MetricName,
  type MetricStatus,
  type TierThresholds,
} from "./tiers.js";

export type ResultSource = "observed" | "replayed";

/** A group as reported: counts and rates, intervals, calibration, and whether it was too small. */
export interface GroupDetail extends GroupReport {
  /** Below minGroupSize: reported, but left out of every aggregate. */
  excluded: boolean;
  intervals: Record<"selectionRate" | "tpr" | "fpr" | "fnr" | "ppv", Interval | null>;
  calibration: GroupCalibration | null;
  /** Each rate minus the slice's overall rate (Fairlearn `by_group − overall`); null where either is undefined. */
  toOverall: RateSet;
}

/** Everything known about one metric of one slice. */
export interface MetricEvidence {
  value: number | null;
  interval: Interval | null;
  /** Why the value (or interval) is missing. */
  note: string | null;
  /** Groups left out because the metric is undefined for them (e.g. no positive outcome). */
  excluded: string[];
  threshold: TierThresholds | null;
  status: MetricStatus;
  sampleSizeHint: SampleSizeHint | null;
  /** The confidence level of `interval` (1 − alpha, or the multiplicity-adjusted level the test was run at). */
  level?: number;
  /** How `interval` was computed. */
  intervalMethod?: IntervalMethodName | null;
  /** The extreme pair an analytic interval compares (highest and lowest rate). */
  pair?: PairRef | null;
  /** With a threshold and an interval method: whether the interval is wholly within, wholly beyond, or straddles. */
  equivalence?: Equivalence | null;
  /**
   * Under decisionRule "sequential": the confidence sequence's state after this look (its
   * cumulative per-group counts), from which `interval` is computed — the verdict reproduces from it.
   */
  sequence?: SequenceEvidence | null;
}

/** A sequence's state as recorded in the evaluation. */
export interface SequenceEvidence {
  looks: number;
  since: string;
  through: string;
  /** The mixture parameter of the boundary (fixed in advance). */
  rho: number;
  /** Whether the state is kept across rechecks (false: a publish gate or a replayed candidate, the window alone). */
  persisted: boolean;
  groups: GroupCounts[];
  /** Each admitted group's share of the level (domain/sequential's allocation); absent in evaluations stored before it. */
  allocation?: GroupAllocation[];
  /** calibrationGap: the groups' calibration bins; counterfactualFlipRate: the flip-share stream (domain/sequential). */
  calibration?: StreamData["calibration"];
  flips?: StreamData["flips"];
  /** The current restarting block (domain/sequential) with its own ρ; null without look times. */
  block: ({ index: number; since: string; groups: GroupCounts[]; rho: number } & StreamData) | null;
  /** Which sequence `interval` is: the since-start one or the block's (the one reaching furthest towards worse). */
  component: "since_start" | "block";
}

export interface SliceResult {
  slice: string;
  attributes: string[];
  source: ResultSource;
  sampleSize: number;
  groups: GroupDetail[];
  excludedGroups: { value: string; n: number; reason: string }[];
  metrics: Record<MetricName, MetricEvidence>;
  counterfactual: CounterfactualResult | null;
  /** The slice's overall rates: the pooled counts of the groups in the aggregates (n ≥ minGroupSize). */
  overall: OverallComparison["overall"];
}

export interface ResultOptions {
  policy: ResolvedPolicy;
  /** Kernels.bootstrap; without it aggregates get no interval (the gateway and CLI always pass it). */
  resample: Resampler | null;
  counterfactual: CounterfactualResult | null;
  /** Why there is no counterfactual for this result (when `counterfactual` is null). */
  counterfactualNote: string;
}

/** Aligns calibration groups with table groups by value. */
function alignCalibration(slice: SliceTable, values: readonly string[]): (CalibrationGroup | null)[] | null {
  if (!slice.calibration) return null;
  const byValue = new Map(slice.calibration.groups.map((g) => [g.value, g]));
  return values.map((v) => byValue.get(v) ?? null);
}

/** What a result's metrics were built from, kept to re-read intervals at adjusted levels. */
export interface ResultBasis {
  sources: Record<MetricName, IntervalSource | null>;
  /** The groups a sample-size hint scales, per metric. */
  hintGroups: Record<MetricName, { value: string; n: number }[]>;
}

/**
 * A metric's evidence with its interval read from `source` at `level`: status under the
 * decision rule, equivalence against the deciding threshold, sample-size hint.
 */
export function metricEvidence(
  metric: MetricName,
  base: Pick<MetricEvidence, "value" | "note" | "excluded">,
  source: IntervalSource | null,
  level: number,
  policy: ResolvedPolicy,
  hintGroups: { value: string; n: number }[],
  resampled: boolean,
): MetricEvidence {
  const { value } = base;
  const threshold = policy.thresholds[metric] ?? null;
  const interval = value === null || !source ? null : source.at(level);
  const c = classify(metric, value, interval, threshold, policy.decisionRule);
  // A confidence sequence is not centred on the window's estimate: the 1/√n hint does not apply to it.
  const hint = c.straddles && value !== null && interval && threshold && source?.method !== "confidence-sequence" ? sampleSizeHint(metric, value, interval, decidingThreshold(threshold), hintGroups) : null;
  const why = !source
    ? resampled
      ? "no interval: fewer than two groups have this rate"
      : "point estimate only (no resampler)"
    : source.method === "katz-log"
      ? "no interval: a group of the pair has no selected trace (Katz log interval undefined)"
      : "no interval: too few bootstrap replicates define the metric";
  const note = base.note ?? (value === null || interval !== null ? null : why);
  return {
    ...base,
    interval,
    note,
    threshold,
    status: c.status,
    sampleSizeHint: hint,
    level,
    intervalMethod: source?.method ?? null,
    pair: source?.pair ?? null,
    equivalence: threshold && value !== null && source ? equivalenceOf(metric, interval, decidingThreshold(threshold)) : null,
  };
}

/** Why an ungated calibration gap has no interval (see sliceResult). */
export const UNGATED_CALIBRATION_NOTE = "no interval: calibrationGap is not gated, so its bins are not resampled (give it a threshold to get one)";

/** Builds the evaluated result of one slice at level 1 − alpha; also returns the legacy report and the basis of its intervals. */
export function sliceResult(slice: SliceTable, source: ResultSource, o: ResultOptions): { result: SliceResult; report: MetricReport; basis: ResultBasis } {
  const p = o.policy;
  const cal = alignCalibration(slice, slice.table.groups.map((g) => g.value));
  const bins = slice.calibration?.bins ?? 0;
  const ece = cal ? cal.map((c) => (c ? groupCalibration(c, bins).ece : null)) : null;
  const report = computeMetrics(slice.table, { minGroupSize: p.minGroupSize, ece });
  const keep = slice.table.groups.map((g) => g.n >= p.minGroupSize);
  const included = slice.table.groups.filter((_, i) => keep[i]);
  // The calibration bins are about three quarters of the bootstrap's cells (bins × 2 per
  // group against 6): they are resampled only when the policy gates the gap (a threshold or
  // a maxRegression), since an ungated interval decides nothing. Its value is still reported.
  const calibrationGated = "calibrationGap" in p.thresholds || "calibrationGap" in p.maxRegression;
  const tableSources = intervalSources(included, cal && calibrationGated ? cal.filter((_, i) => keep[i]) : null, {
    method: p.intervalMethod,
    resample: o.resample,
    replicates: p.bootstrapReplicates,
    seed: p.seed,
  });
  const tableHint = included.map((g) => ({ value: g.value, n: g.n }));
  const cf = o.counterfactual;
  const sources = {
    ...tableSources,
    counterfactualFlipRate: cf ? { method: "wilson", pair: null, at: (level: number) => wilson(cf.flips, cf.trials, zFor(level)) } : null,
  } as Record<MetricName, IntervalSource | null>;
  const hintGroups = Object.fromEntries(METRIC_NAMES.map((m) => [m, tableHint])) as ResultBasis["hintGroups"];
  hintGroups.counterfactualFlipRate = cf ? [{ value: "requests", n: cf.requests }] : [];
  const level = 1 - p.alpha;

  const metrics = {} as Record<MetricName, MetricEvidence>;
  for (const m of TABLE_METRICS) {
    const d = report.aggregates[m];
    const ungated = m === "calibrationGap" && !calibrationGated && d.value !== null && sources[m] !== null;
    metrics[m] = ungated
      ? metricEvidence(m, { value: d.value, note: d.note ?? UNGATED_CALIBRATION_NOTE, excluded: d.excluded }, null, level, p, hintGroups[m], o.resample !== null)
      : metricEvidence(m, { value: d.value, note: d.note, excluded: d.excluded }, sources[m], level, p, hintGroups[m], o.resample !== null);
  }
  metrics.counterfactualFlipRate = metricEvidence(
    "counterfactualFlipRate",
    { value: cf?.rate ?? null, note: cf ? (cf.rate === null ? "no request could be re-run with another observed value" : null) : o.counterfactualNote, excluded: [] },
    sources.counterfactualFlipRate,
    level,
    p,
    hintGroups.counterfactualFlipRate,
    o.resample !== null,
  );

  const groups: GroupDetail[] = report.groups.map((g, i) => ({
    ...g,
    excluded: !keep[i],
    intervals: groupIntervals(g, p.alpha === 0.05 ? undefined : zFor(level)),
    calibration: cal?.[i] ? groupCalibration(cal[i]!, bins) : null,
    toOverall: report.comparison.toOverall[i]!,
  }));
  const result: SliceResult = {
    slice: slice.name,
    attributes: slice.attributes,
    source,
    sampleSize: report.metrics.sampleSize,
    groups,
    excludedGroups: report.excludedGroups.map((g) => ({ ...g, reason: `n ${g.n} < minGroupSize ${p.minGroupSize}` })),
    metrics: Object.fromEntries(METRIC_NAMES.map((m) => [m, metrics[m]])) as Record<MetricName, MetricEvidence>,
    counterfactual: cf,
    overall: report.comparison.overall,
  };
  return { result, report, basis: { sources, hintGroups } };
}
