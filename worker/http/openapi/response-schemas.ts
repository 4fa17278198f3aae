/**
 * @module http/openapi/response-schemas
 * zod schemas of what the routes answer. Stored evaluations use the domain's own
 * `evaluationSchema` (the one the store parses with). The others describe the
 * services' views; the contract tests validate every response of the acceptance
 * story against them, so a view that drifts from its schema fails `npm test`.
 * Large nested reports (report.json, recheck runs) are loose objects: their
 * documented top-level fields are checked, further fields are allowed.
 */
import { z } from "zod";
import { ALERT_TIERS } from "../../domain/alerts.js";
import { evaluationSchema } from "../../domain/evaluation.js";
import { flowDefinitionSchema } from "../../domain/flow.js";
import { fairnessPolicySchema } from "../../domain/policy.js";
import { ROOT_CAUSES } from "../../domain/remediation-record.js";
import { FAILURE_CLASSES } from "../../domain/failure-class.js";
import { roleSchema } from "../../domain/roles.js";

const ts = z.string().describe("ISO 8601 date-time");
const list = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

export const healthSchema = z.object({ status: z.literal("ok") });
export const readySchema = z.object({ status: z.enum(["ready", "degraded"]), unavailableTenantStores: z.number().int() });

export const tenantSchema = z.object({ id: z.string(), name: z.string(), region: z.string() });
export const tenantListSchema = list(tenantSchema.extend({ createdAt: ts }));

export const apiKeySchema = z.object({
  id: z.string(),
  principal: z.string(),
  roles: z.array(roleSchema),
  status: z.enum(["active", "rotating", "revoked", "expired"]),
  createdAt: ts,
  lastUsedAt: ts.nullable(),
  expiresAt: ts.nullable(),
  revokedAt: ts.nullable(),
  replacedBy: z.string().nullable(),
});
export const apiKeyListSchema = list(apiKeySchema);
/** The one response that carries a secret (shown once). */
export const apiKeyWithSecretSchema = apiKeySchema.extend({ key: z.string().describe("the secret; shown once, stored only as a SHA-256 hash") });
export const rotatedKeySchema = apiKeyWithSecretSchema.extend({ replaced: apiKeySchema });
export const apiKeyEventListSchema = list(
  z.object({
    id: z.string(),
    tenantId: z.string(),
    keyId: z.string(),
    action: z.enum(["create", "revoke", "rotate"]),
    actorType: z.enum(["platform", "principal"]),
    actor: z.string(),
    actorKeyId: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
    createdAt: ts,
  }));

export const publicAlertSettingsSchema = z.object({ webhookUrl: z.string(), minTier: z.enum(ALERT_TIERS), reportBaseUrl: z.string().nullable(), secretSet: z.literal(true) });

const approvalStageSchema = z.object({ stage: z.string(), role: z.enum(["approver", "admin"]) });
export const overrideSchema = z.object({
  id: z.string(),
  flowId: z.string().nullable(),
  status: z.enum(["pending", "active", "revoked", "rejected"]),
  expiresAt: ts,
  requestedBy: z.string(),
  approvedBy: z.string().nullable(),
  reason: z.string(),
  requestedAt: ts,
  approvedAt: ts.nullable(),
  revokedBy: z.string().nullable(),
  revokedAt: ts.nullable(),
  revokeReason: z.string().nullable(),
  /** The approval stages the request must pass, in order. */
  stages: z.array(approvalStageSchema),
  /** Every decided stage, in order (one row per decision; a reject is the last). */
  decisions: z.array(
    z.object({ stageIndex: z.number().int(), stage: z.string(), role: z.string(), decision: z.enum(["approve", "reject"]), decidedBy: z.string(), reason: z.string().nullable(), decidedAt: ts }),
  ),
  /** The stage waiting for a decision; null unless pending. */
  currentStage: approvalStageSchema.extend({ index: z.number().int() }).nullable(),
  rejectedBy: z.string().nullable(),
  rejectedAt: ts.nullable(),
  rejectReason: z.string().nullable(),
});
export const overrideListSchema = list(overrideSchema);

