/**
 * @module domain/report-results
 * The evaluated results as the audit report shows them: for every slice and
 * source (observed traffic, replayed candidate) every metric with its value,
 * 95 % interval, pass/fail per tier, the evaluator's status, a sample-size hint
 * and the delta against the baseline evaluation; the per-slice groups; the
 * warnings with their tiers.
 *
 * Input is a parsed Evaluation (domain/evaluation-read upgrades older stored
 * versions; those have no `results`, so the report falls back to their three
 * top-level metrics).
 */
import { type BaselineView, baselineValue } from "./baseline.js";
import type { Evaluation } from "./evaluation.js";
import { type Equivalence, type Interval, METRIC_NAMES, METRICS, type MetricName, type MetricStatus, type ThresholdSpec } from "./tiers.js";

export const TIER_ORDER = ["warning", "critical", "block"] as const;

type EvaluationGroup = Evaluation["groups"][number];
type SliceResult = Evaluation["results"][number];
type MetricEvidence = SliceResult["metrics"][MetricName];

const known = (m: string): m is MetricName => Object.hasOwn(METRICS, m);

/** An interval as report.json and alert payloads write it: `{low, high}` (the report format's field names). */
export interface ReportInterval {
  low: number;
  high: number;
}

/** The domain interval in the report format. */
export const reportInterval = (iv: Interval | null): ReportInterval | null => (iv ? { low: iv.lower, high: iv.upper } : null);

export interface GroupRow {
  value: string;
  n: number;
  selected: number;
  selectionRate: number | null;
  selectionRateInterval: ReportInterval | null;
  tpr: number | null;
  fpr: number | null;
  ppv: number | null;
  /** (FP + FN) / labeled, and its difference to the slice's overall error rate (null in evaluations made before it existed). */
  errorRate: number | null;
  errorRateToOverall: number | null;
  /** Left out of gaps because the cell is too small (or has no positives). */
  excluded: boolean;
}

export interface TierCheck {
  tier: (typeof TIER_ORDER)[number];
  threshold: number;
  /** null: no value, or (decision rule "confident") the interval straddles the block threshold. */
  pass: boolean | null;
}

/** A metric compared with the same slice of the baseline evaluation (the flow's last pass). */
export interface BaselineDelta {
  value: number;
  /** current − baseline. */
  delta: number;
  /** How much worse: positive when a gap rose or the ratio fell. */
  worsening: number;
  maxRegression: number | null;
  /** The evaluator flagged it: worse by more than maxRegression. */
  regression: boolean;
}

export interface MetricRow {
  metric: string;
  label: string;
  value: number | null;
  interval: ReportInterval | null;
  direction: "min" | "max";
  tiers: TierCheck[];
  note: string | null;
  /** The evaluator's own status for the metric (pass, warning, critical, block, …), when it reports one. */
  status: MetricStatus | null;
  /** When the interval straddles the deciding threshold: how much more data would settle it. */
  hint: string | null;
  baseline: BaselineDelta | null;
  /** The confidence level of `interval` (absent in evaluations stored before it was recorded: 95%). */
  level?: number;
  /** With an interval method on: whether the metric was shown within, shown beyond, or neither (see equivalenceText). */
  equivalence?: Equivalence | null;
  /** `equivalence` in plain words for a reader who is not a statistician. */
  equivalenceText?: string | null;
  /** Under decisionRule "sequential": where the interval comes from, in words. */
  sequenceText?: string | null;
}

/** A recorded confidence sequence in words: how many looks since when, and which of its two sequences the interval is. */
export function sequenceText(s: NonNullable<MetricEvidence["sequence"]>): string {
  const day = (t: string) => (Number.isFinite(Date.parse(t)) ? t.slice(0, 10) : t);
  const which = s.component === "block" && s.block ? `its current 14-day block (block ${s.block.index}, since ${day(s.block.since)})` : `all decisions since ${day(s.since)}`;
  const kept = s.persisted ? `kept across ${s.looks} recheck${s.looks === 1 ? "" : "s"}` : "on this window alone";
  return `anytime-valid confidence sequence ${kept}; the interval covers ${which}`;
}

