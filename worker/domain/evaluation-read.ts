/**
 * @module domain/evaluation-read
 * Reading a stored evaluation body back: every known version of the record has
 * its own zod schema, and each older version is upgraded to the current shape by
 * a named function. A body that matches no version is an integrity fault
 * (StoredRecordError, 503), never a half-read object.
 *
 * Reading shapes only what callers see: the stored body, and the hash chained
 * over it, stay exactly as written.
 *
 * Versions:
 * - v1: the first stored shape — the three pinned metrics of one sensitive
 *   attribute, groups with counts and rates only; no per-slice results, tiers,
 *   intervals, warnings, baseline or replay.
 * - current: `evaluationSchema` (domain/evaluation).
 */
import { z } from "zod";
import { StoredRecordError } from "./errors.js";
import { type Evaluation, evaluationSchema, policySnapshotSchema } from "./evaluation.js";
import { groupIntervals } from "./intervals.js";
import { rate } from "./metrics.js";

const nullableRate = z.number().nullable();

/** A v1 group: counts and the five rates (no fnFpRatio, exclusion, intervals or calibration). */
const groupV1Schema = z.strictObject({
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
});

/**
 * The v1 record, key for key. Strict, so that a current body (which has more
 * keys) that fails the current schema is not mistaken for a v1 body.
 */
export const evaluationV1Schema = z.strictObject({
  id: z.string(),
  flowId: z.string().nullable(),
  flowKey: z.string().nullable(),
  version: z.number().int().nullable(),
  trigger: z.enum(["publish", "recheck", "cli"]),
  verdict: z.enum(["pass", "skip", "block", "bypass"]),
  reason: z.string().nullable(),
  sensitiveAttribute: z.string().nullable(),
  window: z.object({ from: z.string(), to: z.string(), days: z.number().int() }).nullable(),
  sampleSize: z.number().int(),
  metrics: z.object({ disparateImpactRatio: nullableRate, demographicParityGap: nullableRate, equalOpportunityGap: nullableRate }),
  metricNotes: z.record(z.string(), z.string()),
  groups: z.array(groupV1Schema),
  excludedFromEqualOpportunity: z.array(z.string()),
  violations: z.array(z.string()),
  policy: policySnapshotSchema.nullable(),
  overrideId: z.string().nullable(),
  approvedBy: z.string().nullable(),
  createdAt: z.string(),
});
export type EvaluationV1 = z.infer<typeof evaluationV1Schema>;

/**
 * A v1 evaluation in the current shape. Groups keep their recorded rates and
 * gain fnFpRatio and Wilson intervals (both from their counts), `excluded: false`
 * (v1 left no group out of the aggregates) and no calibration. Everything v1 did
 * not compute is empty or null; a blocking verdict (block, or bypass of a block)
 * reached the block tier.
 */
export function upgradeEvaluationV1(v1: EvaluationV1): Evaluation {
  return {
    id: v1.id,
    flowId: v1.flowId,
    flowKey: v1.flowKey,
    version: v1.version,
    trigger: v1.trigger,
    verdict: v1.verdict,
    reason: v1.reason,
    sensitiveAttribute: v1.sensitiveAttribute,
    sensitiveAttributes: v1.sensitiveAttribute === null ? [] : [v1.sensitiveAttribute],
    window: v1.window,
    sampleSize: v1.sampleSize,
    metrics: v1.metrics,
    metricNotes: v1.metricNotes,
    groups: v1.groups.map((g) => ({ ...g, fnFpRatio: rate(g.fn, g.fp), excluded: false, intervals: groupIntervals(g), calibration: null })),
    excludedFromEqualOpportunity: v1.excludedFromEqualOpportunity,
    violations: v1.violations,
    warnings: [],
    highestTier: v1.verdict === "block" || v1.verdict === "bypass" ? "block" : null,
    insufficientEvidence: [],
    decisionRule: null,
    minGroupSize: null,
    intervals: null,
    results: [],
    replay: null,
    baseline: null,
    policy: v1.policy,
    overrideId: v1.overrideId,
    approvedBy: v1.approvedBy,
    createdAt: v1.createdAt,
  };
}

const issueLines = (version: string, error: z.ZodError) => error.issues.slice(0, 5).map((i) => `${version}: ${i.path.join(".") || "(root)"}: ${i.message}`);

/**
 * Parses a stored evaluation body (already JSON-decoded) of any known version
 * into the current shape; throws StoredRecordError when it matches none.
 */
export function readEvaluation(raw: unknown): Evaluation {
  const current = evaluationSchema.safeParse(raw);
  if (current.success) return current.data;
  const v1 = evaluationV1Schema.safeParse(raw);
  if (v1.success) return upgradeEvaluationV1(v1.data);
  throw new StoredRecordError("fairness evaluation", [...issueLines("current", current.error), ...issueLines("v1", v1.error)]);
}

/** readEvaluation of a stored JSON text column; text that is not JSON is the same integrity fault. */
export function readEvaluationJson(text: unknown): Evaluation {
  let raw: unknown;
  try {
    raw = JSON.parse(String(text));
  } catch {
    throw new StoredRecordError("fairness evaluation", ["body is not JSON"]);
  }
  return readEvaluation(raw);
}