/** Every failure class's playbook in force: the tenant's steps where set, else the default. */
const effectivePlaybooksSchema = z.object(Object.fromEntries(FAILURE_CLASSES.map((c) => [c, z.array(z.string())])) as Record<(typeof FAILURE_CLASSES)[number], z.ZodArray<z.ZodString>>);
export const tenantSettingsResponseSchema = z.object({ fairnessPolicy: fairnessPolicySchema.nullable(), alerts: publicAlertSettingsSchema.nullable(), remediationPlaybooks: effectivePlaybooksSchema });
export const tenantSettingsPutResponseSchema = z.object({
  fairnessPolicy: fairnessPolicySchema,
  overrideRequest: overrideSchema.optional(),
  alerts: publicAlertSettingsSchema.nullable().optional(),
  remediationPlaybooks: effectivePlaybooksSchema.optional(),
});

export const flowSchema = z.object({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  status: z.enum(["draft", "active", "paused", "archived"]),
  version: z.number().int(),
  activeVersion: z.number().int().nullable(),
  createdAt: ts,
  updatedAt: ts,
  definition: flowDefinitionSchema.optional(),
});
export const flowListSchema = list(flowSchema);
export const publishResultSchema = z.object({
  id: z.string(),
  status: z.literal("active"),
  version: z.number().int(),
  warnings: evaluationSchema.shape.warnings,
  /** Under shadow enforcement: the gate would have blocked (the evaluation carries the violations). */
  wouldBlock: z.boolean(),
  evaluation: evaluationSchema,
});

export const recommendResultSchema = z.object({
  traceId: z.string(),
  decisionFlowKey: z.string(),
  version: z.number().int(),
  selected: z.boolean(),
  offers: z.array(z.object({ id: z.string(), propensity: z.number() })),
});
export const outcomeResultSchema = z.object({ traceId: z.string(), converted: z.boolean() });
export const bulkResultSchema = z.object({ accepted: z.number().int() });
export const packResultSchema = z.object({ segments: z.number().int(), traces: z.number().int(), compactedDays: z.number().int(), conflicts: z.number().int() });

export const evaluationResponseSchema = evaluationSchema;
export const evaluationListSchema = list(evaluationSchema);
/** POST /fairness/evaluate: the stored evaluation (trigger "evaluate") and its id. */
export const evaluateResultSchema = z.object({ evaluationId: z.string(), evaluation: evaluationSchema });
export const reportSchema = z.looseObject({
  format: z.string(),
  title: z.string(),
  summary: z.object({ verdict: z.string(), headline: z.string(), points: z.array(z.string()) }),
  tenant: z.object({ id: z.string(), name: z.string().nullable() }),
  evaluation: z.looseObject({ id: z.string(), trigger: z.string(), verdict: z.string() }),
  violations: z.array(z.string()),
});

export const ll144AuditSchema = z.looseObject({
  format: z.string(),
  rateKind: z.string(),
  individuals: z.number().int(),
  medianScore: z.number().nullable(),
  tables: z.looseObject({ sex: z.array(z.unknown()), race: z.array(z.unknown()), intersection: z.array(z.unknown()) }),
  unknown: z.object({ count: z.number().int(), sex: z.number().int(), race: z.number().int() }),
  statements: z.array(z.string()),
});

/** Erasure of one person's protected attributes (privacy mode). */
export const erasureSchema = z.object({ erased: z.boolean(), customerKey: z.string(), traces: z.number().int() });

export const monitoringSummarySchema = z.looseObject({
  format: z.string(),
  tenantId: z.string(),
  generatedAt: ts,
  range: z.object({ from: ts, to: ts }),
  flowsMonitored: z.number().int(),
  evaluations: z.number().int(),
  rechecks: z.looseObject({ evaluations: z.number().int(), days: z.number().int(), byVerdict: z.record(z.string(), z.number().int()) }),
  chainVerification: z.looseObject({ ok: z.boolean() }),
  statements: z.array(z.string()),
});

