/**
 * @module domain/report
 * The audit report of one evaluation (publish, recheck or `fairgate check`): a
 * plain-language summary first, then the engineering appendix — provenance
 * hashes, policy snapshot, per-group table, each metric against each tier,
 * violations, optional analyses and the override/approval trail.
 *
 * The input is a parsed Evaluation: stored bodies of every version are read
 * (and older versions upgraded) by domain/evaluation-read, so a report can be
 * produced for any stored evaluation; parts an evaluation does not have (an
 * upgraded one has no per-slice results, intervals or baseline) are shown as
 * absent. The per-slice results are built in domain/report-results.
 */
import { canonicalJson } from "./chain.js";
import { sha256Hex } from "./hex.js";
import type { BaselineView } from "./baseline.js";
import type { Driver } from "./drivers.js";
import type { Evaluation, PolicySnapshot } from "./evaluation.js";
import { classifyFailure, type FailureClass } from "./failure-class.js";
import { groupRows, type GroupRow, type MetricRow, type SliceMetrics, sliceResults, topLevelMetricRows, type WarningRow } from "./report-results.js";

export type { BaselineDelta, GroupRow, MetricRow, ReportInterval, SliceMetrics, TierCheck, WarningRow } from "./report-results.js";

/** The evaluator that produced (and now reports) evaluations. */
export const EVALUATOR_VERSION = "fairgate-evaluator/0.1.0";
export const REPORT_FORMAT = "fairgate-report/1";

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
  evaluation: Evaluation;
  /** The evaluated flow version's definition (hashed, never copied into the report). */
  flowDefinition: unknown | null;
  datasetHash: string | null;
  /** What the dataset hash covers, e.g. "traces in the window" or "input file bytes". */
  datasetHashScope: string;
  overrides: Omit<TrailEntry, "appliedToThisEvaluation">[];
  /** The evaluation the baseline deltas are taken against (`baseline.evaluationId`), when it can be read. */
  baselineEvaluation?: BaselineView | null;
  generatedAt: string;
}

type Counterfactual = NonNullable<Evaluation["results"][number]["counterfactual"]>;

/** A slice's counterfactual, named by its slice and source. */
export type ReportCounterfactual = { slice: string; source: string } & Counterfactual;

/** Calibration per group, shaped for the chart. */
export interface ReportCalibration {
  groups: { value: string; ece: number | null; bins: NonNullable<Evaluation["groups"][number]["calibration"]>["bins"] }[];
}

export interface Report {
  format: typeof REPORT_FORMAT;
  title: string;
  summary: { verdict: string; headline: string; points: string[] };
  tenant: { id: string; name: string | null };
  flow: { id: string | null; key: string | null; version: number | null; definitionHash: string | null };
  evaluation: { id: string; trigger: Evaluation["trigger"]; verdict: Evaluation["verdict"]; reason: string | null; createdAt: string; evaluatorVersion: string };
  window: Evaluation["window"];
  dataset: { hash: string | null; scope: string; sampleSize: number };
  policy: { snapshot: PolicySnapshot | null; hash: string | null };
  sensitiveAttribute: string | null;
  groups: GroupRow[];
  /** The three pinned metrics of the primary slice (every evaluation version has them). */
  metrics: MetricRow[];
  /** Every slice × source, every metric; empty for evaluations without `results` (upgraded v1). */
  sliceMetrics: SliceMetrics[];
  violations: string[];
  /** Critical/warning tiers breached and regressions; published anyway. */
  warnings: WarningRow[];
  /** Under decision rule "confident": metrics whose interval straddles the block threshold. */
  insufficientEvidence: string[];
  /** The most severe tier any metric reached (block, critical, warning), or null. */
  highestTier: Evaluation["highestTier"];
  decisionRule: Evaluation["decisionRule"];
  minGroupSize: number | null;
  /** How intervals were computed (level, methods, replicates, seed), as recorded. */
  intervals: Evaluation["intervals"];
  excludedSmallCells: string[];
  /** Optional analyses as recorded (null when the evaluation has none). */
  counterfactual: ReportCounterfactual[] | null;
  replay: Evaluation["replay"];
  /** `{evaluationId, createdAt, regressions}` as recorded; per-metric deltas are in `sliceMetrics`. */
  baseline: Evaluation["baseline"];
  calibration: ReportCalibration | null;
  overrideTrail: TrailEntry[];
  /** The parts of the evaluated version that widen each breached selection metric's gap, as recorded (null without an analysis). */
  drivers: Evaluation["drivers"] | null;
  /** A blocking verdict's failure class (domain/failure-class); null otherwise. */
  failureClass: FailureClass | null;
  /** `fairgate check --sweep`: the evaluation's threshold sweep, as recorded (absent without one). */
  thresholdSweep?: Evaluation["thresholdSweep"];
  generatedAt: string;
}

