/**
 * @module http/openapi/operations-tenant
 * Operation definitions of the tenant API (`Authorization: Bearer <tenant API key>`):
 * keys, settings, flows and the gate, decisions, overrides, evidence, remediations.
 * The roles listed here are the ones the route files enforce (they read them from
 * these definitions).
 */
import { APPROVAL_STAGE_ROLES } from "../../domain/policy.js";
import { remediationPatchSchema } from "../../services/remediation.js";
import { driftReportSchema, driftRequestSchema } from "../../services/drift.js";
import { explanationResponseSchema } from "../../services/explanation.js";
import { whatIfQuerySchema, whatIfRequestSchema, whatIfResultSchema } from "../../services/what-if.js";
import { evaluateRequestSchema } from "../../services/evaluate-request.js";
import { bulkLineSchema } from "../../services/traces.js";
import { defineOperation } from "./define.js";
import { PLATINUM_EXAMPLE } from "./examples.js";
import * as rq from "./request-schemas.js";
import * as rs from "./response-schemas.js";

export const ALL_ROLES = ["operator", "publisher", "admin", "approver", "auditor"] as const;
export const EVIDENCE_READERS = ["publisher", "admin", "approver", "auditor"] as const;
const OVERRIDE_READERS = ["admin", "approver", "auditor", "publisher"] as const;
const FLOW_EXAMPLE = { id: "01J9ZF", key: "nbo-cards", name: "Next best card", status: "draft", version: 1, activeVersion: null, createdAt: "2026-12-01T08:00:00.000Z", updatedAt: "2026-12-01T08:00:00.000Z" };
const OVERRIDE_EXAMPLE = { reason: "Documented exception while the model is retrained", expiresAt: "2026-12-08T00:00:00.000Z", flowId: "01J9ZF" };
const KEY_BODY = { principal: "dave@acme.test", roles: ["operator"] };

