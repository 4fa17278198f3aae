/**
 * @module domain/metrics
 * Fairness metrics from a confusion table (Fairlearn conventions, unsigned gaps;
 * formulas and their Fairlearn/AIF360 names in docs/metrics.md). The pinned three,
 * whose definitions the API promises:
 *  - selectionRate_g = selected / n
 *  - disparateImpactRatio = min SR / max SR
 *  - demographicParityGap = max SR − min SR
 *  - equalOpportunityGap = max TPR − min TPR, TPR_g = tp / positives (selected among
 *    converted); groups without a positive outcome have no TPR and are left out.
 * And: equalizedOddsGap = max(TPR gap, FPR gap), predictiveParityGap (PPV),
 * treatmentEqualityGap (FN/FP ratio, max − min), calibrationGap (ECE, max − min),
 * errorRateGap (error rate = (FP + FN) / labeled, max − min) and errorRateToOverall
 * (the largest group error rate minus the slice's overall one, Fairlearn's
 * `difference(method="to_overall")` read one-sided). Every group also carries each
 * rate's difference to the overall rate (`toOverall`). A rate that is 0/0 is null; a group without a value for a metric is left out of
 * that metric and named. Groups smaller than minGroupSize are reported but left
 * out of every aggregate.
 */
import type { ConfusionTable, GroupCounts } from "./confusion.js";
import { METRIC_NAMES, type MetricName } from "./tiers.js";

/** Per-group counts and rates, as reported in every evaluation. */
export interface GroupReport extends GroupCounts {
  selectionRate: number | null;
  tpr: number | null;
  fpr: number | null;
  fnr: number | null;
  ppv: number | null;
  /** FN / FP (treatment equality); null when FP = 0. */
  fnFpRatio: number | null;
  /** (FP + FN) / labeled and its complement (TP + TN) / labeled; null without a labeled trace. */
  errorRate: number | null;
  accuracy: number | null;
}

/** The per-group rates compared with the overall rate of the slice. */
export const GROUP_RATES = ["selectionRate", "tpr", "fpr", "fnr", "ppv", "errorRate", "accuracy"] as const;
export type GroupRateName = (typeof GROUP_RATES)[number];
export type RateSet = Record<GroupRateName, number | null>;

/** Every compared rate of one set of counts (a group, or the pooled counts of a slice). */
export function rateSet(g: Omit<GroupCounts, "value">): RateSet {
  const labeled = g.tp + g.fp + g.fn + g.tn;
  return {
    selectionRate: rate(g.selected, g.n),
    tpr: rate(g.tp, g.tp + g.fn),
    fpr: rate(g.fp, g.fp + g.tn),
    fnr: rate(g.fn, g.tp + g.fn),
    ppv: rate(g.tp, g.tp + g.fp),
    errorRate: rate(g.fp + g.fn, labeled),
    accuracy: rate(g.tp + g.tn, labeled),
  };
}

/**
 * The slice's overall rates (pooled counts of the groups in the aggregates: n ≥ minGroupSize)
 * and, per group, each rate minus the overall one (Fairlearn's `by_group − overall`).
 */
export interface OverallComparison {
  overall: RateSet & { n: number; labeled: number };
  toOverall: RateSet[];
}

/** The metrics computed from confusion counts (+ calibration); the flip rate comes from replay. */
export type TableMetric = Exclude<MetricName, "counterfactualFlipRate">;
export const TABLE_METRICS: readonly TableMetric[] = METRIC_NAMES.filter((m): m is TableMetric => m !== "counterfactualFlipRate");

/** One aggregate: its value, why it is null, and which included groups had no value for it. */
export interface AggregateDetail {
  value: number | null;
  note: string | null;
  excluded: string[];
}
export type AggregateDetails = Record<TableMetric, AggregateDetail>;

export interface AggregateMetrics {
  sampleSize: number;
  disparateImpactRatio: number | null;
  demographicParityGap: number | null;
  equalOpportunityGap: number | null;
}

