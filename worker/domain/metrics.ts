/**
 * @module domain/metrics
 * Fairness metrics from a confusion table. Definitions are pinned (Fairlearn
 * conventions, unsigned gaps):
 *  - selectionRate_g = selected / n
 *  - disparateImpactRatio = min SR / max SR
 *  - demographicParityGap = max SR − min SR
 *  - equalOpportunityGap = max TPR − min TPR, TPR_g = tp / positives (selected among
 *    converted); groups without a positive outcome have no TPR and are left out.
 * A rate that is 0/0 is null.
 */
import type { ConfusionTable, GroupCounts } from "./confusion.js";

/** Per-group counts and rates, as reported in every evaluation. */
export interface GroupReport extends Omit<GroupCounts, "labeled"> {
  labeled: number;
  selectionRate: number | null;
  tpr: number | null;
  fpr: number | null;
  fnr: number | null;
  ppv: number | null;
}

export interface AggregateMetrics {
  sampleSize: number;
  disparateImpactRatio: number | null;
  demographicParityGap: number | null;
  equalOpportunityGap: number | null;
}

export interface MetricReport {
  metrics: AggregateMetrics;
  groups: GroupReport[];
  /** Why a metric is null (absent when it has a value). */
  metricNotes: Partial<Record<"disparateImpactRatio" | "demographicParityGap" | "equalOpportunityGap", string>>;
  /** Groups left out of the equal-opportunity gap because they have no positive outcome. */
  excludedFromEqualOpportunity: string[];
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
  };
}

function spread(values: number[]): { min: number; max: number } | null {
  if (values.length === 0) return null;
  return { min: Math.min(...values), max: Math.max(...values) };
}

/** Computes every gated metric from a confusion table. */
export function computeMetrics(table: ConfusionTable): MetricReport {
  const groups = table.groups.map(groupReport);
  const notes: MetricReport["metricNotes"] = {};
  const n = groups.reduce((s, g) => s + g.n, 0);

  const sr = spread(groups.flatMap((g) => (g.selectionRate === null ? [] : [g.selectionRate])));
  let dir: number | null = null;
  let dpg: number | null = null;
  if (!sr) {
    notes.disparateImpactRatio = notes.demographicParityGap = "no usable samples";
  } else {
    dpg = sr.max - sr.min;
    if (sr.max === 0) notes.disparateImpactRatio = "no group has any selected trace (0/0)";
    else dir = sr.min / sr.max;
  }

  const excluded = groups.filter((g) => g.tpr === null).map((g) => g.value);
  const tpr = spread(groups.flatMap((g) => (g.tpr === null ? [] : [g.tpr])));
  let eog: number | null = null;
  if (groups.every((g) => g.labeled === 0)) notes.equalOpportunityGap = "no outcome labels in the window";
  else if (!tpr) notes.equalOpportunityGap = "no group has a positive outcome";
  else eog = tpr.max - tpr.min;

  return {
    metrics: { sampleSize: n, disparateImpactRatio: dir, demographicParityGap: dpg, equalOpportunityGap: eog },
    groups,
    metricNotes: notes,
    excludedFromEqualOpportunity: eog === null ? [] : excluded,
  };
}