const pct = (x: number | null) => (x === null ? "n/a" : `${(x * 100).toFixed(1)}%`);

/** A driver in words: the part, and the metric with and without it. */
export function driverText(d: Driver): string {
  const part =
    d.kind === "categorical_weight"
      ? `the weight on ${d.attribute} = "${d.value}"`
      : d.kind === "numeric_weight"
        ? `the weight on ${d.attribute}`
        : d.kind === "eligibility_rule"
          ? `eligibility rule ${d.rule} (on ${d.attribute})`
          : "the minimum propensity";
  const f = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));
  return `${part} of offer "${d.offer}"${d.directUse ? " (direct use of a sensitive attribute)" : ""}: ${d.effect.metric} ${f(d.effect.before)} with it, ${f(d.effect.after)} without`;
}

/** Counterfactual results per slice, or null when no result has one. */
function counterfactuals(e: Evaluation): ReportCounterfactual[] | null {
  const found = e.results.flatMap((r) => (r.counterfactual ? [{ slice: r.slice, source: r.source, ...r.counterfactual }] : []));
  return found.length ? found : null;
}

/** Calibration per group from `groups[].calibration`, shaped for the chart; or null. */
function groupCalibration(e: Evaluation): ReportCalibration | null {
  const groups = e.groups.flatMap((g) => (g.calibration ? [{ value: g.value, ece: g.calibration.ece, bins: g.calibration.bins }] : []));
  return groups.length ? { groups } : null;
}

/** Failing metrics in words: every slice's when the evaluation has results, else the top-level three. */
function failingPoints(r: Omit<Report, "summary" | "title">): string[] {
  const multi = r.sliceMetrics.length > 1;
  const rows = r.sliceMetrics.length
    ? r.sliceMetrics.flatMap((s) => s.metrics.map((m) => ({ m, where: multi ? ` (${s.slice}, ${s.source === "replayed" ? "new version replayed on recorded requests" : "recorded decisions"})` : "" })))
    : r.metrics.map((m) => ({ m, where: "" }));
  const out: string[] = [];
  for (const { m, where } of rows) {
    const failed = m.tiers.filter((t) => t.pass === false);
    if (failed.length === 0 || m.value === null) continue;
    const worst = failed[failed.length - 1]!;
    const ci = m.interval ? ` (95% interval ${m.interval.low.toFixed(3)} to ${m.interval.high.toFixed(3)})` : "";
    out.push(`The ${m.label}${where} was ${m.value.toFixed(3)}${ci}; the policy's ${worst.tier} level is ${m.direction === "min" ? "at least" : "at most"} ${worst.threshold}.`);
  }
  // The summary stays short; the full list is in the per-slice tables.
  return out.length > 5 ? [...out.slice(0, 4), `… and ${out.length - 4} more; see "Metrics by slice".`] : out;
}