/** The legacy report (pinned fields) plus every aggregate in detail. */
export interface MetricReport {
  metrics: AggregateMetrics;
  groups: GroupReport[];
  /** Why a metric is null (absent when it has a value). */
  metricNotes: Partial<Record<TableMetric, string>>;
  /** Groups left out of the equal-opportunity gap because they have no positive outcome. */
  excludedFromEqualOpportunity: string[];
  /** Groups below minGroupSize: reported in `groups`, left out of every aggregate. */
  excludedGroups: { value: string; n: number }[];
  aggregates: AggregateDetails;
  /** The slice's overall rates and each group's (aligned with `groups`) differences to them. */
  comparison: OverallComparison;
}

/** num/den, or null when the denominator is 0. */
export function rate(num: number, den: number): number | null {
  return den === 0 ? null : num / den;
}

/** Counts and rates for one group. */
export function groupReport(g: GroupCounts): GroupReport {
  return {
    ...g,
    selectionRate: rate(g.selected, g.n),
    tpr: rate(g.tp, g.tp + g.fn),
    fpr: rate(g.fp, g.fp + g.tn),
    fnr: rate(g.fn, g.tp + g.fn),
    ppv: rate(g.tp, g.tp + g.fp),
    fnFpRatio: rate(g.fn, g.fp),
    errorRate: rate(g.fp + g.fn, g.tp + g.fp + g.fn + g.tn),
    accuracy: rate(g.tp + g.tn, g.tp + g.fp + g.fn + g.tn),
  };
}

/** The overall rates over `included` and every group's differences to them (null where either side is null). */
export function compareToOverall(groups: readonly GroupCounts[], included: readonly GroupCounts[]): OverallComparison {
  const pooled = { n: 0, selected: 0, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const g of included) for (const k of Object.keys(pooled) as (keyof typeof pooled)[]) pooled[k] += g[k];
  const overall = rateSet(pooled);
  const toOverall = groups.map((g) => {
    const own = rateSet(g);
    return Object.fromEntries(GROUP_RATES.map((r) => [r, own[r] === null || overall[r] === null ? null : own[r]! - overall[r]!])) as RateSet;
  });
  return { overall: { ...overall, n: pooled.n, labeled: pooled.tp + pooled.fp + pooled.fn + pooled.tn }, toOverall };
}

/** Per-group counts as parallel arrays: the hot loop of the bootstrap reads these, not objects. */
export interface CountColumns {
  size: number;
  n: Float64Array;
  selected: Float64Array;
  labeled: Float64Array;
  tp: Float64Array;
  fp: Float64Array;
  fn: Float64Array;
  tn: Float64Array;
}

/** Columns for `size` groups (filled by the caller). */
export function countColumns(size: number): CountColumns {
  const a = () => new Float64Array(size);
  return { size, n: a(), selected: a(), labeled: a(), tp: a(), fp: a(), fn: a(), tn: a() };
}

/** Columns from group counts. */
export function columnsOf(groups: readonly GroupCounts[]): CountColumns {
  const c = countColumns(groups.length);
  groups.forEach((g, i) => {
    c.n[i] = g.n;
    c.selected[i] = g.selected;
    c.labeled[i] = g.labeled;
    c.tp[i] = g.tp;
    c.fp[i] = g.fp;
    c.fn[i] = g.fn;
    c.tn[i] = g.tn;
  });
  return c;
}

/** Order of the values written by aggregateValues (TABLE_METRICS order). */
const enum V {
  DIR = 0,
  DPG = 1,
  EOG = 2,
  EODDS = 3,
  PPG = 4,
  TEG = 5,
  CAL = 6,
  ERG = 7,
  ERTO = 8,
}

/**
 * THE metric formulas: writes every table metric into `out` (TABLE_METRICS order, NaN for
 * "undefined"). Point estimates and every bootstrap replicate go through this one function,
 * so an interval is always an interval of exactly the reported statistic. Groups with no
 * value for a rate (0/0) are skipped for that metric; the gap is max − min over the rest.
 */
