/**
 * @module http/openapi/request-schemas
 * The zod schemas of every request body and query the routes parse. They live
 * here (not in the route files) so the operation definitions, and through them
 * the typed client, can use them without importing any handler.
 */
import { z } from "zod";
import { alertSettingsSchema } from "../../domain/alerts.js";
import { playbooksSchema } from "../../domain/failure-class.js";
import { attributesSchema, flowDefinitionSchema } from "../../domain/flow.js";
import { tenantSettingsSchema } from "../../domain/policy.js";
import { roleSchema } from "../../domain/roles.js";
import { MAX_ROTATION_GRACE_SECONDS } from "../../services/api-keys.js";

// --- platform: tenants and keys ---------------------------------------------
export const createTenantSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  region: z.string().min(1).max(64).optional(),
});

const expiresAt = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with a time zone" });

export const createKeySchema = z.strictObject({
  principal: z.string().trim().min(1).max(200),
  roles: z.array(roleSchema).min(1).max(5).transform((r) => [...new Set(r)]),
  expiresAt: expiresAt.optional(),
});

export const rotateKeySchema = z.strictObject({
  /** How long the old key keeps working; 0 (the default) ends it now. */
  graceSeconds: z.number().int().min(0).max(MAX_ROTATION_GRACE_SECONDS).default(0),
  /** Expiry of the new key; by default the old key's. */
  expiresAt: expiresAt.optional(),
});

// --- cron ----------------------------------------------------------------------
export const cronQuery = z.object({
  job: z.enum(["fairness-recheck", "expiry-sweep"]).default("fairness-recheck"),
  /** Labels a recheck run (its UTC day); the sweep always judges expiry on the gateway's clock. */
  scheduledTime: z.iso.datetime({ offset: true }).optional(),
});

// --- tenant settings -----------------------------------------------------------
export const settingsBody = tenantSettingsSchema.extend({
  alerts: alertSettingsSchema.nullable().optional(),
  /** Steps per failure class for the remediations a block or pause opens: an object sets them (a class left out keeps its default), null restores the defaults, absent leaves them. */
  remediationPlaybooks: playbooksSchema.nullable().optional(),
});

// --- decision flows ------------------------------------------------------------
export const createFlowSchema = z.strictObject({
  key: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "letters, digits, '.', '_' or '-' (max 128)"),
  name: z.string().trim().min(1).max(200),
  definition: flowDefinitionSchema,
});
export const editFlowSchema = z.strictObject({ definition: flowDefinitionSchema });
export const publishFlowSchema = z.strictObject({ id: z.string().min(1).max(64) });
/** An action without parameters (archive, unarchive): no body, or an empty object. */
export const emptyBodySchema = z.strictObject({});
/** Without `status`, archived flows are left out; `?status=archived` lists them. */
export const flowListQuery = z.object({ status: z.enum(["draft", "active", "paused", "archived"]).optional() });

// --- decisions -----------------------------------------------------------------
export const recommendSchema = z.strictObject({
  customerId: z.string().min(1).max(256),
  decisionFlowKey: z.string().min(1).max(128),
  attributes: attributesSchema.meta({
    description: "Flat scalar attributes (string ≤ 256, finite number, boolean or null); ≤ 200 names, identifiers of ≤ 64 characters.",
    type: "object",
    additionalProperties: { type: ["string", "number", "boolean", "null"] },
  }),
});
export const outcomeSchema = z.strictObject({ traceId: z.string().min(1).max(64), converted: z.boolean() });

// --- fairness overrides --------------------------------------------------------
export const overrideRequestSchema = z.strictObject({
  reason: z.string().trim().min(10, "give a documented reason (at least 10 characters)").max(2000),
  expiresAt: z.iso.datetime({ offset: true }),
  flowId: z.string().min(1).max(64).optional(),
});
export const overrideRevokeSchema = z.strictObject({ reason: z.string().trim().max(2000).optional() });
export const overrideApproveSchema = z.strictObject({});
/** A reject ends the request at the stage that is up; the reason is recorded and audited. */
export const overrideRejectSchema = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
export const overrideListQuery = z.object({ status: z.enum(["pending", "active", "revoked", "rejected"]).optional(), flowId: z.string().max(64).optional() });

// --- evidence --------------------------------------------------------------------
export const evaluationListQuery = z.object({ flowId: z.string().max(64).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) });
/** LL144 bias audit: attribute names and rate (default: the policy's `ll144`), distribution date, small-category exclusion. */
export const ll144Query = z.strictObject({
  sex: z.string().max(64).optional(),
  race: z.string().max(64).optional(),
  /** selection: the trace's `selected`; scoring: its `score` strictly above the window's median score. */
  rate: z.enum(["selection", "scoring"]).optional(),
  distributionDate: z.string().max(64).optional(),
  excludeSmall: z.string().max(2000).optional(),
});
/** A range bound: an ISO date-time with offset, or a bare date (UTC midnight). */
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).transform((s) => new Date(s.length === 10 ? `${s}T00:00:00Z` : s));
/** GET /evidence-pack: the range the pack covers. */
export const rangeQuery = z.strictObject({ from: instant, to: instant });
/** GET /monitoring-summary: the period, and JSON or a self-contained HTML page. */
export const monitoringQuery = z.strictObject({ from: instant, to: instant, format: z.enum(["json", "html"]).default("json") });
export const auditQuery = z.object({
  entityType: z.string().max(64).optional(),
  entityId: z.string().max(64).optional(),
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const remediationListQuery = z.object({
  flowId: z.string().max(64).optional(),
  status: z.enum(["open", "in_progress", "resolved", "waived"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const alertDeliveryQuery = z.object({
  status: z.enum(["pending", "delivered", "failed", "skipped"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

// --- path parameters (documented; the handlers read them as plain strings) ------
export const idParam = z.object({ id: z.string().min(1) });
export const keyIdParam = z.object({ keyId: z.string().min(1) });
/** DELETE /protected-attributes/{customerId}: the person, as the tenant names them in recommend/bulk. */
export const customerIdParam = z.object({ customerId: z.string().min(1).max(256) });
export const tenantKeyParams = z.object({ id: z.string().min(1), keyId: z.string().min(1) });
