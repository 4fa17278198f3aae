/**
 * @module domain/policy
 * The tenant's fairness policy: the zod schema is the single source of truth for
 * its shape and limits; the inferred type is what the gate consumes.
 *
 * Every field beyond the pinned core (attribute, thresholds, sample sizes, window,
 * recheck) is optional in the stored policy and gets its default in resolvePolicy(),
 * so a stored policy keeps its exact meaning whatever fields it predates, and
 * GET /tenant-settings shows exactly what was set.
 */
import { z } from "zod";
import { DEFAULT_CALIBRATION_BINS } from "./calibration.js";
import { type Multiplicity, MULTIPLICITY_METHODS } from "./multiplicity.js";
import { DECISION_RULES, METRICS, METRIC_NAMES, type MetricName, thresholdSpecSchema, type TierThresholds, tiersOf, type DecisionRule } from "./tiers.js";

/** Names no request attribute may have (they would address an object's prototype machinery). */
export const RESERVED_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Attribute names end up in JSON paths, so they are restricted to identifiers; the
 * reserved names are refused too, since no request may carry them (a policy or a
 * flow naming one could never see a value).
 */
export const attributeNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "must be an identifier (letters, digits, underscore; max 64)")
  .refine((n) => !RESERVED_ATTRIBUTE_NAMES.has(n), { message: "is a reserved name and cannot be an attribute" });

/** Thresholds; each is optional and an absent threshold is simply not checked. */
export const thresholdsSchema = z.strictObject(
  Object.fromEntries(METRIC_NAMES.map((m) => [m, thresholdSpecSchema(m).optional()])) as {
    [K in MetricName]: z.ZodOptional<ReturnType<typeof thresholdSpecSchema>>;
  },
);
export type Thresholds = z.infer<typeof thresholdsSchema>;

/** Largest tolerated worsening per metric since the last passing evaluation (warning only). */
export const maxRegressionSchema = z.strictObject(
  Object.fromEntries(METRIC_NAMES.map((m) => [m, z.number().finite().min(0).max(METRICS[m].max).optional()])) as {
    [K in MetricName]: z.ZodOptional<z.ZodNumber>;
  },
);

/**
 * The inline override block of PUT /tenant-settings. It never bypasses anything by itself:
 * it is turned into a pending override request that a second person must approve.
 * `approvedBy` is accepted for compatibility and ignored — approval always comes
 * from the authenticated approver.
 */
export const inlineOverrideSchema = z.strictObject({
  enabled: z.boolean().default(true),
  reason: z.string().trim().min(10).max(2000),
  expiresAt: z.iso.datetime({ offset: true }),
  flowId: z.string().min(1).max(64).optional(),
  approvedBy: z.string().max(200).optional(),
});

export const ENFORCEMENT_MODES = ["enforce", "shadow"] as const;
export type Enforcement = (typeof ENFORCEMENT_MODES)[number];

/** Roles that may decide an override approval stage. */
export const APPROVAL_STAGE_ROLES = ["approver", "admin"] as const;
export const MAX_APPROVAL_STAGES = 5;
/** One stage of an override's approval: its name and the role that decides it. */
export const approvalStageSchema = z.strictObject({
  stage: z.string().trim().min(1).max(64),
  role: z.enum(APPROVAL_STAGE_ROLES),
});
export type ApprovalStage = z.infer<typeof approvalStageSchema>;
/** The default: one stage, decided by an approver (the four-eyes rule). */
export const DEFAULT_APPROVAL_STAGES: readonly ApprovalStage[] = [{ stage: "approval", role: "approver" }];

/** Most sensitive attributes a policy may intersect (cells multiply quickly). */
export const MAX_SENSITIVE_ATTRIBUTES = 4;

