/**
 * @module domain/evaluation
 * The evaluation record: one zod schema shared by the API response, the 422
 * problem, the stored evaluation, the recheck job and the CLI output.
 *
 * `metrics`, `groups`, `metricNotes` and `excludedFromEqualOpportunity`
 * describe the primary sensitive attribute on the observed window. Everything
 * else — every metric with its interval, tier status and sample-size hint, per
 * slice and per source (observed or replayed) — is in `results`. Stored bodies
 * are read back through readEvaluation (domain/evaluation-read), which also
 * upgrades older versions.
 */
import { z } from "zod";
import { driversSchema } from "./drivers.js";
import { type GateResult, INSUFFICIENT_EVIDENCE } from "./gate.js";
import { groupIntervals } from "./intervals.js";
import { ENFORCEMENT_MODES, enforcementOf, type FairnessPolicy } from "./policy.js";
import { INTERVAL_METHODS } from "./interval-sources.js";
import { MULTIPLICITY_METHODS } from "./multiplicity.js";
import { DECISION_RULES, METRIC_NAMES, type MetricName } from "./tiers.js";
import { thresholdSweepSchema } from "./threshold-sweep.js";

const nullableRate = z.number().nullable();
const intervalSchema = z.object({ lower: z.number(), upper: z.number() }).nullable();
const tierThresholdsSchema = z.object({ warning: z.number().optional(), critical: z.number().optional(), block: z.number().optional() });
const sourceSchema = z.enum(["observed", "replayed"]);

const calibrationSchema = z.object({
  n: z.number().int(),
  ece: nullableRate,
  bins: z.array(z.object({ lower: z.number(), upper: z.number(), n: z.number().int(), meanScore: z.number(), observedRate: z.number() })),
});

const rateSetSchema = z.object({
  selectionRate: nullableRate,
  tpr: nullableRate,
  fpr: nullableRate,
  fnr: nullableRate,
  ppv: nullableRate,
  errorRate: nullableRate,
  accuracy: nullableRate,
});

export const groupReportSchema = z.object({
  value: z.string(),
  n: z.number().int(),
  selected: z.number().int(),
  labeled: z.number().int(),
  positives: z.number().int(),
  tp: z.number().int(),
  fp: z.number().int(),
  tn: z.number().int(),
  fn: z.number().int(),
  selectionRate: nullableRate,
  tpr: nullableRate,
  fpr: nullableRate,
  fnr: nullableRate,
  ppv: nullableRate,
  fnFpRatio: nullableRate,
  // Absent in evaluations stored before the slice error rate existed.
  /** (FP + FN) / labeled, and accuracy = 1 − errorRate (Fairlearn `error_rate`, `accuracy_score`). */
  errorRate: nullableRate.optional(),
  accuracy: nullableRate.optional(),
  /** Each rate minus the slice's overall rate (Fairlearn `MetricFrame.by_group − overall`). */
  toOverall: rateSetSchema.optional(),
  /** Below minGroupSize: reported, left out of every aggregate. */
  excluded: z.boolean(),
  /** Wilson 95% intervals of the rates. */
  intervals: z.object({ selectionRate: intervalSchema, tpr: intervalSchema, fpr: intervalSchema, fnr: intervalSchema, ppv: intervalSchema }),
  calibration: calibrationSchema.nullable(),
});

const int = z.number().int();
const groupCountsSchema = z.object({ value: z.string(), n: int, selected: int, labeled: int, positives: int, tp: int, fp: int, fn: int, tn: int });
// The streams some metrics' sequences keep besides the counts (calibrationGap: bins; counterfactualFlipRate: flip shares).
const sequenceStreams = {
  calibration: z.array(z.object({ value: z.string(), count: z.array(int), positives: z.array(int), scoreSum: z.array(int) })).nullable().optional(),
  flips: z.object({ n: int, sum: z.number() }).nullable().optional(),
};
const sequenceSchema = z.object({
  looks: int,
  since: z.string(),
  through: z.string(),
  rho: z.number(),
  persisted: z.boolean(),
  groups: z.array(groupCountsSchema),
  // Absent in evaluations stored before allocations: their levels were split over the groups present at that look.
  /** Each group's share w_g of the level: its streams ran at a·w_g (a/2·w_g since start, α_j(a)·w_g in the block). */
  allocation: z.array(z.object({ value: z.string(), cohort: int, look: int, weight: z.number() })).optional(),
  ...sequenceStreams,
  block: z.object({ index: int, since: z.string(), groups: z.array(groupCountsSchema), rho: z.number(), ...sequenceStreams }).nullable(),
  component: z.enum(["since_start", "block"]),
});

