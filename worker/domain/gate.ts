/**
 * @module domain/gate
 * The gate decision: given a policy, the window's slices (and, when publishing a
 * draft, the candidate's replayed slices), a counterfactual, a baseline and the
 * overrides in force, decide pass / skip / block / bypass. Pure and deterministic:
 * the same inputs and seed give the same result, bit for bit.
 */
import { type BaselineView, findRegressions, type Regression } from "./baseline.js";
import type { ConfusionTable } from "./confusion.js";
import type { Resampler } from "./intervals.js";
import { computeMetrics, type MetricReport } from "./metrics.js";
import { type FairnessPolicy, resolvePolicy, type ResolvedPolicy } from "./policy.js";
import type { CounterfactualResult } from "./replay.js";
import { adjustFamily, applySequences, type Built, type SequentialInput } from "./gate-intervals.js";
import type { Multiplicity } from "./multiplicity.js";
import { type ResultSource, type SliceResult, sliceResult } from "./results.js";
import type { SequenceState } from "./sequential.js";
import type { SliceTable } from "./slices.js";
import { beyond, breachText, type Interval, METRIC_NAMES, METRICS, type MetricName } from "./tiers.js";

export type Verdict = "pass" | "skip" | "block" | "bypass";
export type { SequentialInput };


/** An override as the gate sees it. */
export interface OverrideView {
  id: string;
  flowId: string | null;
  status: "pending" | "active" | "revoked" | "rejected";
  expiresAt: string;
  requestedBy: string;
  approvedBy: string | null;
  reason: string;
}

/** A published-but-noted finding: a critical or warning tier breached, or a regression. */
export interface GateWarning {
  tier: "warning" | "critical";
  kind: "threshold" | "regression";
  slice: string;
  source: ResultSource;
  metric: MetricName;
  message: string;
}

/** Everything the gate looks at besides the policy and overrides. */
export interface GateInput {
  /** The window's slices; the first is the primary attribute. */
  observed: SliceTable[];
  /** The candidate version's slices on recorded requests (publishing a draft only). */
  replayed?: SliceTable[] | null;
  /** Counterfactual flips of the version under evaluation, by slice name. */
  counterfactual?: Record<string, CounterfactualResult> | null;
  /** Which results the counterfactual belongs to (the version under evaluation). */
  counterfactualSource?: ResultSource;
  /** Why there is no counterfactual, when there is none. */
  counterfactualNote?: string;
  /** The last passing evaluation of the flow, for maxRegression. */
  baseline?: BaselineView | null;
  /**
   * Under decisionRule "sequential": the flow version's sequence states before this look and
   * the observed slices of the data since their `through` (null: no kept state, the window is
   * the look — a publish gate, or the first recheck of a version).
   */
  sequential?: SequentialInput | null;
}


export interface GateOptions {
  /** Kernels.bootstrap, for the aggregates' intervals. */
  resample?: Resampler | null;
}

export interface GateResult {
  verdict: Verdict;
  /** Why the gate skipped or was bypassed; null for plain pass/block. */
  reason: string | null;
  /** Block-tier breaches, as human-readable strings with 3-decimal values. */
  violations: string[];
  /** The primary observed slice's pinned metrics, groups and notes (the evaluation's top-level fields). */
  report: MetricReport;
  /** The override that turned a block into a bypass. */
  override: OverrideView | null;
  /** Every evaluated slice, observed then replayed. */
  results: SliceResult[];
  warnings: GateWarning[];
  /** Metrics whose interval straddles the block threshold under the confident rule. */
  insufficientEvidence: string[];
  baseline: { evaluationId: string; createdAt: string; regressions: Regression[] } | null;
  /** The effective settings the result was computed with (null without a policy). */
  settings:
    | (Pick<ResolvedPolicy, "decisionRule" | "minGroupSize" | "seed" | "intervalMethod" | "alpha"> & { attributes: string[]; bootstrapReplicates: number })
    | null;
  /** Under confident/sequential: the adjustment over the family of gated tests; null under point. */
  multiplicity: { method: Multiplicity; familySize: number; alpha: number } | null;
  /** Under sequential with kept state: the observed sequences after this look, to be stored with the evaluation. */
  sequences: SequenceState[];
}