const policyObject = z.strictObject({
  enabled: z.boolean(),
  /** The primary sensitive attribute (the first of sensitiveAttributes when only those are given). */
  sensitiveAttribute: attributeNameSchema.optional(),
  /** Several attributes: each alone and their intersection are evaluated. */
  sensitiveAttributes: z.array(attributeNameSchema).min(1).max(MAX_SENSITIVE_ATTRIBUTES).optional(),
  thresholds: thresholdsSchema,
  minSampleSize: z.number().int().min(1).max(10_000_000).default(100),
  /** Groups (cells) smaller than this are reported but left out of every gap. Default 30, capped at minSampleSize. */
  minGroupSize: z.number().int().min(1).max(10_000_000).optional(),
  windowDays: z.number().int().min(1).max(365).default(7),
  continuousRecheck: z.boolean().default(false),
  onInsufficientSamples: z.enum(["skip", "block"]).default("skip"),
  /**
   * point (default): compare estimates. confident: block only when the (1 − alpha) interval is wholly
   * beyond. sequential: block only when an anytime-valid confidence sequence across rechecks is wholly beyond.
   */
  decisionRule: z.enum(DECISION_RULES).optional(),
  /**
   * bootstrap (default): Poisson bootstrap. analytic: Wilson / Newcombe / Katz on the extreme pair.
   * simultaneous: pairwise Newcombe / Katz at a Bonferroni level, covering the true max − min over any number of groups.
   */
  intervalMethod: z.enum(["bootstrap", "analytic", "simultaneous"]).optional(),
  /** Adjustment over the gated metrics × slices of one evaluation under confident/sequential (default holm). */
  multiplicity: z.enum(MULTIPLICITY_METHODS).optional(),
  /** Error rate of the interval rules: intervals are at 1 − alpha (default 0.05). */
  alpha: z.number().min(0.0001).max(0.5).optional(),
  bootstrapReplicates: z.number().int().min(100).max(20_000).optional(),
  /** Seed of every random choice in an evaluation (bootstrap, samples); recorded in the evaluation. */
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  calibrationBins: z.number().int().min(2).max(100).optional(),
  /** Recorded requests re-run with the sensitive attribute changed (0 disables the counterfactual). */
  counterfactualSampleSize: z.number().int().min(0).max(100_000).optional(),
  /** Recorded requests a candidate version is replayed on when publishing a draft. */
  replaySampleSize: z.number().int().min(1).max(1_000_000).optional(),
  maxRegression: maxRegressionSchema.optional(),
  override: inlineOverrideSchema.optional(),
  /** NYC LL144 bias audit: which trace attributes hold sex and race/ethnicity, and the rate (default selection; request parameters override). */
  ll144: z.strictObject({ sexAttribute: attributeNameSchema, raceAttribute: attributeNameSchema, rate: z.enum(["selection", "scoring"]).optional() }).optional(),
  /**
   * trace (default): sensitive attributes are stored on the trace. separate: they are stored apart,
   * once per person under a pseudonymous customer key, and joined back only to evaluate.
   */
  sensitiveAttributeStorage: z.enum(["trace", "separate"]).optional(),
  /** Trace retention: traces older than tracesDays are deleted by the daily job (at least six months). */
  retention: z.strictObject({ tracesDays: z.number().int().min(183).max(36_500) }).optional(),
  /**
   * Daily feature drift check of every active flow (services/drift-check.ts): the last currentDays
   * against the referenceDays before them; results are audited, a verdict alert alerts, nothing pauses.
   */
  driftCheck: z.strictObject({ referenceDays: z.number().int().min(1).max(365), currentDays: z.number().int().min(1).max(90) }).optional(),
  /**
   * enforce (default): a breach blocks publish and pauses on recheck. shadow: every evaluation runs,
   * is stored, audited and alerted the same, with the verdict it would have had, but nothing is blocked or paused.
   */
  enforcement: z.enum(ENFORCEMENT_MODES).optional(),
  /** Approval stages of an override request, decided in order by distinct people (default: one approver stage). */
  overrideApprovals: z.array(approvalStageSchema).min(1).max(MAX_APPROVAL_STAGES).optional(),
});

export const fairnessPolicySchema = policyObject
  .superRefine((p, ctx) => {
    if (p.sensitiveAttribute === undefined && p.sensitiveAttributes === undefined)
      ctx.addIssue({ code: "custom", path: ["sensitiveAttribute"], message: "give sensitiveAttribute or sensitiveAttributes" });
    if (p.sensitiveAttributes && new Set(p.sensitiveAttributes).size !== p.sensitiveAttributes.length)
      ctx.addIssue({ code: "custom", path: ["sensitiveAttributes"], message: "attributes must be distinct" });
    if (p.overrideApprovals && new Set(p.overrideApprovals.map((s) => s.stage)).size !== p.overrideApprovals.length)
      ctx.addIssue({ code: "custom", path: ["overrideApprovals"], message: "stage names must be distinct" });
  })
  .transform(({ sensitiveAttribute, sensitiveAttributes, ...rest }) => {
    // The primary attribute leads the list; giving both is fine (the list may repeat it).
    const primary = sensitiveAttribute ?? sensitiveAttributes![0]!;
    const list = [primary, ...(sensitiveAttributes ?? []).filter((a) => a !== primary)];
    return { ...rest, sensitiveAttribute: primary, ...(list.length > 1 ? { sensitiveAttributes: list } : {}) };
  });