/**
 * Where an evaluate request's rows came from. `rows`: samples sent, or the flow's traces in the
 * window; `usable`: rows carrying at least one evaluated sensitive value (the rest are counted in
 * `withoutGroup`: for a trace join, customers missing from the lookup); `withoutLabel`: usable
 * rows without a label (they count for selection metrics, not for error rates).
 */
export const evaluateInputSchema = z.object({
  mode: z.enum(["inline", "trace-join"]),
  rows: z.number().int(),
  usable: z.number().int(),
  withoutGroup: z.number().int(),
  /** request: the samples' own labels; lookup: the caller's labelLookup; recorded: the traces' recorded outcomes. */
  labels: z.enum(["request", "lookup", "recorded"]),
  withoutLabel: z.number().int(),
});
export type EvaluateInput = z.infer<typeof evaluateInputSchema>;

const pairSchema = z.object({ rate: z.enum(["selectionRate", "tpr", "fpr", "ppv", "errorRate"]), high: z.string(), low: z.string() });

const metricEvidenceSchema = z.object({
  value: nullableRate,
  /** The interval at `level` (95% unless stated): see `intervalMethod`. */
  interval: intervalSchema,
  note: z.string().nullable(),
  excluded: z.array(z.string()),
  threshold: tierThresholdsSchema.nullable(),
  status: z.enum(["pass", "warning", "critical", "block", "insufficient_evidence", "not_checked", "unavailable"]),
  sampleSizeHint: z
    .object({
      factor: z.number().nullable(),
      additionalPerGroup: z.array(z.object({ value: z.string(), n: z.number().int(), additional: z.number().int().nullable() })),
      note: z.string(),
    })
    .nullable(),
  // Absent in evaluations stored before intervals had a method and a level: read as 95%, bootstrap.
  /** The confidence level of `interval`: 1 − alpha, or the multiplicity-adjusted level its test was run at. */
  level: z.number().optional(),
  intervalMethod: z.enum(INTERVAL_METHODS).nullable().optional(),
  /** The extreme pair an analytic interval compares. */
  pair: pairSchema.nullable().optional(),
  /** Two one-sided tests against the deciding threshold, read off `interval`. */
  equivalence: z.enum(["shown_within", "shown_beyond", "undetermined"]).nullable().optional(),
  /** decisionRule "sequential": the confidence sequence's state after this look; `interval` is computed from it (domain/sequential). */
  sequence: sequenceSchema.nullable().optional(),
});

const counterfactualSchema = z.object({
  requests: z.number().int(),
  trials: z.number().int(),
  flips: z.number().int(),
  rate: nullableRate,
  interval: intervalSchema,
  pairs: z.array(z.object({ from: z.string(), to: z.string(), trials: z.number().int(), flips: z.number().int(), rate: z.number() })),
  pairsTruncated: z.boolean(),
  refused: z.number().int(),
  /** Requests with a trial and the sum of their flip shares (the sequential rule's flip-rate stream); absent in older evaluations. */
  shares: z.object({ n: z.number().int(), sum: z.number() }).optional(),
});

/** Metrics added after evaluations were first stored: an older body has no entry for them and reads as not computed. */
const ADDED_METRICS = new Set<MetricName>(["errorRateGap", "errorRateToOverall"]);
const NOT_COMPUTED = { value: null, interval: null, note: "not computed when this evaluation was made", excluded: [], threshold: null, status: "unavailable" as const, sampleSizeHint: null };

export const sliceResultSchema = z.object({
  /** The attribute, or the attributes joined by "|" for their intersection. */
  slice: z.string(),
  attributes: z.array(z.string()),
  /** observed: the live traffic in the window; replayed: the candidate version on recorded requests. */
  source: sourceSchema,
  sampleSize: z.number().int(),
  groups: z.array(groupReportSchema),
  excludedGroups: z.array(z.object({ value: z.string(), n: z.number().int(), reason: z.string() })),
  metrics: z.object(
    Object.fromEntries(METRIC_NAMES.map((m) => [m, ADDED_METRICS.has(m) ? metricEvidenceSchema.default(NOT_COMPUTED) : metricEvidenceSchema])) as Record<
      MetricName,
      typeof metricEvidenceSchema
    >,
  ),
  counterfactual: counterfactualSchema.nullable(),
  /** The slice's overall rates (pooled over the groups in the aggregates) that each group's `toOverall` compares with. */
  overall: rateSetSchema.extend({ n: z.number().int(), labeled: z.number().int() }).optional(),
});

const warningSchema = z.object({
  tier: z.enum(["warning", "critical"]),
  kind: z.enum(["threshold", "regression"]),
  slice: z.string(),
  source: sourceSchema,
  metric: z.enum(METRIC_NAMES),
  message: z.string(),
});