export const BYPASS_REASON = "Fairness gate bypassed via active override";
export const INSUFFICIENT_EVIDENCE = "insufficient evidence";

/**
 * The override that applies to `flowId` at `now`, if any: approved (active),
 * unexpired, and either for this flow or tenant-wide. Pending, revoked and
 * expired overrides are ignored. Flow-specific overrides win over tenant-wide ones.
 */
export function applicableOverride(overrides: OverrideView[], flowId: string, now: Date): OverrideView | null {
  const live = overrides.filter(
    (o) => o.status === "active" && o.approvedBy !== null && Date.parse(o.expiresAt) > now.getTime() && (o.flowId === null || o.flowId === flowId),
  );
  live.sort((a, b) => (a.flowId === null ? 1 : 0) - (b.flowId === null ? 1 : 0) || Date.parse(b.expiresAt) - Date.parse(a.expiresAt));
  return live[0] ?? null;
}

/** "95%", "97.5%", "98.333%": a confidence level as a percentage. */
export const levelText = (level: number) => `${+(level * 100).toFixed(3)}%`;
const ivText = (iv: Interval | null, level = 0.95) => (iv ? `${levelText(level)} interval [${iv.lower.toFixed(3)}, ${iv.upper.toFixed(3)}]` : "no interval");

/**
 * The prefix naming a result in messages; the primary observed slice of a one-attribute policy has none.
 * Exported so CI outputs can tie a violation back to its slice and metric without a second naming rule.
 */
export function labelOf(r: Pick<SliceResult, "source" | "slice">, single: boolean, index: number): string {
  if (r.source === "observed") return single && index === 0 ? "" : `${r.slice}: `;
  return `candidate ${r.slice}: `;
}

/** Block-tier breaches, straddles (confident rule) and lower-tier warnings of every result. */
function findings(labelled: (SliceResult & { label: string })[], rule: ResolvedPolicy["decisionRule"]) {
  const violations: string[] = [];
  const insufficient: string[] = [];
  const warnings: GateWarning[] = [];
  for (const r of labelled) {
    for (const m of METRIC_NAMES) {
      const e = r.metrics[m];
      if (e.value === null || !e.threshold) continue;
      if (e.status === "block") {
        const t = e.threshold.block!;
        violations.push(`${r.label}${breachText(m, e.value, t)}${rule !== "point" ? ` (${ivText(e.interval, e.level)} lies wholly beyond)` : ""}`);
      } else if (e.status === "insufficient_evidence") {
        insufficient.push(`${r.label}${INSUFFICIENT_EVIDENCE}: ${METRICS[m].label} ${e.value.toFixed(3)}, ${ivText(e.interval, e.level)} straddles threshold ${e.threshold.block}`);
      } else if (e.status === "critical" || e.status === "warning") {
        const t = e.threshold[e.status]!;
        warnings.push({ tier: e.status, kind: "threshold", slice: r.slice, source: r.source, metric: m, message: `${r.label}${breachText(m, e.value, t)} (${e.status})` });
      }
    }
  }
  return { violations, insufficient, warnings };
}

/**
 * Decides the gate. `policy` null or disabled → skip. No usable traces in the primary
 * observed slice → skip ("no usable samples"); fewer than minSampleSize → skip
 * ("insufficient samples") or block, per `onInsufficientSamples`. A block-tier breach
 * in any result blocks; under the confident rule a straddling interval makes the
 * verdict skip with reason "insufficient evidence" (or block, per onInsufficientSamples).
 * A block with an applicable override → bypass. `input` may be a bare confusion table,
 * read as one slice named after policy.sensitiveAttribute with no calibration.
 */
