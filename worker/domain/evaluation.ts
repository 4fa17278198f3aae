/**
 * @module domain/evaluation
 * The evaluation record: one zod schema shared by the API response, the 422
 * problem, the stored evaluation, the recheck job and the CLI output.
 */
import { z } from "zod";
import type { GateResult } from "./gate.js";
import type { FairnessPolicy } from "./policy.js";

const nullableRate = z.number().nullable();

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
});

export const evaluationSchema = z.object({
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
  metrics: z.object({
    disparateImpactRatio: nullableRate,
    demographicParityGap: nullableRate,
    equalOpportunityGap: nullableRate,
  }),
  metricNotes: z.record(z.string(), z.string()),
  groups: z.array(groupReportSchema),
  excludedFromEqualOpportunity: z.array(z.string()),
  violations: z.array(z.string()),
  policy: z.unknown().nullable(),
  overrideId: z.string().nullable(),
  approvedBy: z.string().nullable(),
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
}

/** Builds the evaluation record from a gate result. */
export function buildEvaluation(ctx: EvaluationContext, gate: GateResult): Evaluation {
  const m = gate.report.metrics;
  return {
    id: ctx.id,
    flowId: ctx.flowId,
    flowKey: ctx.flowKey,
    version: ctx.version,
    trigger: ctx.trigger,
    verdict: gate.verdict,
    reason: gate.reason,
    sensitiveAttribute: ctx.policy?.sensitiveAttribute ?? null,
    window: ctx.window,
    sampleSize: m.sampleSize,
    metrics: {
      disparateImpactRatio: m.disparateImpactRatio,
      demographicParityGap: m.demographicParityGap,
      equalOpportunityGap: m.equalOpportunityGap,
    },
    metricNotes: gate.report.metricNotes,
    groups: gate.report.groups,
    excludedFromEqualOpportunity: gate.report.excludedFromEqualOpportunity,
    violations: gate.violations,
    policy: ctx.policy,
    overrideId: gate.override?.id ?? null,
    approvedBy: gate.override?.approvedBy ?? null,
    createdAt: ctx.now.toISOString(),
  };
}

/** The rolling window ending at `now`. */
export function windowFor(now: Date, days: number): { from: Date; to: Date } {
  return { from: new Date(now.getTime() - days * 86_400_000), to: now };
}