const regressionSchema = z.object({
  slice: z.string(),
  source: sourceSchema,
  metric: z.enum(METRIC_NAMES),
  baseline: z.number(),
  current: z.number(),
  worsening: z.number(),
  maxRegression: z.number(),
  message: z.string(),
});

/**
 * The policy the evaluation ran under, kept key for key (a loose object, so the
 * recorded snapshot and its hash stay exactly as written); the parts that reports,
 * alerts and remediations read are typed.
 */
export const policySnapshotSchema = z.looseObject({
  thresholds: z.record(z.string(), z.union([z.number(), tierThresholdsSchema]).optional()).optional(),
  maxRegression: z.record(z.string(), z.number().optional()).optional(),
});
export type PolicySnapshot = z.infer<typeof policySnapshotSchema>;

export const evaluationSchema = z.object({
  id: z.string(),
  flowId: z.string().nullable(),
  flowKey: z.string().nullable(),
  version: z.number().int().nullable(),
  trigger: z.enum(["publish", "recheck", "cli", "evaluate"]),
  verdict: z.enum(["pass", "skip", "block", "bypass"]),
  reason: z.string().nullable(),
  sensitiveAttribute: z.string().nullable(),
  sensitiveAttributes: z.array(z.string()),
  window: z.object({ from: z.string(), to: z.string(), days: z.number().int() }).nullable(),
  sampleSize: z.number().int(),
  metrics: z.object({
    disparateImpactRatio: nullableRate,
    demographicParityGap: nullableRate,
    equalOpportunityGap: nullableRate,
  }),
  metricNotes: z.record(z.string(), z.string()),
  groups: z.array(groupReportSchema),
  excludedFromEqualOpportunity: z.array(z.string()),
  /** Block-tier breaches (and, with onInsufficientSamples "block", what lacked evidence). */
  violations: z.array(z.string()),
  /** Critical and warning tiers breached, and regressions against the baseline: published anyway. */
  warnings: z.array(warningSchema),
  /** The most severe tier any metric of any result reached (block, critical, warning), or null. */
  highestTier: z.enum(["block", "critical", "warning"]).nullable(),
  /** Under decisionRule "confident": metrics whose interval straddles the block threshold. */
  insufficientEvidence: z.array(z.string()),
  decisionRule: z.enum(DECISION_RULES).nullable(),
  minGroupSize: z.number().int().nullable(),
  /**
   * How intervals were computed; the seed reproduces every interval and sample exactly.
   * aggregates "analytic": Newcombe / Katz on each metric's extreme pair (`pair` in its evidence);
   * the FN/FP gap, the calibration gap and the error rate above overall keep the bootstrap.
   */
  intervals: z
    .object({
      level: z.number(),
      groupRates: z.literal("wilson"),
      aggregates: z.enum(["poisson-bootstrap", "analytic", "simultaneous", "none"]),
      replicates: z.number().int(),
      seed: z.number().int(),
    })
    .nullable(),
  /** Under confident/sequential: the adjustment over the gated metrics × slices (each metric's `level` is its test's). */
  multiplicity: z.object({ method: z.enum(MULTIPLICITY_METHODS), familySize: z.number().int(), alpha: z.number() }).nullable().optional(),
  results: z.array(sliceResultSchema),
  /** The candidate replay (publishing a draft): requests re-run, refused and whose selection changed. */
  replay: z.object({ version: z.number().int().nullable(), requests: z.number().int(), refused: z.number().int(), changed: z.number().int() }).nullable(),
  baseline: z.object({ evaluationId: z.string(), createdAt: z.string(), regressions: z.array(regressionSchema) }).nullable(),
  /** Parts of the evaluated version ranked by their share of each breached/warned selection metric (domain/drivers); absent without such a breach or in older evaluations. */
  drivers: driversSchema.nullable().optional(),
  policy: policySnapshotSchema.nullable(),
  overrideId: z.string().nullable(),
  approvedBy: z.string().nullable(),
  /** The policy's enforcement mode (absent on evaluations stored before it existed: enforce). */
  enforcement: z.enum(ENFORCEMENT_MODES).optional(),
  /** Whether the verdict blocks (block); under shadow enforcement it is recorded but nothing is blocked or paused. */
  wouldBlock: z.boolean().optional(),
  /** `fairgate check --sweep`: the gated metrics re-decided at each score threshold (domain/threshold-sweep); absent otherwise. */
  thresholdSweep: thresholdSweepSchema.optional(),
  /** POST /fairness/evaluate: what the rows were, as counts only (the caller's samples and lookups are not stored); absent otherwise. */
  input: evaluateInputSchema.optional(),
  /**
   * `fairgate check`: how a row counted as selected — a decision column, or a score column cut
   * at a fixed threshold (score ≥ threshold) or, with --scoring-rate median, above the whole
   * file's median score (score > threshold; null when no row was scored); absent otherwise.
   */
  selection: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("decision"), column: z.string() }),
      z.object({ kind: z.literal("score"), column: z.string(), rule: z.enum(["at-least", "above-median"]), threshold: z.number().nullable() }),
    ])
    .optional(),
  createdAt: z.string(),
});
export type Evaluation = z.infer<typeof evaluationSchema>;