function summary(r: Omit<Report, "summary" | "title">): Report["summary"] {
  // A `fairgate check` evaluation names its input file as flowKey: it is a file, not a flow.
  const cli = r.evaluation.trigger === "cli";
  // An evaluate request's samples are neither a file nor a flow (a trace join names its flow by key).
  const flow = r.flow.key && !cli ? `decision flow "${r.flow.key}"${r.flow.version !== null ? ` (version ${r.flow.version})` : ""}` : r.evaluation.trigger === "evaluate" ? "the submitted samples" : "the decisions file";
  // A trace join's window is the caller's [from, to), not the last days before the evaluation.
  const span = r.window?.days && r.evaluation.trigger === "evaluate" ? `from ${r.window.from} to ${r.window.to}` : r.window?.days ? `over the last ${r.window.days} day${r.window.days === 1 ? "" : "s"}` : "over the evaluated data";
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
  points.push(...failingPoints(r));
  const tiers = [...new Set(r.warnings.map((w) => w.tier).filter((t) => t !== null))];
  if (r.warnings.length > 0)
    points.push(`${r.warnings.length} finding(s) ${tiers.length ? `reached the ${tiers.join(" or ")} level` : "were noted"} without blocking; see "Warnings".`);
  if (r.insufficientEvidence.length > 0)
    points.push(`For ${r.insufficientEvidence.length} metric(s) the data could not decide: the 95% interval straddles the block threshold; see "Insufficient evidence".`);
  const eq = r.sliceMetrics.flatMap((s) => s.metrics.map((m) => m.equivalence ?? null)).filter((x) => x !== null);
  if (eq.length > 0) {
    const count = (k: string) => eq.filter((x) => x === k).length;
    const [within, beyondN, open] = [count("shown_within"), count("shown_beyond"), count("undetermined")];
    points.push(
      `Of ${eq.length} gated metric(s), ${within} ${within === 1 ? "was" : "were"} shown within the threshold (the whole interval on the acceptable side), ${beyondN} shown beyond it, and ${open} could not be shown either way` +
        (open > 0 ? ": for those, passing means a breach was not shown, not that fairness was shown." : "."),
    );
  }
  const regressions = r.baseline?.regressions.length ?? 0;
  if (regressions > 0) points.push(`${regressions} metric(s) got worse than in the flow's last passing evaluation by more than the policy allows.`);
  const top = r.drivers?.items[0];
  if (top) points.push(`The part of the flow that widens the gap most: ${driverText(top)}.`);
  if (r.failureClass) points.push(`Failure class: ${r.failureClass.replace("_", " ")}.`);
  if (v === "block") points.push(r.evaluation.trigger === "recheck" ? "The flow was paused automatically; it serves no decisions until it is fixed and published again." : "Nothing was published; the flow was left exactly as it was.");
  if (applied) points.push(`The exception was requested by ${applied.requestedBy}, approved by ${applied.approvedBy ?? "nobody"} and is valid until ${applied.expiresAt}. Reason given: "${applied.reason}".`);
  if (v === "skip" && r.evaluation.reason) points.push(`No verdict was reached: ${r.evaluation.reason}.`);
  return { verdict: v, headline, points };
}

/** Builds the report. Hashes use canonical JSON + SHA-256 (see domain/chain). */
export async function buildReport(input: ReportInput): Promise<Report> {
  const e = input.evaluation;
  const excluded = new Set<string>(e.excludedFromEqualOpportunity);
  for (const r of e.results) for (const x of r.excludedGroups) excluded.add(`${r.slice}: ${x.value} (n=${x.n}${x.reason ? `, ${x.reason}` : ""})`);
  const base: Omit<Report, "summary" | "title"> = {
    format: REPORT_FORMAT,
    tenant: input.tenant,
    flow: {
      id: e.flowId,
      key: e.flowKey,
      version: e.version,
      definitionHash: input.flowDefinition === null ? null : await sha256Hex(canonicalJson(input.flowDefinition)),
    },
    evaluation: { id: e.id, trigger: e.trigger, verdict: e.verdict, reason: e.reason, createdAt: e.createdAt, evaluatorVersion: EVALUATOR_VERSION },
    window: e.window,
    dataset: { hash: input.datasetHash, scope: input.datasetHashScope, sampleSize: e.sampleSize },
    policy: { snapshot: e.policy, hash: e.policy ? await sha256Hex(canonicalJson(e.policy)) : null },
    sensitiveAttribute: e.sensitiveAttribute,
    groups: groupRows(e.groups, excluded),
    metrics: topLevelMetricRows(e),
    sliceMetrics: sliceResults(e, input.baselineEvaluation ?? null),
    violations: e.violations,
    warnings: e.warnings,
    insufficientEvidence: e.insufficientEvidence,
    highestTier: e.highestTier,
    decisionRule: e.decisionRule,
    minGroupSize: e.minGroupSize,
    intervals: e.intervals,
    excludedSmallCells: [...excluded],
    counterfactual: counterfactuals(e),
    replay: e.replay,
    baseline: e.baseline,
    calibration: groupCalibration(e),
    drivers: e.drivers ?? null,
    failureClass: e.verdict === "block" || e.verdict === "bypass" ? classifyFailure(e) : null,
    overrideTrail: input.overrides.map((o) => ({ ...o, appliedToThisEvaluation: o.id === e.overrideId })),
    ...(e.thresholdSweep ? { thresholdSweep: e.thresholdSweep } : {}),
    generatedAt: input.generatedAt,
  };
  const s = summary(base);
  const title = `Fairness report: ${base.evaluation.trigger === "cli" ? "decisions file" : (base.flow.key ?? "decisions file")}${base.flow.version !== null ? ` v${base.flow.version}` : ""} (${s.verdict.toUpperCase()})`;
  return { ...base, title, summary: s };
}
