/**
 * @module domain/report
 * The audit report of one evaluation (publish, recheck or `fairgate check`): a
 * plain-language summary first, then the engineering appendix — provenance
 * hashes, policy snapshot, per-group table, each metric against each tier,
 * violations, optional analyses and the override/approval trail.
 *
 * The evaluation is read defensively (as unknown JSON): fields added by later
 * evaluator versions (intervals, tiers, baselines, counterfactuals, replays,
 * calibration) are rendered when present and skipped when not, so a report can
 * be produced for any stored evaluation, old or new.
 */
import { canonicalJson, sha256Hex } from "./chain.js";
import { type Interval, intervalOf, num, obj, str } from "./report-fields.js";

/** The evaluator that produced (and now reports) evaluations. */
export const EVALUATOR_VERSION = "fairgate-evaluator/0.1.0";
export const REPORT_FORMAT = "fairgate-report/1";

const TIER_ORDER = ["warning", "critical", "block"] as const;

/** One entry of the override / approval trail. */
export interface TrailEntry {
  id: string;
  status: string;
  flowId: string | null;
  reason: string;
  expiresAt: string;
  requestedBy: string;
  requestedAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
  revokeReason: string | null;
  /** True for the override that turned this evaluation's block into a bypass. */
  appliedToThisEvaluation: boolean;
}

/** What the report is built from besides the evaluation itself. */
export interface ReportInput {
  tenant: { id: string; name: string | null };
  evaluation: unknown;
  /** The evaluated flow version's definition (hashed, never copied into the report). */
  flowDefinition: unknown | null;
  datasetHash: string | null;
  /** What the dataset hash covers, e.g. "traces in the window" or "input file bytes". */
  datasetHashScope: string;
  overrides: Omit<TrailEntry, "appliedToThisEvaluation">[];
  generatedAt: string;
}

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
  pass: boolean | null;
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
}

/** The metrics of one slice (attribute or intersection) from one source (observed or replayed). */
export interface SliceMetrics {
  slice: string;
  source: string;
  sampleSize: number;
  metrics: MetricRow[];
}

export interface Report {
  format: typeof REPORT_FORMAT;
  title: string;
  summary: { verdict: string; headline: string; points: string[] };
  tenant: { id: string; name: string | null };
  flow: { id: string | null; key: string | null; version: number | null; definitionHash: string | null };
  evaluation: { id: string; trigger: string; verdict: string; reason: string | null; createdAt: string; evaluatorVersion: string };
  window: { from: string; to: string; days: number | null } | null;
  dataset: { hash: string | null; scope: string; sampleSize: number };
  policy: { snapshot: unknown; hash: string | null };
  sensitiveAttribute: string | null;
  groups: GroupRow[];
  metrics: MetricRow[];
  /** Every slice × source of later evaluators; empty for evaluations without `results`. */
  sliceMetrics: SliceMetrics[];
  violations: string[];
  /** Critical/warning tiers breached and regressions (later evaluators); published anyway. */
  warnings: string[];
  excludedSmallCells: string[];
  /** Optional analyses, copied as recorded (null when the evaluation has none). */
  counterfactual: unknown;
  replay: unknown;
  baseline: unknown;
  calibration: unknown;
  slices: unknown;
  overrideTrail: TrailEntry[];
  generatedAt: string;
}

const label = (m: string) => m.replace(/([A-Z])/g, " $1").toLowerCase().trim();
const pct = (x: number | null) => (x === null ? "n/a" : `${(x * 100).toFixed(1)}%`);

/** Reads one metric value: a number, or `{value, interval}` in later evaluator versions. */
function metricValue(raw: unknown): { value: number | null; interval: Interval | null } {
  if (typeof raw === "number") return { value: raw, interval: null };
  const o = obj(raw);
  return { value: num(o.value) ?? num(o.estimate) ?? num(o.point), interval: intervalOf(o.interval ?? o.ci) };
}

/** One metric against each tier of its threshold (a bare number is the block tier). */
function metricRow(metric: string, raw: unknown, spec: unknown, note: string | null): MetricRow {
  const { value, interval } = metricValue(raw);
  // A ratio is a minimum (breach below); every gap/rate is a maximum (breach above).
  const direction = metric.endsWith("Ratio") ? ("min" as const) : ("max" as const);
  const tierSpec = typeof spec === "number" ? { block: spec } : obj(spec);
  const tiers: TierCheck[] = [];
  for (const tier of TIER_ORDER) {
    const t = num(tierSpec[tier]);
    if (t === null) continue;
    tiers.push({ tier, threshold: t, pass: value === null ? null : direction === "min" ? value >= t : value <= t });
  }
  return { metric, label: label(metric), value, interval, direction, tiers, note: note ?? str(obj(raw).note), status: str(obj(raw).status) };
}