type ParsedPolicy = z.infer<typeof fairnessPolicySchema>;
/** A parsed policy as stored (the inline override block is stripped before storing). */
export type FairnessPolicy = Omit<ParsedPolicy, "override">;
export type InlineOverride = z.infer<typeof inlineOverrideSchema>;

export const tenantSettingsSchema = z.strictObject({
  fairnessPolicy: fairnessPolicySchema,
});

export const DEFAULT_MIN_GROUP_SIZE = 30;
export const DEFAULT_BOOTSTRAP_REPLICATES = 1000;
export const DEFAULT_SEED = 1;
export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_COUNTERFACTUAL_SAMPLE_SIZE = 1000;
export const DEFAULT_REPLAY_SAMPLE_SIZE = 10_000;

/** A policy with every default applied: what the gate actually uses. */
export interface ResolvedPolicy {
  attributes: string[];
  thresholds: Partial<Record<MetricName, TierThresholds>>;
  minSampleSize: number;
  minGroupSize: number;
  onInsufficientSamples: "skip" | "block";
  decisionRule: DecisionRule;
  intervalMethod: "bootstrap" | "analytic" | "simultaneous";
  multiplicity: Multiplicity;
  alpha: number;
  bootstrapReplicates: number;
  seed: number;
  calibrationBins: number;
  counterfactualSampleSize: number;
  /**
   * Whether every evaluation measures the counterfactual: when the policy gates on it
   * (threshold or maxRegression) or sets counterfactualSampleSize. Otherwise it is measured
   * only when a candidate is replayed, where the sample of recorded requests is read anyway.
   */
  counterfactualRequested: boolean;
  replaySampleSize: number;
  maxRegression: Partial<Record<MetricName, number>>;
}

/**
 * Applies defaults. minGroupSize defaults to 30 but never above minSampleSize: a
 * policy that accepts a 10-trace window cannot sensibly demand 30 traces per group.
 */
export function resolvePolicy(p: FairnessPolicy): ResolvedPolicy {
  const thresholds: ResolvedPolicy["thresholds"] = {};
  for (const m of METRIC_NAMES) {
    const t = tiersOf(p.thresholds[m]);
    if (t) thresholds[m] = t;
  }
  const maxRegression: ResolvedPolicy["maxRegression"] = {};
  for (const m of METRIC_NAMES) if (p.maxRegression?.[m] !== undefined) maxRegression[m] = p.maxRegression[m];
  const minSampleSize = p.minSampleSize ?? 100;
  return {
    attributes: p.sensitiveAttributes && p.sensitiveAttributes.length > 0 ? p.sensitiveAttributes : [p.sensitiveAttribute],
    thresholds,
    minSampleSize,
    minGroupSize: p.minGroupSize ?? Math.min(DEFAULT_MIN_GROUP_SIZE, minSampleSize),
    onInsufficientSamples: p.onInsufficientSamples ?? "skip",
    decisionRule: p.decisionRule ?? "point",
    intervalMethod: p.intervalMethod ?? "bootstrap",
    multiplicity: p.multiplicity ?? "holm",
    alpha: p.alpha ?? DEFAULT_ALPHA,
    bootstrapReplicates: p.bootstrapReplicates ?? DEFAULT_BOOTSTRAP_REPLICATES,
    seed: p.seed ?? DEFAULT_SEED,
    calibrationBins: p.calibrationBins ?? DEFAULT_CALIBRATION_BINS,
    counterfactualSampleSize: p.counterfactualSampleSize ?? DEFAULT_COUNTERFACTUAL_SAMPLE_SIZE,
    counterfactualRequested: p.counterfactualSampleSize !== undefined || "counterfactualFlipRate" in thresholds || "counterfactualFlipRate" in maxRegression,
    replaySampleSize: p.replaySampleSize ?? DEFAULT_REPLAY_SAMPLE_SIZE,
    maxRegression,
  };
}

/** The enforcement mode of a policy (no policy, or none set: enforce). */
export const enforcementOf = (p: Pick<FairnessPolicy, "enforcement"> | null | undefined): Enforcement => p?.enforcement ?? "enforce";

/** The approval stages an override requested under `p` must pass, in order. */
export const approvalStagesOf = (p: Pick<FairnessPolicy, "overrideApprovals"> | null | undefined): ApprovalStage[] => [...(p?.overrideApprovals ?? DEFAULT_APPROVAL_STAGES)];