export function decideGate(policy: FairnessPolicy | null, input: ConfusionTable | GateInput, override: OverrideView | null, opts: GateOptions = {}): GateResult {
  const gi: GateInput =
    "groups" in input ? { observed: [{ name: policy?.sensitiveAttribute ?? "", attributes: [policy?.sensitiveAttribute ?? ""], table: input, calibration: null }] } : input;
  const base = {
    override: null,
    results: [] as SliceResult[],
    warnings: [] as GateWarning[],
    insufficientEvidence: [] as string[],
    baseline: null,
    settings: null,
    multiplicity: null,
    sequences: [] as SequenceState[],
  };
  const primaryTable = gi.observed[0]?.table ?? { groups: [] };
  if (!policy || !policy.enabled) {
    return { ...base, verdict: "skip", reason: policy ? "fairness policy disabled" : "no fairness policy configured", violations: [], report: computeMetrics(primaryTable) };
  }
  // A bare table is one slice: the policy's other attributes are not in it.
  const rp = "groups" in input ? { ...resolvePolicy(policy), attributes: [policy.sensitiveAttribute] } : resolvePolicy(policy);
  const resample = opts.resample ?? null;
  const cfSource = gi.counterfactualSource ?? "observed";
  const build = (s: SliceTable, source: ResultSource): Built => ({
    table: s.table,
    calibration: s.calibration,
    ...sliceResult(s, source, {
      policy: rp,
      resample,
      counterfactual: source === cfSource ? (gi.counterfactual?.[s.name] ?? null) : null,
      counterfactualNote:
        source === cfSource ? (gi.counterfactualNote ?? "counterfactual not computed") : "the counterfactual is measured on the version under evaluation (the candidate)",
    }),
  });
  const observed = gi.observed.map((s) => build(s, "observed"));
  const replayed = (gi.replayed ?? []).map((s) => build(s, "replayed"));
  const built = [...observed, ...replayed];
  const sequences = rp.decisionRule === "sequential" ? applySequences(observed, replayed, gi.sequential ?? null, rp) : [];
  const multiplicity = rp.decisionRule === "point" ? null : adjustFamily(built, rp);
  const results = built.map((x) => x.result);
  const report = observed[0]?.report ?? computeMetrics(primaryTable, { minGroupSize: rp.minGroupSize });
  const settings = {
    attributes: rp.attributes,
    decisionRule: rp.decisionRule,
    minGroupSize: rp.minGroupSize,
    seed: rp.seed,
    intervalMethod: rp.intervalMethod,
    alpha: rp.alpha,
    bootstrapReplicates: resample ? rp.bootstrapReplicates : 0,
  };

  const single = rp.attributes.length === 1;
  const labelled = results.map((r, i) => ({ ...r, label: labelOf(r, single, i) }));
  const { violations, insufficient, warnings } = findings(labelled, rp.decisionRule);
  let baseline: GateResult["baseline"] = null;
  if (gi.baseline) {
    const regressions = findRegressions(labelled, gi.baseline, rp.maxRegression);
    baseline = { evaluationId: gi.baseline.id, createdAt: gi.baseline.createdAt, regressions };
    for (const g of regressions) warnings.push({ tier: "warning", kind: "regression", slice: g.slice, source: g.source, metric: g.metric, message: g.message });
  }

  // `gated` false: too few samples to judge, so the metrics (still in `results`) raise no warning.
  const result = (verdict: Verdict, reason: string | null, v: string[] = [], gated = true): GateResult => ({
    ...base,
    verdict,
    reason,
    violations: v,
    report,
    override: verdict === "bypass" ? override : null,
    results,
    warnings: gated ? warnings : [],
    insufficientEvidence: gated ? insufficient : [],
    baseline,
    settings,
    multiplicity,
    sequences,
  });

  const n = report.metrics.sampleSize;
  const enough = n > 0 && n >= rp.minSampleSize;
  let blocking: string[];
  if (!enough) {
    const reason = n === 0 ? "no usable samples" : "insufficient samples";
    if (rp.onInsufficientSamples === "skip") return result("skip", reason, [], false);
    blocking = [`${reason}: ${n} < minimum sample size ${rp.minSampleSize}`];
  } else if (violations.length > 0) {
    blocking = violations;
  } else if (insufficient.length > 0) {
    // Not a pass: the data cannot tell. The tenant's stance on too little data decides — except
    // under the sequential rule, which pauses only on a sequence wholly beyond (its guarantee).
    if (rp.onInsufficientSamples === "skip" || rp.decisionRule === "sequential") return result("skip", INSUFFICIENT_EVIDENCE);
    blocking = insufficient;
  } else {
    return result("pass", null);
  }
  if (override) return result("bypass", BYPASS_REASON, blocking, enough);
  return result("block", null, blocking, enough);
}