/** The top-level metrics (the gateway's original three, with the policy's thresholds). */
function metricRows(e: Record<string, unknown>, policy: Record<string, unknown>): MetricRow[] {
  const metrics = obj(e.metrics);
  const thresholds = obj(policy.thresholds);
  const names = [...new Set([...Object.keys(metrics), ...Object.keys(thresholds)])];
  return names.map((m) => metricRow(m, metrics[m], thresholds[m], str(obj(e.metricNotes)[m])));
}

/**
 * Per-slice, per-source results of later evaluators (`results[]`): every metric
 * with its interval, tier thresholds and status. Metrics neither computed nor
 * gated are left out.
 */
function sliceResults(e: Record<string, unknown>, policy: Record<string, unknown>): SliceMetrics[] {
  const thresholds = obj(policy.thresholds);
  return (Array.isArray(e.results) ? e.results : []).map(obj).map((r) => ({
    slice: String(r.slice ?? ""),
    source: String(r.source ?? "observed"),
    sampleSize: num(r.sampleSize) ?? 0,
    metrics: Object.entries(obj(r.metrics))
      .map(([m, ev]) => metricRow(m, ev, obj(ev).threshold ?? thresholds[m], null))
      .filter((row) => row.value !== null || row.tiers.length > 0),
  }));
}