/** "95%", "97.5%": a level as a percentage. */
const levelPct = (level: number) => `${+(level * 100).toFixed(3)}%`;

/**
 * Equivalence in plain words. "Passed" alone would blur two different findings: the data
 * showing the metric within its threshold, and the data being unable to show it beyond.
 */
export function equivalenceText(e: Equivalence, level = 0.95): string {
  const iv = `${levelPct(level)} interval`;
  if (e === "shown_within") return `shown within the threshold: the whole ${iv} lies on the acceptable side`;
  if (e === "shown_beyond") return `shown beyond the threshold: the whole ${iv} lies past it`;
  return `not shown either way: the ${iv} straddles the threshold, so a pass here means a breach was not shown, not that fairness was shown`;
}

/** The metrics of one slice (attribute or intersection) from one source (observed or replayed). */
export interface SliceMetrics {
  slice: string;
  source: string;
  /** The source in words: what these numbers were computed on. */
  sourceLabel: string;
  sampleSize: number;
  groups: GroupRow[];
  metrics: MetricRow[];
}

/** A finding that did not block (a critical or warning tier, or a regression), with its tier. */
export type WarningRow = Evaluation["warnings"][number];

const fallbackLabel = (m: string) => m.replace(/([A-Z])/g, " $1").toLowerCase().trim();
export const metricLabel = (m: string) => (known(m) ? METRICS[m].label : fallbackLabel(m));

/** The recorded sample-size hint in words, or null. */
function hintText(h: MetricEvidence["sampleSizeHint"]): string | null {
  if (!h?.note) return null;
  if (h.factor === null) return `more data would not settle it: ${h.note}`;
  const per = h.additionalPerGroup;
  const groups = per.slice(0, 4).map((g) => `+${g.additional ?? "?"} for ${g.value}`);
  const more = per.length > groups.length ? `, … (${per.length - groups.length} more)` : "";
  return `the interval straddles the threshold: about ${h.factor.toFixed(1)}× the decisions would settle it (${groups.join(", ")}${more}); ${h.note}`;
}

/** What one metric row is built from: a recorded metric evidence, or a bare top-level value. */
export interface MetricInput {
  value: number | null;
  interval: Interval | null;
  status: MetricStatus | null;
  note: string | null;
  sampleSizeHint: MetricEvidence["sampleSizeHint"];
  level?: number | undefined;
  equivalence?: Equivalence | null | undefined;
  sequence?: MetricEvidence["sequence"] | undefined;
}

export interface RowContext {
  decisionRule: Evaluation["decisionRule"];
  /** The metric's value in the baseline, and the regression bookkeeping, if there is a baseline. */
  baseline?: { value: number | null; maxRegression: number | null; regression: boolean } | null;
}

/** One metric against each tier of its threshold (a bare number is the block tier). */
export function metricRow(metric: string, input: MetricInput, spec: ThresholdSpec | null | undefined, ctx: RowContext): MetricRow {
  const { value, status } = input;
  // A ratio is a minimum (breach below); every gap/rate is a maximum (breach above).
  const direction = (known(metric) ? METRICS[metric].lowerIsWorse : metric.endsWith("Ratio")) ? ("min" as const) : ("max" as const);
  const tierSpec = typeof spec === "number" ? { block: spec } : (spec ?? {});
  const tiers: TierCheck[] = [];
  for (const tier of TIER_ORDER) {
    const t = tierSpec[tier];
    if (t === undefined) continue;
    let pass = value === null ? null : direction === "min" ? value >= t : value <= t;
    // Under the confident and sequential rules the evaluator, not the point estimate, decides the block tier.
    if (tier === "block" && (ctx.decisionRule === "confident" || ctx.decisionRule === "sequential") && status !== null && value !== null) pass = status === "block" ? false : status === "insufficient_evidence" ? null : true;
    tiers.push({ tier, threshold: t, pass });
  }
  const b = ctx.baseline;
  const baseline =
    b && b.value !== null && value !== null
      ? { value: b.value, delta: value - b.value, worsening: direction === "min" ? b.value - value : value - b.value, maxRegression: b.maxRegression, regression: b.regression }
      : null;
  const eq = input.equivalence ?? null;
  return {
    metric,
    label: metricLabel(metric),
    value,
    interval: reportInterval(input.interval),
    direction,
    tiers,
    note: input.note,
    status,
    hint: hintText(input.sampleSizeHint),
    baseline,
    ...(input.level !== undefined ? { level: input.level } : {}),
    equivalence: eq,
    equivalenceText: eq ? equivalenceText(eq, input.level) : null,
    sequenceText: input.sequence ? sequenceText(input.sequence) : null,
  };
}