export function aggregateValues(c: CountColumns, ece: ArrayLike<number | null> | null, out: Float64Array): void {
  let srMin = Infinity, srMax = -Infinity, tprMin = Infinity, tprMax = -Infinity, fprMin = Infinity, fprMax = -Infinity;
  let ppvMin = Infinity, ppvMax = -Infinity, teMin = Infinity, teMax = -Infinity, calMin = Infinity, calMax = -Infinity;
  let errMin = Infinity, errMax = -Infinity, errors = 0, decided = 0;
  let labeled = 0;
  for (let i = 0; i < c.size; i++) {
    const n = c.n[i]!, tp = c.tp[i]!, fp = c.fp[i]!, fn = c.fn[i]!, tn = c.tn[i]!;
    labeled += c.labeled[i]!;
    if (n > 0) {
      const v = c.selected[i]! / n;
      if (v < srMin) srMin = v;
      if (v > srMax) srMax = v;
    }
    if (tp + fn > 0) {
      const v = tp / (tp + fn);
      if (v < tprMin) tprMin = v;
      if (v > tprMax) tprMax = v;
    }
    if (fp + tn > 0) {
      const v = fp / (fp + tn);
      if (v < fprMin) fprMin = v;
      if (v > fprMax) fprMax = v;
    }
    if (tp + fp > 0) {
      const v = tp / (tp + fp);
      if (v < ppvMin) ppvMin = v;
      if (v > ppvMax) ppvMax = v;
    }
    if (fp > 0) {
      const v = fn / fp;
      if (v < teMin) teMin = v;
      if (v > teMax) teMax = v;
    }
    const l = tp + fp + fn + tn;
    if (l > 0) {
      const v = (fp + fn) / l;
      if (v < errMin) errMin = v;
      if (v > errMax) errMax = v;
      errors += fp + fn;
      decided += l;
    }
    const e = ece ? ece[i] : null;
    if (e !== null && e !== undefined) {
      if (e < calMin) calMin = e;
      if (e > calMax) calMax = e;
    }
  }
  const labels = labeled > 0;
  out[V.DIR] = srMax >= srMin && srMax > 0 ? srMin / srMax : NaN;
  // Each gap is max − min, NaN when no group had a value (max < min) or, for the labelled
  // metrics, nothing is labelled. Written out rather than through a helper: this runs once per
  // bootstrap replicate, and through a helper the sampling heap profiler showed its doubles
  // boxed, ~0.3 MB of garbage per evaluation at 1,000 replicates × 3 slices.
  out[V.DPG] = srMax >= srMin ? srMax - srMin : NaN;
  out[V.EOG] = labels && tprMax >= tprMin ? tprMax - tprMin : NaN;
  out[V.EODDS] = out[V.EOG] === out[V.EOG] && fprMax >= fprMin ? Math.max(tprMax - tprMin, fprMax - fprMin) : NaN;
  out[V.PPG] = labels && ppvMax >= ppvMin ? ppvMax - ppvMin : NaN;
  out[V.TEG] = labels && teMax >= teMin ? teMax - teMin : NaN;
  out[V.CAL] = ece && calMax >= calMin ? calMax - calMin : NaN;
  out[V.ERG] = errMax >= errMin ? errMax - errMin : NaN;
  // The overall error rate pools the same groups, so the largest group rate is never below it.
  out[V.ERTO] = decided > 0 ? errMax - errors / decided : NaN;
}

const detail = (value: number, note: string, excluded: string[]): AggregateDetail =>
  value === value ? { value, note: null, excluded } : { value: null, note, excluded: [] };

/**
 * Every table metric over `groups` (already filtered by size) with why a value is null
 * and which groups had no value for it. `ece[i]` is group i's expected calibration error
 * (null: no labeled scored trace); `ece` null means the slice has no calibration data.
 */