function groupRows(e: Record<string, unknown>, excluded: Set<string>): GroupRow[] {
  const groups = Array.isArray(e.groups) ? e.groups : [];
  return groups.map((raw) => {
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

/** Counterfactual results per slice (later evaluators keep them in `results[]`), or null. */
function counterfactuals(e: Record<string, unknown>): unknown {
  const found = (Array.isArray(e.results) ? e.results : []).map(obj).filter((r) => r.counterfactual);
  return found.length ? found.map((r) => ({ slice: r.slice, source: r.source, ...obj(r.counterfactual) })) : null;
}

/** Calibration per group from `groups[].calibration` (later evaluators), shaped for the chart; or null. */
function groupCalibration(e: Record<string, unknown>): unknown {
  const groups = (Array.isArray(e.groups) ? e.groups : []).map(obj).filter((g) => obj(g.calibration).bins);
  return groups.length ? { groups: groups.map((g) => ({ value: String(g.value ?? ""), ece: num(obj(g.calibration).ece), bins: obj(g.calibration).bins })) } : null;
}

function summary(r: Omit<Report, "summary" | "title">): Report["summary"] {
  const flow = r.flow.key ? `decision flow "${r.flow.key}"${r.flow.version !== null ? ` (version ${r.flow.version})` : ""}` : "the decisions file";
  const span = r.window?.days ? `over the last ${r.window.days} day${r.window.days === 1 ? "" : "s"}` : "over the evaluated data";
  const applied = r.overrideTrail.find((o) => o.appliedToThisEvaluation);
  const v = r.evaluation.verdict;
  const headline =
    v === "block"
      ? `Fairness check FAILED: ${flow} did not meet the fairness policy ${span}.`
      : v === "bypass"
        ? `Fairness check failed, but ${flow} went ahead under an approved exception.`
        : v === "pass"
          ? `Fairness check PASSED: ${flow} met every fairness threshold ${span}.`
          : `Fairness check SKIPPED for ${flow}: ${r.evaluation.reason ?? "nothing to evaluate"}.`;
  const points: string[] = [`${r.dataset.sampleSize.toLocaleString("en-US")} decisions were evaluated${r.sensitiveAttribute ? `, grouped by "${r.sensitiveAttribute}"` : ""}.`];
  const rated = r.groups.filter((g) => g.selectionRate !== null && !g.excluded);
  if (rated.length >= 2) {
    const lo = rated.reduce((a, b) => (b.selectionRate! < a.selectionRate! ? b : a));
    const hi = rated.reduce((a, b) => (b.selectionRate! > a.selectionRate! ? b : a));
    points.push(`The group "${hi.value}" was selected ${pct(hi.selectionRate)} of the time; the group "${lo.value}" ${pct(lo.selectionRate)}.`);
  }
  for (const m of r.metrics) {
    const failed = m.tiers.filter((t) => t.pass === false);
    if (failed.length > 0 && m.value !== null) {
      const worst = failed[failed.length - 1]!;
      points.push(`The ${m.label} was ${m.value.toFixed(3)}; the policy's ${worst.tier} level is ${m.direction === "min" ? "at least" : "at most"} ${worst.threshold}.`);
    }
  }
  const critical = r.warnings.filter((w) => /critical/.test(w));
  if (critical.length > 0) points.push(`${critical.length} metric(s) reached the critical level without blocking: ${critical.join("; ")}.`);
  if (v === "block") points.push(r.evaluation.trigger === "recheck" ? "The flow was paused automatically; it serves no decisions until it is fixed and published again." : "Nothing was published; the flow was left exactly as it was.");
  if (applied) points.push(`The exception was requested by ${applied.requestedBy}, approved by ${applied.approvedBy ?? "nobody"} and is valid until ${applied.expiresAt}. Reason given: "${applied.reason}".`);
  if (v === "skip" && r.evaluation.reason) points.push(`No verdict was reached: ${r.evaluation.reason}.`);
  return { verdict: v, headline, points };
}

/** Builds the report. Hashes use canonical JSON + SHA-256 (see domain/chain). */
export async function buildReport(input: ReportInput): Promise<Report> {
  const e = obj(input.evaluation);
  const policy = obj(e.policy);
  const windowObj = e.window === null || e.window === undefined ? null : obj(e.window);
  const excluded = new Set<string>([
    ...(Array.isArray(e.excludedFromEqualOpportunity) ? e.excludedFromEqualOpportunity.map(String) : []),
    ...(Array.isArray(e.excludedSmallCells) ? e.excludedSmallCells.map((x) => String(typeof x === "string" ? x : obj(x).value)) : []),
  ]);
  const overrideId = str(e.overrideId);
  const results = sliceResults(e, policy);
  for (const r of (Array.isArray(e.results) ? e.results : []).map(obj))
    for (const x of (Array.isArray(r.excludedGroups) ? r.excludedGroups : []).map(obj))
      excluded.add(`${String(r.slice ?? "")}: ${String(x.value ?? "")}${num(x.n) !== null ? ` (n=${num(x.n)}${x.reason ? `, ${String(x.reason)}` : ""})` : ""}`);
  const base: Omit<Report, "summary" | "title"> = {
    format: REPORT_FORMAT,
    tenant: input.tenant,
    flow: {
      id: str(e.flowId),
      key: str(e.flowKey),
      version: num(e.version),
      definitionHash: input.flowDefinition === null ? null : await sha256Hex(canonicalJson(input.flowDefinition)),
    },
    evaluation: {
      id: String(e.id ?? ""),
      trigger: String(e.trigger ?? ""),
      verdict: String(e.verdict ?? ""),
      reason: str(e.reason),
      createdAt: String(e.createdAt ?? ""),
      evaluatorVersion: str(e.evaluatorVersion) ?? EVALUATOR_VERSION,
    },
    window: windowObj ? { from: String(windowObj.from), to: String(windowObj.to), days: num(windowObj.days) } : null,
    dataset: { hash: str(e.datasetHash) ?? input.datasetHash, scope: input.datasetHashScope, sampleSize: num(e.sampleSize) ?? 0 },
    policy: { snapshot: e.policy ?? null, hash: e.policy ? await sha256Hex(canonicalJson(e.policy)) : null },
    sensitiveAttribute: str(e.sensitiveAttribute),
    groups: groupRows(e, excluded),
    metrics: metricRows(e, policy),
    sliceMetrics: results,
    violations: Array.isArray(e.violations) ? e.violations.map(String) : [],
    warnings: (Array.isArray(e.warnings) ? e.warnings : []).map((w) => (typeof w === "string" ? w : String(obj(w).message ?? JSON.stringify(w)))),
    excludedSmallCells: [...excluded],
    counterfactual: e.counterfactual ?? counterfactuals(e),
    replay: e.replay ?? e.replayed ?? null,
    baseline: e.baseline ?? e.baselineDeltas ?? null,
    calibration: e.calibration ?? groupCalibration(e),
    slices: e.slices ?? null,
    overrideTrail: input.overrides.map((o) => ({ ...o, appliedToThisEvaluation: o.id === overrideId })),
    generatedAt: input.generatedAt,
  };
  const s = summary(base);
  const title = `Fairness report: ${base.flow.key ?? "decisions file"}${base.flow.version !== null ? ` v${base.flow.version}` : ""} (${s.verdict.toUpperCase()})`;
  return { ...base, title, summary: s };
}
