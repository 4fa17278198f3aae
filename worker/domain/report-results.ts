/**
 * @module domain/report-results
 * The evaluated results as the audit report shows them: for every slice and
 * source (observed traffic, replayed candidate) every metric with its value,
 * 95 % interval, pass/fail per tier, the evaluator's status, a sample-size hint
 * and the delta against the baseline evaluation; the per-slice groups; the
 * warnings with their tiers.
 *
 * Everything is read defensively from unknown JSON (domain/report-fields), like
 * the rest of the report: evaluations of older evaluators have no `results` and
 * fall back to their three top-level metrics, and malformed fields are skipped.
 */
import { type BaselineView, baselineValue } from "./baseline.js";
import { type Interval, intervalOf, num, obj, str } from "./report-fields.js";
import { METRICS, type MetricName } from "./tiers.js";

export const TIER_ORDER = ["warning", "critical", "block"] as const;

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const known = (m: string): m is MetricName => Object.hasOwn(METRICS, m);

export interface GroupRow {
  value: string;
  n: number;
  selected: number;
  selectionRate: number | null;
  selectionRateInterval: Interval | null;
  tpr: number | null;
  fpr: number | null;
  ppv: number | null;
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
  interval: Interval | null;
  direction: "min" | "max";
  tiers: TierCheck[];
  note: string | null;
  /** The evaluator's own status for the metric (pass, warning, critical, block, …), when it reports one. */
  status: string | null;
  /** When the interval straddles the deciding threshold: how much more data would settle it. */
  hint: string | null;
  baseline: BaselineDelta | null;
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
export interface WarningRow {
  tier: string | null;
  kind: string | null;
  slice: string | null;
  source: string | null;
  metric: string | null;
  message: string;
}

const fallbackLabel = (m: string) => m.replace(/([A-Z])/g, " $1").toLowerCase().trim();
export const metricLabel = (m: string) => (known(m) ? METRICS[m].label : fallbackLabel(m));

/** Reads one metric value: a number, or `{value, interval}` in later evaluator versions. */
function metricValue(raw: unknown): { value: number | null; interval: Interval | null } {
  if (typeof raw === "number") return { value: raw, interval: null };
  const o = obj(raw);
  return { value: num(o.value) ?? num(o.estimate) ?? num(o.point), interval: intervalOf(o.interval ?? o.ci) };
}

/** The recorded sample-size hint in words, or null. */
function hintText(raw: unknown): string | null {
  const h = obj(raw);
  if (!str(h.note)) return null;
  const factor = num(h.factor);
  if (factor === null) return `more data would not settle it: ${h.note}`;
  const per = arr(h.additionalPerGroup).map(obj);
  const groups = per.slice(0, 4).map((g) => `+${num(g.additional) ?? "?"} for ${String(g.value ?? "")}`);
  const more = per.length > groups.length ? `, … (${per.length - groups.length} more)` : "";
  return `the interval straddles the threshold: about ${factor.toFixed(1)}× the decisions would settle it (${groups.join(", ")}${more}); ${h.note}`;
}

export interface RowContext {
  decisionRule: string | null;
  /** The metric's value in the baseline, and the regression bookkeeping, if there is a baseline. */
  baseline?: { value: number | null; maxRegression: number | null; regression: boolean } | null;
}

/** One metric against each tier of its threshold (a bare number is the block tier). */
export function metricRow(metric: string, raw: unknown, spec: unknown, note: string | null, ctx: RowContext): MetricRow {
  const { value, interval } = metricValue(raw);
  const status = str(obj(raw).status);
  // A ratio is a minimum (breach below); every gap/rate is a maximum (breach above).
  const direction = (known(metric) ? METRICS[metric].lowerIsWorse : metric.endsWith("Ratio")) ? ("min" as const) : ("max" as const);
  const tierSpec = typeof spec === "number" ? { block: spec } : obj(spec);
  const tiers: TierCheck[] = [];
  for (const tier of TIER_ORDER) {
    const t = num(tierSpec[tier]);
    if (t === null) continue;
    let pass = value === null ? null : direction === "min" ? value >= t : value <= t;
    // Under the confident rule the evaluator, not the point estimate, decides the block tier.
    if (tier === "block" && ctx.decisionRule === "confident" && status !== null && value !== null) pass = status === "block" ? false : status === "insufficient_evidence" ? null : true;
    tiers.push({ tier, threshold: t, pass });
  }
  const b = ctx.baseline;
  const baseline =
    b && b.value !== null && value !== null
      ? { value: b.value, delta: value - b.value, worsening: direction === "min" ? b.value - value : value - b.value, maxRegression: b.maxRegression, regression: b.regression }
      : null;
  return { metric, label: metricLabel(metric), value, interval, direction, tiers, note: note ?? str(obj(raw).note), status, hint: hintText(obj(raw).sampleSizeHint), baseline };
}

export function groupRows(groups: unknown, excluded: Set<string>): GroupRow[] {
  return arr(groups).map((raw) => {
    const g = obj(raw);
    const value = String(g.value ?? "");
    const intervals = obj(g.intervals);
    return {
      value,
      n: num(g.n) ?? 0,
      selected: num(g.selected) ?? 0,
      selectionRate: num(g.selectionRate),
      selectionRateInterval: intervalOf(g.selectionRateInterval ?? intervals.selectionRate ?? g.selectionRateCI),
      tpr: num(g.tpr),
      fpr: num(g.fpr),
      ppv: num(g.ppv),
      excluded: excluded.has(value) || g.excluded === true || g.smallCell === true,
    };
  });
}

/** The recorded results: `results[]`, plus those of `slices[]` (a multi-attribute `fairgate check`), once each. */
export function rawResults(e: Record<string, unknown>): Record<string, unknown>[] {
  const all = [...arr(e.results), ...arr(e.slices).flatMap((s) => arr(obj(s).results))].map(obj);
  const seen = new Set<string>();
  return all.filter((r) => {
    const k = `${String(r.slice ?? "")}\u0000${String(r.source ?? "observed")}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** A baseline evaluation of any shape, as the comparison in domain/baseline reads it; null if unusable. */
function baselineView(raw: unknown): BaselineView | null {
  const o = obj(raw);
  const id = str(o.id);
  if (id === null) return null;
  const values = (m: unknown) => Object.fromEntries(Object.entries(obj(m)).map(([k, v]) => [k, { value: metricValue(v).value }]));
  return {
    id,
    createdAt: String(o.createdAt ?? ""),
    sensitiveAttribute: str(o.sensitiveAttribute),
    metrics: Object.fromEntries(Object.entries(obj(o.metrics)).map(([k, v]) => [k, num(v)])),
    results: rawResults(o).map((r) => ({ slice: String(r.slice ?? ""), source: r.source === "replayed" ? ("replayed" as const) : ("observed" as const), metrics: values(r.metrics) })),
  };
}

function sourceLabel(e: Record<string, unknown>, source: string): string {
  if (source === "replayed") {
    const r = obj(e.replay);
    const version = num(r.version);
    const requests = num(r.requests);
    return `replayed: candidate ${version !== null ? `version ${version}` : "version"} re-run on ${requests !== null ? requests.toLocaleString("en-US") : "the"} recorded requests`;
  }
  if (source === "observed") return e.trigger === "cli" ? "observed: the decisions in the input file" : "observed: live decisions of the flow in the window";
  return source;
}

/**
 * Every slice × source with every metric the evaluator recorded (unavailable
 * ones too, with the reason), compared with `baseline` when given.
 */
export function sliceResults(e: Record<string, unknown>, policy: Record<string, unknown>, baseline: unknown): SliceMetrics[] {
  const thresholds = obj(policy.thresholds);
  const maxRegression = obj(policy.maxRegression);
  const regressions = arr(obj(e.baseline).regressions).map(obj);
  const view = baselineView(baseline);
  const decisionRule = str(e.decisionRule);
  return rawResults(e).map((r) => {
    const slice = String(r.slice ?? "");
    const source = String(r.source ?? "observed");
    const excluded = new Set(arr(r.excludedGroups).map((x) => String(obj(x).value ?? "")));
    const metrics = Object.entries(obj(r.metrics)).map(([m, ev]) => {
      const flagged = regressions.some((x) => x.slice === slice && (x.source ?? "observed") === source && x.metric === m);
      const b = view && known(m) ? { value: baselineValue(view, slice, m), maxRegression: num(maxRegression[m]), regression: flagged } : null;
      return metricRow(m, ev, obj(ev).threshold ?? thresholds[m], null, { decisionRule, baseline: b });
    });
    return { slice, source, sourceLabel: sourceLabel(e, source), sampleSize: num(r.sampleSize) ?? 0, groups: groupRows(r.groups, excluded), metrics };
  });
}

/** The warnings with their tier, kind and slice (older evaluators stored plain strings). */
export function warningRows(e: Record<string, unknown>): WarningRow[] {
  return arr(e.warnings).map((w) => {
    if (typeof w === "string") return { tier: /critical/.test(w) ? "critical" : null, kind: null, slice: null, source: null, metric: null, message: w };
    const o = obj(w);
    return { tier: str(o.tier), kind: str(o.kind), slice: str(o.slice), source: str(o.source), metric: str(o.metric), message: String(o.message ?? JSON.stringify(w)) };
  });
}