export const auditRowSchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  entityType: z.string(),
  entityId: z.string(),
  action: z.string(),
  actor: z.string(),
  reason: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
  details: z.unknown(),
  violations: z.array(z.string()).nullable(),
  createdAt: ts,
});
export const auditPageSchema = z.object({ items: z.array(auditRowSchema), nextCursor: z.string().nullable() });

const chainVerdict = z.looseObject({
  ok: z.boolean(),
  rows: z.number().int(),
  legacyRows: z.number().int(),
  firstBrokenId: z.string().nullable(),
  reason: z.string().nullable(),
  breaks: z.array(z.object({ id: z.string().nullable(), seq: z.number().int().nullable(), reason: z.string() })),
  breakCount: z.number().int(),
  breakCounts: z.record(z.string(), z.number().int()),
  anchorLag: z.number().int(),
  anchor: z.object({ seq: z.number().int(), hash: z.string(), signedAt: ts, keyId: z.string(), signatureValid: z.boolean() }).nullable(),
});
export const verifyResultSchema = chainVerdict.extend({ audit: chainVerdict, evaluations: chainVerdict });

export const publicKeySchema = z.object({ algorithm: z.literal("Ed25519"), encoding: z.string(), publicKey: z.string(), keyId: z.string(), signedHeadFormat: z.string() });

export const remediationSchema = z.object({
  id: z.string(),
  flowId: z.string(),
  flowKey: z.string().nullable(),
  evaluationId: z.string(),
  openedByAction: z.string(),
  failingMetrics: z.array(z.string()),
  failingSlices: z.array(z.object({ attribute: z.string().nullable(), group: z.string(), selectionRate: z.number().nullable() })),
  status: z.enum(["open", "in_progress", "resolved", "waived"]),
  owner: z.string().nullable(),
  dueAt: ts.nullable(),
  rootCause: z.enum(ROOT_CAUSES).nullable(),
  notes: z.string().nullable(),
  resolvingEvaluationId: z.string().nullable(),
  overrideId: z.string().nullable(),
  revision: z.number().int(),
  createdAt: ts,
  updatedAt: ts,
  /** The class of the failure that opened it; null on records opened before classes existed. */
  failureClass: z.enum(FAILURE_CLASSES).nullable(),
  /** The tenant's playbook for that class when it was opened. */
  playbook: z.array(z.string()),
});
export const remediationListSchema = list(remediationSchema);

export const alertDeliveryListSchema = list(
  z.object({
    id: z.string(),
    event: z.string(),
    tier: z.string(),
    payload: z.unknown(),
    status: z.enum(["pending", "delivered", "failed", "skipped"]),
    attempts: z.number().int(),
    nextAttemptAt: z.number(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: ts,
    deliveredAt: ts.nullable(),
  }),
);

const tenantRun = z.looseObject({ tenantId: z.string(), status: z.string(), flowsChecked: z.number().int(), evaluations: z.array(z.string()) });
export const recheckReportSchema = z.looseObject({ runKey: z.string(), scheduledTime: ts, tenants: z.array(tenantRun), failedTenants: z.number().int(), alerts: z.unknown() });
/** A daily recheck fanned out over a Worker's queue: one message per tenant, run by the consumer. */
export const recheckEnqueuedSchema = z.object({ runKey: z.string(), enqueued: z.number().int() });
export const sweepReportSchema = z.looseObject({ runKey: z.string(), sweptAt: ts, tenants: z.array(tenantRun.extend({ overrides: z.array(z.string()) })), failedTenants: z.number().int(), alerts: z.unknown(), packed: z.array(z.looseObject({ tenantId: z.string(), status: z.enum(["packed", "failed", "timed_out"]) })).nullable() });