export interface EvaluationContext {
  id: string;
  flowId: string | null;
  flowKey: string | null;
  version: number | null;
  trigger: Evaluation["trigger"];
  policy: FairnessPolicy | null;
  window: Evaluation["window"];
  now: Date;
  /** Summary of the candidate replay, when one ran. */
  replay?: Evaluation["replay"];
  /** The drivers of the breached selection metrics, when they were analysed. */
  drivers?: Evaluation["drivers"];
  /** POST /fairness/evaluate: the counts of what was evaluated. */
  input?: EvaluateInput;
}

/** The most severe tier reached in any result (a blocking verdict counts as block). */
function highestTier(gate: GateResult): Evaluation["highestTier"] {
  // A skip for too few samples judged nothing, whatever the metrics of the few traces say.
  if (gate.verdict === "skip" && gate.reason !== INSUFFICIENT_EVIDENCE) return null;
  const statuses = new Set(gate.results.flatMap((r) => METRIC_NAMES.map((m) => r.metrics[m].status)));
  if (statuses.has("block") || gate.verdict === "block" || gate.verdict === "bypass") return "block";
  return statuses.has("critical") ? "critical" : statuses.has("warning") || gate.warnings.length > 0 ? "warning" : null;
}

/** Builds the evaluation record from a gate result. */
export function buildEvaluation(ctx: EvaluationContext, gate: GateResult): Evaluation {
  const m = gate.report.metrics;
  const s = gate.settings;
  return {
    id: ctx.id,
    flowId: ctx.flowId,
    flowKey: ctx.flowKey,
    version: ctx.version,
    trigger: ctx.trigger,
    verdict: gate.verdict,
    reason: gate.reason,
    sensitiveAttribute: ctx.policy?.sensitiveAttribute ?? null,
    sensitiveAttributes: s?.attributes ?? (ctx.policy ? [ctx.policy.sensitiveAttribute] : []),
    window: ctx.window,
    sampleSize: m.sampleSize,
    metrics: {
      disparateImpactRatio: m.disparateImpactRatio,
      demographicParityGap: m.demographicParityGap,
      equalOpportunityGap: m.equalOpportunityGap,
    },
    metricNotes: gate.report.metricNotes,
    // The primary observed result carries the same groups with intervals and calibration.
    groups: gate.results[0]?.groups ?? gate.report.groups.map((g) => ({ ...g, excluded: false, intervals: groupIntervals(g), calibration: null })),
    excludedFromEqualOpportunity: gate.report.excludedFromEqualOpportunity,
    violations: gate.violations,
    warnings: gate.warnings,
    insufficientEvidence: gate.insufficientEvidence,
    highestTier: highestTier(gate),
    decisionRule: s?.decisionRule ?? null,
    minGroupSize: s?.minGroupSize ?? null,
    intervals: s
      ? {
          level: 1 - s.alpha,
          groupRates: "wilson",
          aggregates: s.intervalMethod !== "bootstrap" ? s.intervalMethod : s.bootstrapReplicates > 0 ? "poisson-bootstrap" : "none",
          replicates: s.bootstrapReplicates,
          seed: s.seed,
        }
      : null,
    multiplicity: gate.multiplicity,
    results: gate.results,
    replay: ctx.replay ?? null,
    baseline: gate.baseline,
    ...(ctx.drivers !== undefined ? { drivers: ctx.drivers } : {}),
    policy: ctx.policy,
    overrideId: gate.override?.id ?? null,
    approvedBy: gate.override?.approvedBy ?? null,
    enforcement: enforcementOf(ctx.policy),
    wouldBlock: gate.verdict === "block",
    ...(ctx.input !== undefined ? { input: ctx.input } : {}),
    createdAt: ctx.now.toISOString(),
  };
}

/** The rolling window ending at `now`. */
export function windowFor(now: Date, days: number): { from: Date; to: Date } {
  return { from: new Date(now.getTime() - days * 86_400_000), to: now };
}

/**
 * Whether an evaluation stops what it judged: a block under enforce. Under shadow
 * enforcement the block is recorded (`wouldBlock`) but publish goes ahead and no flow is paused.
 */
export const blocksPublish = (e: Pick<Evaluation, "verdict" | "enforcement">): boolean => e.verdict === "block" && e.enforcement !== "shadow";