export function aggregateDetails(groups: readonly GroupCounts[], ece: readonly (number | null)[] | null, emptyNote = "no usable samples"): AggregateDetails {
  const v = new Float64Array(TABLE_METRICS.length);
  aggregateValues(columnsOf(groups), ece, v);
  const noLabels = groups.every((g) => g.labeled === 0);
  const why = (what: string) => (groups.length === 0 ? emptyNote : noLabels ? "no outcome labels in the window" : what);
  const without = (undef: (g: GroupCounts, i: number) => boolean) => groups.filter(undef).map((g) => g.value);
  const noTpr = without((g) => g.tp + g.fn === 0);
  const noFpr = without((g) => g.fp + g.tn === 0);
  return {
    disparateImpactRatio: detail(v[V.DIR]!, groups.length === 0 ? emptyNote : "no group has any selected trace (0/0)", []),
    demographicParityGap: detail(v[V.DPG]!, emptyNote, []),
    equalOpportunityGap: detail(v[V.EOG]!, why("no group has a positive outcome"), noTpr),
    equalizedOddsGap: detail(
      v[V.EODDS]!,
      v[V.EOG] !== v[V.EOG] ? why("no group has a positive outcome") : "no group has a negative outcome (FPR undefined)",
      [...new Set([...noTpr, ...noFpr])].sort(),
    ),
    predictiveParityGap: detail(v[V.PPG]!, why("no group has a labeled selected trace (PPV undefined)"), without((g) => g.tp + g.fp === 0)),
    treatmentEqualityGap: detail(v[V.TEG]!, why("no group has a false positive (FN/FP undefined)"), without((g) => g.fp === 0)),
    calibrationGap: detail(
      v[V.CAL]!,
      groups.length === 0 ? emptyNote : !ece ? "no calibration data (scores) for this slice" : why("no group has a labeled trace with a score"),
      ece ? groups.filter((_, i) => ece[i] === null || ece[i] === undefined).map((g) => g.value) : [],
    ),
    errorRateGap: detail(v[V.ERG]!, why("no group has a labeled trace (error rate undefined)"), without((g) => g.tp + g.fp + g.fn + g.tn === 0)),
    errorRateToOverall: detail(v[V.ERTO]!, why("no group has a labeled trace (error rate undefined)"), without((g) => g.tp + g.fp + g.fn + g.tn === 0)),
  };
}

/**
 * Computes every metric from a confusion table. Groups with n < minGroupSize (default 1:
 * none) are reported in `groups` but left out of every aggregate and listed in excludedGroups.
 * `ece` (aligned with table.groups) enables the calibration gap.
 */
export function computeMetrics(table: ConfusionTable, opts: { minGroupSize?: number; ece?: readonly (number | null)[] | null } = {}): MetricReport {
  const minGroupSize = opts.minGroupSize ?? 1;
  const groups = table.groups.map(groupReport);
  const keep = table.groups.map((g) => g.n >= minGroupSize && g.n > 0);
  const included = table.groups.filter((_, i) => keep[i]);
  const ece = opts.ece ? opts.ece.filter((_, i) => keep[i]) : null;
  const excludedGroups = table.groups.filter((g, i) => !keep[i] && g.n > 0).map((g) => ({ value: g.value, n: g.n }));
  const emptyNote = included.length === 0 && excludedGroups.length > 0 ? `no group has at least minGroupSize (${minGroupSize}) traces` : "no usable samples";
  const aggregates = aggregateDetails(included, ece, emptyNote);

  const notes: MetricReport["metricNotes"] = {};
  for (const [k, d] of Object.entries(aggregates) as [TableMetric, AggregateDetail][]) if (d.note !== null) notes[k] = d.note;
  return {
    metrics: {
      sampleSize: groups.reduce((s, g) => s + g.n, 0),
      disparateImpactRatio: aggregates.disparateImpactRatio.value,
      demographicParityGap: aggregates.demographicParityGap.value,
      equalOpportunityGap: aggregates.equalOpportunityGap.value,
    },
    groups,
    metricNotes: notes,
    excludedFromEqualOpportunity: aggregates.equalOpportunityGap.excluded,
    excludedGroups,
    aggregates,
    comparison: compareToOverall(table.groups, included),
  };
}