export const tenantOperations = {
  listApiKeys: defineOperation({ operationId: "listApiKeys", method: "get", path: "/api/v1/api-keys", tag: "api-keys", summary: "List the tenant's API keys", description: "Never a secret or its hash.", security: "tenant", roles: ["admin"], responses: { 200: { description: "keys", schema: rs.apiKeyListSchema, example: { items: [] } } } }),
  createApiKey: defineOperation({
    operationId: "createApiKey", method: "post", path: "/api/v1/api-keys", tag: "api-keys", summary: "Create an API key",
    description: "For the caller's own tenant; a role the caller does not hold → 403 `role_escalation_forbidden`. The secret is shown once.",
    security: "tenant", roles: ["admin"], body: { schema: rq.createKeySchema, example: KEY_BODY },
    responses: { 201: { description: "the key, with its secret", schema: rs.apiKeyWithSecretSchema } },
    errors: { 400: ["api_key_expiry_invalid"], 403: ["role_escalation_forbidden"], 409: ["constraint_violation"] },
  }),
  revokeApiKey: defineOperation({
    operationId: "revokeApiKey", method: "delete", path: "/api/v1/api-keys/{keyId}", tag: "api-keys", summary: "Revoke an API key", description: "Another tenant's key id → 404.",
    security: "tenant", roles: ["admin"], params: rq.keyIdParam, responses: { 200: { description: "the revoked key", schema: rs.apiKeySchema } },
    errors: { 404: ["not_found"], 409: ["api_key_already_revoked"] },
  }),
  rotateApiKey: defineOperation({
    operationId: "rotateApiKey", method: "post", path: "/api/v1/api-keys/{keyId}/rotate", tag: "api-keys", summary: "Rotate an API key", description: "As the platform route, for the caller's own tenant.",
    security: "tenant", roles: ["admin"], params: rq.keyIdParam, body: { schema: rq.rotateKeySchema, optional: true, example: { graceSeconds: 0 } },
    responses: { 201: { description: "the new key and the replaced one", schema: rs.rotatedKeySchema } },
    errors: { 400: ["api_key_expiry_invalid"], 403: ["role_escalation_forbidden"], 404: ["not_found"], 409: ["api_key_not_active", "constraint_violation"] },
  }),
  getTenantSettings: defineOperation({
    operationId: "getTenantSettings", method: "get", path: "/api/v1/tenant-settings", tag: "settings", summary: "Read the fairness policy and alert webhook", description: "The webhook secret is never returned (`secretSet`).",
    security: "tenant", roles: ["admin", "approver", "auditor"], responses: { 200: { description: "settings", schema: rs.tenantSettingsResponseSchema, example: { fairnessPolicy: null, alerts: null } } },
  }),
  putTenantSettings: defineOperation({
    operationId: "putTenantSettings", method: "put", path: "/api/v1/tenant-settings", tag: "settings", summary: "Replace the fairness policy",
    description: "Strict schema (unknown keys → 400 naming them). `alerts`: an object sets the webhook, null removes it, absent leaves it. `remediationPlaybooks` (steps per failure class): an object sets them (a class left out keeps its default), null restores the defaults, absent leaves them. An inline `override` becomes a pending override request. Policy, webhook, audit rows and override commit in one batch.",
    security: "tenant", roles: ["admin"],
    body: { schema: rq.settingsBody, example: { fairnessPolicy: { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8, demographicParityGap: 0.2 }, minSampleSize: 100, windowDays: 7, continuousRecheck: true } } },
    responses: { 200: { description: "the stored settings", schema: rs.tenantSettingsPutResponseSchema } },
    errors: { 400: ["override_expiry_invalid"], 404: ["not_found"], 409: ["constraint_violation"] },
  }),
  createFlow: defineOperation({
    operationId: "createFlow", method: "post", path: "/api/v1/decision-flows", tag: "decision-flows", summary: "Create a decision flow", description: "A draft, version 1.",
    security: "tenant", roles: ["publisher"], body: { schema: rq.createFlowSchema, example: { key: "nbo-cards", name: "Next best card", definition: PLATINUM_EXAMPLE } },
    responses: { 201: { description: "the draft", schema: rs.flowSchema, example: FLOW_EXAMPLE } },
    errors: { 409: ["constraint_violation"] },
  }),
  listFlows: defineOperation({
    operationId: "listFlows", method: "get", path: "/api/v1/decision-flows", tag: "decision-flows", summary: "List decision flows", description: "Optionally by status; archived flows only with `?status=archived`.",
    security: "tenant", roles: ALL_ROLES, query: rq.flowListQuery, responses: { 200: { description: "flows", schema: rs.flowListSchema, example: { items: [FLOW_EXAMPLE] } } },
  }),
  getFlow: defineOperation({
    operationId: "getFlow", method: "get", path: "/api/v1/decision-flows/{id}", tag: "decision-flows", summary: "Read a decision flow", description: "With its latest definition.",
    security: "tenant", roles: ALL_ROLES, params: rq.idParam, responses: { 200: { description: "the flow", schema: rs.flowSchema, example: { ...FLOW_EXAMPLE, definition: PLATINUM_EXAMPLE } } },
    errors: { 404: ["not_found"] },
  }),
  editFlow: defineOperation({
    operationId: "editFlow", method: "put", path: "/api/v1/decision-flows/{id}", tag: "decision-flows", summary: "Edit a decision flow", description: "A new draft version; the active version keeps serving.",
    security: "tenant", roles: ["publisher"], params: rq.idParam, body: { schema: rq.editFlowSchema, example: { definition: PLATINUM_EXAMPLE } },
    responses: { 200: { description: "the flow", schema: rs.flowSchema } }, errors: { 404: ["not_found"], 409: ["flow_archived", "flow_modified", "constraint_violation"] },
  }),
  publishFlow: defineOperation({
    operationId: "publishFlow", method: "post", path: "/api/v1/decision-flows/publish", tag: "decision-flows", summary: "Publish a flow through the fairness gate",
    description: "Evaluates the tenant's policy over the flow's recent traces. Pass, skip or bypass (an approved, unexpired override) → 200 active; a breach → 422 `fairness_gate_blocked` with violations, metrics, groups and evaluationId. Under the policy's `enforcement: \"shadow\"` a breach is recorded, audited and alerted the same and the publish succeeds (200 with `wouldBlock: true`). An archived flow → 409 `flow_archived`. Any infrastructure error → 503, flow unchanged.",
    security: "tenant", roles: ["publisher"], body: { schema: rq.publishFlowSchema, example: { id: "01J9ZF" } },
    responses: { 200: { description: "published", schema: rs.publishResultSchema } },
    errors: { 404: ["not_found"], 409: ["flow_archived", "flow_modified", "constraint_violation"], 422: ["fairness_gate_blocked"] },
  }),
  archiveFlow: defineOperation({
    operationId: "archiveFlow", method: "post", path: "/api/v1/decision-flows/{id}/archive", tag: "decision-flows", summary: "Archive a decision flow",
    description: "Any status; audited. An archived flow serves nothing (recommend → 409 `flow_not_active`), is skipped by the recheck and the expiry sweep, keeps its versions, traces and evaluations, and is left out of the default list (`?status=archived` lists it). It cannot be edited or published (409 `flow_archived`); an active flow is stopped at once and stays paused when unarchived.",
    security: "tenant", roles: ["publisher"], params: rq.idParam, body: { schema: rq.emptyBodySchema, optional: true, example: {} },
    responses: { 200: { description: "archived", schema: rs.flowSchema, example: { ...FLOW_EXAMPLE, status: "archived" } } },
    errors: { 404: ["not_found"], 409: ["flow_archived", "flow_modified"] },
  }),
  unarchiveFlow: defineOperation({
    operationId: "unarchiveFlow", method: "post", path: "/api/v1/decision-flows/{id}/unarchive", tag: "decision-flows", summary: "Unarchive a decision flow",
    description: "Back to `draft`, or `paused` if it was ever published: serving again takes a publish through the gate. Audited. Not archived → 409 `flow_not_archived`.",
    security: "tenant", roles: ["publisher"], params: rq.idParam, body: { schema: rq.emptyBodySchema, optional: true, example: {} },
    responses: { 200: { description: "unarchived", schema: rs.flowSchema, example: { ...FLOW_EXAMPLE, status: "paused", activeVersion: 1 } } },
    errors: { 404: ["not_found"], 409: ["flow_not_archived", "flow_modified"] },
  }),
  flowDrift: defineOperation({
    operationId: "flowDrift", method: "post", path: "/api/v1/decision-flows/{id}/drift", tag: "decision-flows", summary: "Feature drift between two windows of a flow's traces",
    description: "Per request attribute: the population stability index (bins: categorical values, or the reference window's deciles for numbers; proportions floored at 1e-4), band `none` (< 0.1), `monitor` (0.1–0.25) or `alert` (≥ 0.25), and for numeric attributes the two-sample Kolmogorov–Smirnov D with its p-value (exact for n·m ≤ 2500, else asymptotic). Verdict `alert` when any PSI ≥ 0.25 or a KS test has p < 0.05 with D > 0.1. Windows are half-open [from, to), at most 366 days; at most 20,000 traces per window are compared (a seeded, even sample above that). Read-only: drift never pauses a flow.",
    security: "tenant", roles: ["publisher", "auditor"], params: rq.idParam,
    body: { schema: driftRequestSchema, example: { referenceFrom: "2026-11-01T00:00:00Z", referenceTo: "2026-11-15T00:00:00Z", currentFrom: "2026-11-24T00:00:00Z", currentTo: "2026-12-01T00:00:00Z", attributes: ["income", "tier"] } },
    responses: { 200: { description: "the drift report", schema: driftReportSchema } },
    errors: { 404: ["not_found"] },
  }),
  flowWhatIf: defineOperation({
    operationId: "flowWhatIf", method: "post", path: "/api/v1/decision-flows/{id}/what-if", tag: "decision-flows", summary: "What would pass, and at what cost",
    description: "Single changes to the flow's latest version (or `version`) that make the policy pass on the current window: zero one weight, drop one eligibility rule, or a new global `minPropensity` for one offer (a one-dimensional search). Each is judged by the publish gate itself on what a publish of it would see (the window's observed slices plus the changed version replayed on the same seeded sample of recorded requests; no override) and carries its verdict, violations, replayed metrics and utility (selected, observed conversions kept, expected conversions from the flow's own propensities, each with its change against the version as it is), ordered by smallest utility loss. Thresholds per group of a protected attribute are never suggested and cannot be applied (disparate treatment). Nothing is stored but a `what_if` audit row. `?apply=true` with `change` (one suggestion's `change`) creates a new draft version from it (201; the edit's audit row records the change); publishing it still goes through the gate. Shares the per-key bucket of the bulk loads.",
    security: "tenant", roles: ["publisher", "admin"], params: rq.idParam, query: whatIfQuerySchema, rateLimited: true,
    body: { schema: whatIfRequestSchema, optional: true, example: { version: 2 } },
    responses: { 200: { description: "the suggestions", schema: whatIfResultSchema }, 201: { description: "`apply=true`: the change applied as a new draft version", schema: whatIfResultSchema } },
    errors: { 400: ["what_if_change_invalid", "what_if_change_required", "what_if_change_unexpected"], 404: ["not_found"], 409: ["fairness_policy_disabled", "flow_archived", "flow_modified"] },
  }),
  recommend: defineOperation({
    operationId: "recommend", method: "post", path: "/api/v1/recommend", tag: "decisions", summary: "Decide: run the active flow version",
    description: "The decision trace is durable before the 200. Unknown flow → 404; not active → 409 `flow_not_active`.",
    security: "tenant", roles: ["operator"], rateLimited: true,
    body: { schema: rq.recommendSchema, example: { customerId: "c-1", decisionFlowKey: "nbo-cards", attributes: { tier: "gold", income: 90000, ageBand: "25-34" } } },
    responses: { 200: { description: "the decision", schema: rs.recommendResultSchema, example: { traceId: "01J9ZT", decisionFlowKey: "nbo-cards", version: 1, selected: true, offers: [{ id: "platinum-card", propensity: 0.67 }] } } },
    errors: { 400: ["attribute_type_mismatch"], 404: ["not_found"], 409: ["flow_not_active"] },
  }),
  recordOutcome: defineOperation({
    operationId: "recordOutcome", method: "post", path: "/api/v1/outcomes", tag: "decisions", summary: "Record a decision's outcome", description: "Idempotent for the same outcome; a different one → 409 `outcome_conflict`.",
    security: "tenant", roles: ["operator"], rateLimited: true, body: { schema: rq.outcomeSchema, example: { traceId: "01J9ZT", converted: true } },
    responses: { 200: { description: "recorded", schema: rs.outcomeResultSchema } }, errors: { 404: ["not_found"], 409: ["outcome_conflict"] },
  }),
  bulkTraces: defineOperation({
    operationId: "bulkTraces", method: "post", path: "/api/v1/decision-traces/bulk", tag: "decisions", summary: "Back-fill decision traces (NDJSON)",
    description: "One JSON object per line (the schema below is one line). All or nothing: bad lines → 400 `bulk_invalid_lines` naming their numbers.",
    security: "tenant", roles: ["operator"], rateLimited: true,
    body: { schema: bulkLineSchema, contentType: "application/x-ndjson", example: '{"decisionFlowKey":"nbo-cards","customerId":"c-1","attributes":{"ageBand":"65+"},"selected":false}\n' },
    responses: { 201: { description: "loaded", schema: rs.bulkResultSchema, example: { accepted: 1 } } },
    errors: { 400: ["bulk_invalid_lines", "bulk_empty", "invalid_text"], 404: ["not_found"], 413: ["bulk_too_many_lines"] },
  }),
  packTraces: defineOperation({
    operationId: "packTraces", method: "post", path: "/api/v1/decision-traces/pack", tag: "decisions", summary: "Pack traces into columnar segments", description: "Packs complete past days, the current day's traces older than 5 minutes once there are 1,024 of them, and merges the consecutive small segments of complete days that were packed in pieces. A step that loses a race (another packer, an outcome or an erasure meanwhile) changes nothing and is counted in `conflicts`. Also run by the 15-minute sweep and the daily job.",
    security: "tenant", roles: ["operator", "admin"], responses: { 200: { description: "packed", schema: rs.packResultSchema, example: { segments: 0, traces: 0, compactedDays: 0, conflicts: 0 } } }, errors: { 409: ["constraint_violation", "segment_pack_conflict"] },
  }),
  explainTrace: defineOperation({
    operationId: "explainTrace", method: "get", path: "/api/v1/decision-traces/{id}/explanation", tag: "decisions", summary: "The reasons behind a decision",
    description: "Re-runs the flow version that served the trace on the stored request: per offer, eligible or not and the first failed rule, the propensity, its score terms (intercept, numeric weight × value, categorical weight) sorted by effect, and minPropensity; for a declined customer up to four principal reasons in plain words, most important first. `reproduced` says whether the re-run gives the recorded decision. Privacy mode: protected attributes are used in the re-run but their values are withheld (`withheld: true`).",
    security: "tenant", roles: ["operator", "auditor"], params: rq.idParam,
    responses: { 200: { description: "the explanation", schema: explanationResponseSchema } },
    errors: { 404: ["not_found"] },
  }),
  requestOverride: defineOperation({
    operationId: "requestOverride", method: "post", path: "/api/v1/fairness-overrides", tag: "overrides", summary: "Request a fairness override", description: "A pending request; expiry within 90 days. Its approval stages (the policy's `overrideApprovals`, default one approver) must each approve it, in order, by different people.",
    security: "tenant", roles: ["admin"], body: { schema: rq.overrideRequestSchema, example: OVERRIDE_EXAMPLE },
    responses: { 201: { description: "pending", schema: rs.overrideSchema } }, errors: { 400: ["override_expiry_invalid"], 404: ["not_found"] },
  }),
  listOverrides: defineOperation({ operationId: "listOverrides", method: "get", path: "/api/v1/fairness-overrides", tag: "overrides", summary: "List overrides", description: "By status and flow.", security: "tenant", roles: OVERRIDE_READERS, query: rq.overrideListQuery, responses: { 200: { description: "overrides", schema: rs.overrideListSchema, example: { items: [] } } } }),
  getOverride: defineOperation({ operationId: "getOverride", method: "get", path: "/api/v1/fairness-overrides/{id}", tag: "overrides", summary: "Read an override", description: "One override request and its trail.", security: "tenant", roles: OVERRIDE_READERS, params: rq.idParam, responses: { 200: { description: "the override", schema: rs.overrideSchema } }, errors: { 404: ["not_found"] } }),
  approveOverride: defineOperation({
    operationId: "approveOverride", method: "post", path: "/api/v1/fairness-overrides/{id}/approve", tag: "overrides", summary: "Approve the override's current stage",
    description: "Decides the stage that is up (`currentStage`; the policy's `overrideApprovals`, default one `approver` stage, fixed when requested). Each stage by a holder of its role (else 403 `missing_role`) who is not the requester (403 `self_approval_forbidden`) nor an earlier stage's approver (403 `repeat_approver_forbidden`). The last stage's approval makes the override active until `expiresAt`; `approvedBy` comes from the key. Audited per stage.",
    security: "tenant", roles: APPROVAL_STAGE_ROLES, params: rq.idParam, body: { schema: rq.overrideApproveSchema, optional: true, example: {} },
    responses: { 200: { description: "the next stage is up, or active", schema: rs.overrideSchema } }, errors: { 403: ["self_approval_forbidden", "repeat_approver_forbidden"], 404: ["not_found"], 409: ["override_not_pending", "override_expired"] },
  }),
  rejectOverride: defineOperation({
    operationId: "rejectOverride", method: "post", path: "/api/v1/fairness-overrides/{id}/reject", tag: "overrides", summary: "Reject an override at its current stage",
    description: "Ends the pending request as `rejected` with the reason, at whichever stage is up; decided under the same rules as an approval (the stage's role, not the requester, not an earlier approver). Audited.",
    security: "tenant", roles: APPROVAL_STAGE_ROLES, params: rq.idParam, body: { schema: rq.overrideRejectSchema, example: { reason: "The exception is not justified by the data" } },
    responses: { 200: { description: "rejected", schema: rs.overrideSchema } }, errors: { 403: ["self_approval_forbidden", "repeat_approver_forbidden"], 404: ["not_found"], 409: ["override_not_pending"] },
  }),
  revokeOverride: defineOperation({
    operationId: "revokeOverride", method: "post", path: "/api/v1/fairness-overrides/{id}/revoke", tag: "overrides", summary: "Revoke an override", description: "A pending or active one.",
    security: "tenant", roles: ["admin"], params: rq.idParam, body: { schema: rq.overrideRevokeSchema, optional: true, example: { reason: "model retrained" } },
    responses: { 200: { description: "revoked", schema: rs.overrideSchema } }, errors: { 404: ["not_found"], 409: ["override_already_revoked", "override_rejected"] },
  }),
  listEvaluations: defineOperation({ operationId: "listEvaluations", method: "get", path: "/api/v1/fairness-evaluations", tag: "evidence", summary: "List gate evaluations", description: "Every stored publish and recheck evaluation.", security: "tenant", roles: EVIDENCE_READERS, query: rq.evaluationListQuery, responses: { 200: { description: "evaluations", schema: rs.evaluationListSchema, example: { items: [] } } } }),
  getEvaluation: defineOperation({ operationId: "getEvaluation", method: "get", path: "/api/v1/fairness-evaluations/{id}", tag: "evidence", summary: "Read a gate evaluation", description: "Policy snapshot, window, metrics, groups, verdict, violations.", security: "tenant", roles: EVIDENCE_READERS, params: rq.idParam, responses: { 200: { description: "the evaluation", schema: rs.evaluationResponseSchema } }, errors: { 404: ["not_found"] } }),
  evaluateFairness: defineOperation({
    operationId: "evaluateFairness", method: "post", path: "/api/v1/fairness/evaluate", tag: "evidence", summary: "Evaluate inline samples or a trace join",
    description:
      "The gate's evaluation (the same slices, kernels, `decideGate` and evaluation shape as publish, recheck and `fairgate check`) of rows the caller brings. `mode: \"inline\"`: up to 100,000 `samples`, each with `group` (the policy's primary attribute) or `groups` (attribute → value), `decision` 0/1, optional `label` 0/1 and `score` in [0, 1]; more samples → 413 `evaluate_too_many_samples`. `mode: \"trace-join\"`: the flow's recorded traces in [`from`, `to`) joined on customerId with `groupLookup` (and `labelLookup`, which then replaces the recorded outcomes); traces of customers missing from the lookup are not usable and counted in `input.withoutGroup`. `policy` omitted: the tenant's policy; given: parsed with the tenant policy's schema (unknown keys → 400 with the zod issues). **The samples, customerIds and lookups are not stored**: only the aggregates, as an evaluation with trigger `evaluate` (no flowId, so it never becomes a flow's baseline or latest verdict; `GET /fairness-evaluations/{id}` and its reports read it) and one `fairness_evaluate` audit row, in one chained batch. No flow, override or remediation changes. The body limit is `FAIRGATE_EVALUATE_MAX_BYTES` (default 16 MiB; the general JSON limit does not apply). Shares the per-key bucket of the bulk loads.",
    security: "tenant", roles: ["publisher", "admin", "auditor"], rateLimited: true,
    body: {
      schema: evaluateRequestSchema,
      example: { mode: "inline", samples: [{ group: "F", decision: 1, label: 1 }, { group: "M", decision: 0, label: 1, score: 0.31 }, { groups: { sex: "F", race: "B" }, decision: 1 }] },
    },
    responses: { 201: { description: "the stored evaluation and its id", schema: rs.evaluateResultSchema } },
    errors: { 400: ["evaluate_too_many_groups"], 404: ["not_found"], 409: ["fairness_policy_disabled"], 413: ["evaluate_too_many_samples"] },
  }),
  getEvaluationReportJson: defineOperation({ operationId: "getEvaluationReportJson", method: "get", path: "/api/v1/fairness-evaluations/{id}/report.json", tag: "evidence", summary: "An evaluation's audit report (JSON)", description: "Summary, provenance hashes, per-slice tables with intervals, override trail.", security: "tenant", roles: EVIDENCE_READERS, params: rq.idParam, responses: { 200: { description: "the report", schema: rs.reportSchema } }, errors: { 404: ["not_found"] } }),
  getEvaluationReportHtml: defineOperation({ operationId: "getEvaluationReportHtml", method: "get", path: "/api/v1/fairness-evaluations/{id}/report.html", tag: "evidence", summary: "An evaluation's audit report (HTML)", description: "One self-contained page (inline CSS and SVG, no scripts).", security: "tenant", roles: EVIDENCE_READERS, params: rq.idParam, responses: { 200: { description: "HTML", contentType: "text/html; charset=UTF-8", example: "<!doctype html>…" } }, errors: { 404: ["not_found"] } }),
  getLl144AuditJson: defineOperation({ operationId: "getLl144AuditJson", method: "get", path: "/api/v1/fairness-evaluations/{id}/ll144.json", tag: "evidence", summary: "NYC Local Law 144 bias audit (JSON)", description: "Selection or scoring rates and impact ratios per sex, race/ethnicity and their intersection over the evaluation's window; attributes from `?sex=&race=` or the policy's `ll144`.", security: "tenant", roles: EVIDENCE_READERS, params: rq.idParam, query: rq.ll144Query, responses: { 200: { description: "the audit", schema: rs.ll144AuditSchema } }, errors: { 404: ["not_found"] } }),
  getEvaluationReportPdf: defineOperation({ operationId: "getEvaluationReportPdf", method: "get", path: "/api/v1/fairness-evaluations/{id}/report.pdf", tag: "evidence", summary: "An evaluation's audit report (PDF)", description: "The report.html page printed to A4 by headless Chromium, offered as a download (`Content-Disposition: attachment`). Only where the runtime has a renderer (Node with Chromium, see docs/deployment.md#pdf-reports); elsewhere 501 `pdf_unavailable`. Renders run a few at a time; one that does not finish within `FAIRGATE_PDF_TIMEOUT_MS` (waiting included) is 503 `pdf_timeout`, a browser failure 503 `pdf_render_failed`.", security: "tenant", roles: EVIDENCE_READERS, params: rq.idParam, responses: { 200: { description: "PDF", contentType: "application/pdf", example: "(binary)" } }, errors: { 404: ["not_found"], 501: ["pdf_unavailable"], 503: ["pdf_timeout", "pdf_render_failed"] } }),
  getLl144AuditHtml: defineOperation({ operationId: "getLl144AuditHtml", method: "get", path: "/api/v1/fairness-evaluations/{id}/ll144.html", tag: "evidence", summary: "NYC Local Law 144 bias audit (HTML)", description: "The same audit as a self-contained page.", security: "tenant", roles: EVIDENCE_READERS, params: rq.idParam, query: rq.ll144Query, responses: { 200: { description: "HTML", contentType: "text/html; charset=UTF-8", example: "<!doctype html>…" } }, errors: { 404: ["not_found"] } }),
  listAuditLog: defineOperation({ operationId: "listAuditLog", method: "get", path: "/api/v1/audit-log", tag: "evidence", summary: "Page through the audit log", description: "Append-only; `nextCursor` pages on (null at the end).", security: "tenant", roles: EVIDENCE_READERS, query: rq.auditQuery, responses: { 200: { description: "a page", schema: rs.auditPageSchema, example: { items: [], nextCursor: null } } }, errors: { 400: ["invalid_cursor"] } }),
  verifyAuditLog: defineOperation({ operationId: "verifyAuditLog", method: "get", path: "/api/v1/audit-log/verify", tag: "evidence", summary: "Verify both hash chains", description: "Walks the audit and evaluation chains to the end against their signed anchors and reports every break with counts.", security: "tenant", roles: EVIDENCE_READERS, responses: { 200: { description: "the verdict", schema: rs.verifyResultSchema } } }),
  exportAuditLog: defineOperation({ operationId: "exportAuditLog", method: "get", path: "/api/v1/audit-log/export", tag: "evidence", summary: "Export the evidence (NDJSON)", description: "Rows with hashes and the signed chain heads (`fairgate-evidence/2`), verifiable offline with `fairgate verify FILE --public-key KEY`.", security: "tenant", roles: EVIDENCE_READERS, responses: { 200: { description: "NDJSON stream", contentType: "application/x-ndjson; charset=utf-8", example: '{"format":"fairgate-evidence/2",…}\n' } } }),
  getEvidencePack: defineOperation({ operationId: "getEvidencePack", method: "get", path: "/api/v1/evidence-pack", tag: "evidence", summary: "The evidence pack of a range (ZIP)", description: "Audit rows, evaluations, reports, signed chain heads and a manifest of hashes for `from`..`to` (ISO date-times or dates), verifiable offline with `fairgate verify PACK.zip`. Generating one is itself audited.", security: "tenant", roles: ["auditor", "admin"], query: rq.rangeQuery, responses: { 200: { description: "ZIP", contentType: "application/zip", example: "(binary)" } }, errors: { 409: ["constraint_violation"] } }),
  getMonitoringSummary: defineOperation({
    operationId: "getMonitoringSummary", method: "get", path: "/api/v1/monitoring-summary", tag: "evidence", summary: "Post-market monitoring summary of a period",
    description: "EU AI Act post-market monitoring: flows monitored, rechecks and outcomes, pauses, overrides, remediations, retention deletions, a fresh verification of both chains, and the same in sentences. `format=html` answers a self-contained page.",
    security: "tenant", roles: ["admin", "approver", "auditor"], query: rq.monitoringQuery,
    responses: { 200: { description: "the summary (JSON, or HTML with format=html)", schema: rs.monitoringSummarySchema, alternatives: ["text/html; charset=UTF-8"] } },
  }),
  eraseProtectedAttributes: defineOperation({
    operationId: "eraseProtectedAttributes", method: "delete", path: "/api/v1/protected-attributes/{customerId}", tag: "evidence", summary: "Erase one person's protected attributes",
    description: "Privacy mode (`sensitiveAttributeStorage: \"separate\"`): deletes the person's stored sensitive attributes; later evaluations no longer count them, stored evaluations keep their aggregates. Audited under the pseudonymous customer key, never the customerId. Admin only.",
    security: "tenant", roles: ["admin"], params: rq.customerIdParam,
    responses: { 200: { description: "what was erased", schema: rs.erasureSchema, example: { erased: true, customerKey: "9f2c…", traces: 3 } } },
  }),
  getEvidencePublicKey: defineOperation({ operationId: "getEvidencePublicKey", method: "get", path: "/api/v1/evidence/public-key", tag: "evidence", summary: "The evidence signing public key", description: "Ed25519, raw 32 bytes as base64url, with its key id; the same for every tenant.", security: "tenant", roles: ALL_ROLES, responses: { 200: { description: "the key", schema: rs.publicKeySchema } } }),
  listRemediations: defineOperation({ operationId: "listRemediations", method: "get", path: "/api/v1/remediations", tag: "remediations", summary: "List remediation records", description: "Opened by a block or auto-pause, with the failure's class (`insufficient_data`, `direct_use`, `label_gap`, `threshold`, `model`) and a copy of the tenant's playbook for it.", security: "tenant", roles: EVIDENCE_READERS, query: rq.remediationListQuery, responses: { 200: { description: "records", schema: rs.remediationListSchema, example: { items: [] } } } }),
  getRemediation: defineOperation({ operationId: "getRemediation", method: "get", path: "/api/v1/remediations/{id}", tag: "remediations", summary: "Read a remediation record", description: "Owner, due date, root cause, notes, status; the failure class and playbook it was opened with.", security: "tenant", roles: EVIDENCE_READERS, params: rq.idParam, responses: { 200: { description: "the record", schema: rs.remediationSchema } }, errors: { 404: ["not_found"] } }),
  updateRemediation: defineOperation({
    operationId: "updateRemediation", method: "patch", path: "/api/v1/remediations/{id}", tag: "remediations", summary: "Work on a remediation", description: "`resolved` only with a later passing evaluation of the flow, `waived` only with an approved override; a closed record no longer changes.",
    security: "tenant", roles: ["publisher", "admin"], params: rq.idParam, body: { schema: remediationPatchSchema, example: { status: "in_progress", owner: "bob@acme.test" } },
    responses: { 200: { description: "the record", schema: rs.remediationSchema } },
    errors: { 400: ["remediation_evidence_missing", "remediation_evidence_unexpected"], 404: ["not_found"], 409: ["remediation_closed", "remediation_transition_invalid", "remediation_evidence_invalid", "remediation_modified"] },
  }),
  listAlertDeliveries: defineOperation({ operationId: "listAlertDeliveries", method: "get", path: "/api/v1/alert-deliveries", tag: "alerts", summary: "The alert delivery log", description: "Every queued alert with payload, attempts, last status or error.", security: "tenant", roles: ["admin", "approver", "auditor"], query: rq.alertDeliveryQuery, responses: { 200: { description: "deliveries", schema: rs.alertDeliveryListSchema, example: { items: [] } } } }),
};
