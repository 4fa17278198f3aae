/**
 * @module domain/results
 * One evaluated slice: per group the counts, rates, Wilson intervals and
 * calibration; per metric the value, its bootstrap interval, its tiered threshold,
 * the status under the decision rule and, when more data could change the answer,
 * a sample-size hint. Each result is labelled `observed` (the live traffic in the
 * window) or `replayed` (a candidate version re-run on recorded requests).
 */
import { type CalibrationGroup, type GroupCalibration, groupCalibration } from "./calibration.js";
import { bootstrapAggregates, groupIntervals, type Resampler, type SampleSizeHint, sampleSizeHint } from "./intervals.js";
import { computeMetrics, type GroupReport, type MetricReport, TABLE_METRICS } from "./metrics.js";
import type { ResolvedPolicy } from "./policy.js";
import type { CounterfactualResult } from "./replay.js";
import type { SliceTable } from "./slices.js";
import { classify, decidingThreshold, type Interval, METRIC_NAMES, type MetricName, type MetricStatus, type TierThresholds } from "./tiers.js";

export type ResultSource = "observed" | "replayed";

/** A group as reported: counts and rates, intervals, calibration, and whether it was too small. */
export interface GroupDetail extends GroupReport {
  /** Below minGroupSize: reported, but left out of every aggregate. */
  excluded: boolean;
  intervals: Record<"selectionRate" | "tpr" | "fpr" | "fnr" | "ppv", Interval | null>;
  calibration: GroupCalibration | null;
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

/** Builds the evaluated result of one slice; also returns the legacy report for the primary slice. */
export function sliceResult(slice: SliceTable, source: ResultSource, o: ResultOptions): { result: SliceResult; report: MetricReport } {
  const p = o.policy;
  const cal = alignCalibration(slice, slice.table.groups.map((g) => g.value));
  const bins = slice.calibration?.bins ?? 0;
  const ece = cal ? cal.map((c) => (c ? groupCalibration(c, bins).ece : null)) : null;
  const report = computeMetrics(slice.table, { minGroupSize: p.minGroupSize, ece });
  const keep = slice.table.groups.map((g) => g.n >= p.minGroupSize);
  const included = slice.table.groups.filter((_, i) => keep[i]);
  const intervals = o.resample
    ? bootstrapAggregates(included, cal ? cal.filter((_, i) => keep[i]) : null, { resample: o.resample, replicates: p.bootstrapReplicates, seed: p.seed })
    : null;
  const hintGroups = included.map((g) => ({ value: g.value, n: g.n }));

  const evidence = (metric: MetricName, value: number | null, interval: Interval | null, note: string | null, excluded: string[], groups: { value: string; n: number }[]): MetricEvidence => {
    const threshold = p.thresholds[metric] ?? null;
    const c = classify(metric, value, interval, threshold, p.decisionRule);
    const hint = c.straddles && value !== null && interval && threshold ? sampleSizeHint(metric, value, interval, decidingThreshold(threshold), groups) : null;
    return { value, interval, note, excluded, threshold, status: c.status, sampleSizeHint: hint };
  };
  const intervalNote = (value: number | null, interval: Interval | null) =>
    value === null || interval !== null ? null : o.resample ? "no interval: too few bootstrap replicates define the metric" : "point estimate only (no resampler)";

  const metrics = {} as Record<MetricName, MetricEvidence>;
  for (const m of TABLE_METRICS) {
    const d = report.aggregates[m];
    const iv = intervals?.[m] ?? null;
    metrics[m] = evidence(m, d.value, iv, d.note ?? intervalNote(d.value, iv), d.excluded, hintGroups);
  }
  const cf = o.counterfactual;
  metrics.counterfactualFlipRate = evidence(
    "counterfactualFlipRate",
    cf?.rate ?? null,
    cf?.interval ?? null,
    cf ? (cf.rate === null ? "no request could be re-run with another observed value" : null) : o.counterfactualNote,
    [],
    cf ? [{ value: "requests", n: cf.requests }] : [],
  );

  const groups: GroupDetail[] = report.groups.map((g, i) => ({
    ...g,
    excluded: !keep[i],
    intervals: groupIntervals(g),
    calibration: cal?.[i] ? groupCalibration(cal[i]!, bins) : null,
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
  };
  return { result, report };
}