export function groupRows(groups: readonly EvaluationGroup[], excluded: Set<string>): GroupRow[] {
  return groups.map((g) => ({
    value: g.value,
    n: g.n,
    selected: g.selected,
    selectionRate: g.selectionRate,
    selectionRateInterval: reportInterval(g.intervals.selectionRate),
    tpr: g.tpr,
    fpr: g.fpr,
    ppv: g.ppv,
    errorRate: g.errorRate ?? null,
    errorRateToOverall: g.toOverall?.errorRate ?? null,
    excluded: excluded.has(g.value) || g.excluded,
  }));
}

function sourceLabel(e: Evaluation, source: SliceResult["source"]): string {
  if (source === "replayed") {
    const version = e.replay?.version ?? null;
    const requests = e.replay?.requests ?? null;
    return `replayed: candidate ${version !== null ? `version ${version}` : "version"} re-run on ${requests !== null ? requests.toLocaleString("en-US") : "the"} recorded requests`;
  }
  if (e.trigger === "evaluate")
    return e.window ? "observed: the flow's recorded decisions in the window, grouped by the caller's lookup" : "observed: the samples sent to POST /fairness/evaluate";
  return e.trigger === "cli" ? "observed: the decisions in the input file" : "observed: live decisions of the flow in the window";
}

/**
 * Every slice × source with every metric the evaluator recorded (unavailable
 * ones too, with the reason), compared with `baseline` when given.
 */
export function sliceResults(e: Evaluation, baseline: BaselineView | null): SliceMetrics[] {
  const thresholds = e.policy?.thresholds ?? {};
  const maxRegression = e.policy?.maxRegression ?? {};
  const regressions = e.baseline?.regressions ?? [];
  return e.results.map((r) => {
    const excluded = new Set(r.excludedGroups.map((x) => x.value));
    const metrics = METRIC_NAMES.map((m) => {
      const ev = r.metrics[m];
      const flagged = regressions.some((x) => x.slice === r.slice && x.source === r.source && x.metric === m);
      const b = baseline ? { value: baselineValue(baseline, r.slice, m), maxRegression: maxRegression[m] ?? null, regression: flagged } : null;
      return metricRow(m, ev, ev.threshold ?? thresholds[m], { decisionRule: e.decisionRule, baseline: b });
    });
    return { slice: r.slice, source: r.source, sourceLabel: sourceLabel(e, r.source), sampleSize: r.sampleSize, groups: groupRows(r.groups, excluded), metrics };
  });
}

/** The top-level metrics (the three pinned ones of the primary slice, plus any the policy thresholds), against the policy. */
export function topLevelMetricRows(e: Evaluation): MetricRow[] {
  const thresholds = e.policy?.thresholds ?? {};
  const values = new Map<string, number | null>(Object.entries(e.metrics));
  const names = [...new Set([...values.keys(), ...Object.keys(thresholds)])];
  return names.map((m) =>
    metricRow(m, { value: values.get(m) ?? null, interval: null, status: null, note: e.metricNotes[m] ?? null, sampleSizeHint: null }, thresholds[m], { decisionRule: e.decisionRule }),
  );
}
