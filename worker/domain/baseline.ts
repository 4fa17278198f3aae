/**
 * @module domain/baseline
 * Regression against a baseline: the last passing evaluation of the same flow (or,
 * in `fairgate check`, a previous evaluation file). A metric that worsens by more
 * than the policy's `maxRegression` for it raises a warning even inside its
 * threshold. Point estimates are compared; a warning never blocks.
 */
import { METRIC_NAMES, METRICS, type MetricName } from "./tiers.js";

/** What a baseline must provide: stored evaluations of any age qualify. */
export interface BaselineView {
  id: string;
  createdAt: string;
  sensitiveAttribute: string | null;
  /** The pinned three metrics of the primary slice (present on every evaluation ever stored). */
  metrics: Partial<Record<MetricName, number | null>>;
  /** Per-slice results (absent in evaluations stored in the first format). */
  results?: { slice: string; source: "observed" | "replayed"; metrics: Partial<Record<MetricName, { value: number | null }>> }[];
}

export interface Regression {
  slice: string;
  source: "observed" | "replayed";
  metric: MetricName;
  baseline: number;
  current: number;
  /** How much worse (positive = worse), in the metric's units. */
  worsening: number;
  maxRegression: number;
  message: string;
}

/** Rounding slack: 0.25 − 0.23 is 0.020000000000000018, which is not a regression of more than 0.02. */
const EPSILON = 1e-9;

/** The baseline's value of `metric` for a slice: its observed result, else the legacy top-level metrics. */
export function baselineValue(b: BaselineView, slice: string, metric: MetricName): number | null {
  const r = b.results?.find((x) => x.slice === slice && x.source === "observed") ?? b.results?.find((x) => x.slice === slice);
  if (r) return r.metrics[metric]?.value ?? null;
  if (slice === b.sensitiveAttribute) return b.metrics[metric] ?? null;
  return null;
}

/** Current results compared with the baseline, metric by metric, where maxRegression is set. */
export function findRegressions(
  current: readonly { slice: string; source: "observed" | "replayed"; label: string; metrics: Record<MetricName, { value: number | null }> }[],
  baseline: BaselineView,
  maxRegression: Partial<Record<MetricName, number>>,
): Regression[] {
  const out: Regression[] = [];
  for (const r of current) {
    for (const metric of METRIC_NAMES) {
      const max = maxRegression[metric];
      const now = r.metrics[metric].value;
      const then = max === undefined ? null : baselineValue(baseline, r.slice, metric);
      if (max === undefined || now === null || then === null) continue;
      const worsening = METRICS[metric].lowerIsWorse ? then - now : now - then;
      if (worsening <= max + EPSILON) continue;
      out.push({
        slice: r.slice,
        source: r.source,
        metric,
        baseline: then,
        current: now,
        worsening,
        maxRegression: max,
        message: `${r.label}${METRICS[metric].label} ${now.toFixed(3)} worsened by ${worsening.toFixed(3)} since evaluation ${baseline.id} (${then.toFixed(3)}), more than maxRegression ${max}`,
      });
    }
  }
  return out;
}
