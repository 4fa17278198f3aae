/**
 * @module services/governance
 * Tenant settings and the override workflow: an admin requests; the approval
 * stages of the tenant's policy (`overrideApprovals`, default one approver stage)
 * are decided in order, each by a person holding the stage's role who is neither
 * the requester nor an earlier approver; a reject at any stage ends the request,
 * the last approval makes it active. Overrides expire and can be revoked. Every
 * decision is an audit row in the decision's own batch.
 */
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../domain/errors.js";
import { approvalStagesOf, enforcementOf, type FairnessPolicy, type InlineOverride } from "../domain/policy.js";
import type { OverrideRecord, OverrideWithDecisions, StageDecision } from "../store/tenant/governance.js";
import type { TenantStore } from "../store/tenant-store.js";
import type { InStatement } from "../store/sql.js";
import { withActor } from "./audit.js";
import type { Actor, ServiceDeps } from "./context.js";
import { writeWithEffects } from "./effects.js";

/** Longest exception a request may ask for: overrides are meant to be short-lived. */
export const MAX_OVERRIDE_DAYS = 90;

export interface OverrideRequest {
  reason: string;
  expiresAt: string;
  flowId?: string | undefined;
}

async function overrideRequestStmts(
  deps: ServiceDeps,
  store: TenantStore,
  actor: Actor,
  req: OverrideRequest,
  via: string,
  policy: FairnessPolicy | null,
): Promise<{ record: OverrideWithDecisions; stmts: InStatement[] }> {
  const now = deps.clock();
  const exp = Date.parse(req.expiresAt);
  if (!(exp > now.getTime())) throw new ValidationError("expiresAt must be in the future", {}, "override_expiry_invalid");
  if (exp - now.getTime() > MAX_OVERRIDE_DAYS * 86_400_000)
    throw new ValidationError(`expiresAt must be within ${MAX_OVERRIDE_DAYS} days`, {}, "override_expiry_invalid");
  if (req.flowId && !(await store.flows.get(req.flowId))) throw new NotFoundError("decision flow");
  const stages = approvalStagesOf(policy);
  const record: OverrideWithDecisions = {
    id: deps.newId(),
    flowId: req.flowId ?? null,
    reason: req.reason,
    expiresAt: new Date(exp).toISOString(),
    status: "pending",
    requestedBy: actor.name,
    requestedAt: now.toISOString(),
    approvedBy: null,
    approvedAt: null,
    revokedBy: null,
    revokedAt: null,
    revokeReason: null,
    // The stages are fixed when requested: a later policy change does not move a request's goalposts.
    stages,
    rejectedBy: null,
    rejectedAt: null,
    rejectReason: null,
    decisions: [],
    currentStage: { ...stages[0]!, index: 0 },
  };
  const stmts = [
    store.governance.insertOverrideStmt(record),
    store.evidence.auditStmt(
      deps.newId(),
      {
        entityType: "fairness_override",
        entityId: record.id,
        action: "override_request",
        actor: actor.name,
        reason: record.reason,
        after: { status: "pending", flowId: record.flowId, expiresAt: record.expiresAt, stages },
        details: withActor({ via }, actor),
      },
      record.requestedAt,
    ),
  ];
  return { record, stmts };
}

/** Requests an override (pending until every approval stage approved it). */
export async function requestOverride(deps: ServiceDeps, store: TenantStore, actor: Actor, req: OverrideRequest): Promise<OverrideWithDecisions> {
  const { record, stmts } = await overrideRequestStmts(deps, store, actor, req, "fairness-overrides", await store.governance.getPolicy());
  await writeWithEffects(store, stmts);
  return record;
}

/**
 * The checks every stage decision makes, in the order a caller should hear them:
 * unknown → 404, holding none of the request's stage roles → 403 (as the route's role
 * check did before stages), the requester → 403, not pending → 409, an earlier
 * approver → 403, without the role of the stage that is up → 403. Returns the
 * override and that stage.
 */
async function stageToDecide(store: TenantStore, actor: Actor, roles: readonly string[], id: string) {
  const o = await store.governance.getOverride(id);
  if (!o) throw new NotFoundError("fairness override");
  const stageRoles = [...new Set(o.stages.map((s) => s.role))];
  if (!stageRoles.some((r) => roles.includes(r))) throw new ForbiddenError("missing_role", `This override's stages are decided by the roles: ${stageRoles.join(", ")}.`);
  if (o.requestedBy === actor.name) throw new ForbiddenError("self_approval_forbidden", "An override must be decided by a different person than the one who requested it.");
  if (o.status !== "pending" || !o.currentStage) throw new ConflictError("override_not_pending", `The override is ${o.status}, not pending.`);
  if (o.decisions.some((d) => d.decidedBy === actor.name))
    throw new ForbiddenError("repeat_approver_forbidden", "Each approval stage must be decided by a different person than every earlier stage.");
  const stage = o.currentStage;
  if (!roles.includes(stage.role)) throw new ForbiddenError("missing_role", `Stage "${stage.stage}" of this override is decided by the role ${stage.role}.`);
  return { o, stage };
}

/**
 * Approves the stage of a pending override that is up. The approver is always the
 * authenticated caller; the last stage's approval makes the override active.
 */
export async function approveOverride(deps: ServiceDeps, store: TenantStore, actor: Actor, id: string, roles: readonly string[] = ["approver"]): Promise<OverrideWithDecisions> {
  const { o, stage } = await stageToDecide(store, actor, roles, id);
  const now = deps.clock();
  if (Date.parse(o.expiresAt) <= now.getTime()) throw new ConflictError("override_expired", "The override has already expired.");
  const at = now.toISOString();
  const final = stage.index === o.stages.length - 1;
  const decision: StageDecision = { stageIndex: stage.index, stage: stage.stage, role: stage.role, decision: "approve", decidedBy: actor.name, reason: null, decidedAt: at };
  const next = final ? null : o.stages[stage.index + 1]!;
  await writeWithEffects(
    store,
    [
      ...store.governance.decideStageStmts(id, decision, final),
      store.evidence.auditStmt(
        deps.newId(),
        {
          entityType: "fairness_override",
          entityId: id,
          action: "override_approve",
          actor: actor.name,
          reason: o.reason,
          before: { status: o.status, stage: stage.stage },
          after: final ? { status: "active", approvedBy: actor.name, expiresAt: o.expiresAt } : { status: "pending", nextStage: next!.stage },
          details: withActor({ requestedBy: o.requestedBy, stage: stage.stage, stageIndex: stage.index, stages: o.stages.length, role: stage.role }, actor),
        },
        at,
      ),
    ],
    "override_not_pending",
  );
  const decisions = [...o.decisions, decision];
  if (final) return { ...o, status: "active", approvedBy: actor.name, approvedAt: at, decisions, currentStage: null };
  return { ...o, decisions, currentStage: { ...next!, index: stage.index + 1 } };
}

/** Rejects a pending override at the stage that is up: the request ends as rejected, with the reason. */
export async function rejectOverride(deps: ServiceDeps, store: TenantStore, actor: Actor, id: string, reason: string, roles: readonly string[] = ["approver"]): Promise<OverrideWithDecisions> {
  const { o, stage } = await stageToDecide(store, actor, roles, id);
  const at = deps.clock().toISOString();
  const decision: StageDecision = { stageIndex: stage.index, stage: stage.stage, role: stage.role, decision: "reject", decidedBy: actor.name, reason, decidedAt: at };
  await writeWithEffects(
    store,
    [
      ...store.governance.decideStageStmts(id, decision, false),
      store.evidence.auditStmt(
        deps.newId(),
        {
          entityType: "fairness_override",
          entityId: id,
          action: "override_reject",
          actor: actor.name,
          reason,
          before: { status: o.status, stage: stage.stage },
          after: { status: "rejected", rejectedBy: actor.name },
          details: withActor({ requestedBy: o.requestedBy, stage: stage.stage, stageIndex: stage.index, stages: o.stages.length, role: stage.role }, actor),
        },
        at,
      ),
    ],
    "override_not_pending",
  );
  return { ...o, status: "rejected", rejectedBy: actor.name, rejectedAt: at, rejectReason: reason, decisions: [...o.decisions, decision], currentStage: null };
}

/** Revokes a pending or active override. */
export async function revokeOverride(deps: ServiceDeps, store: TenantStore, actor: Actor, id: string, reason: string | null): Promise<OverrideWithDecisions> {
  const o = await store.governance.getOverride(id);
  if (!o) throw new NotFoundError("fairness override");
  if (o.status === "revoked") throw new ConflictError("override_already_revoked", "The override is already revoked.");
  if (o.status === "rejected") throw new ConflictError("override_rejected", "The override was rejected; there is nothing to revoke.");
  const at = deps.clock().toISOString();
  await writeWithEffects(
    store,
    [
      ...store.governance.revokeStmts(id, actor.name, reason, at),
      store.evidence.auditStmt(
        deps.newId(),
        {
          entityType: "fairness_override",
          entityId: id,
          action: "override_revoke",
          actor: actor.name,
          reason,
          before: { status: o.status },
          after: { status: "revoked" },
          details: withActor({}, actor),
        },
        at,
      ),
    ],
    "override_already_revoked",
  );
  return { ...o, status: "revoked", revokedBy: actor.name, revokedAt: at, revokeReason: reason, currentStage: null };
}

/**
 * Replaces the fairness policy. An inline `override` block in the request becomes
 * a pending override request in the same batch — never an instant bypass.
 * `alongside` (e.g. the webhook settings of the same request) joins that batch
 * too, so a failure leaves the policy, the override and the rest all unchanged.
 */
export async function putSettings(
  deps: ServiceDeps,
  store: TenantStore,
  actor: Actor,
  policy: FairnessPolicy & { override?: InlineOverride | undefined },
  alongside: InStatement[] = [],
): Promise<{ fairnessPolicy: FairnessPolicy; overrideRequest: OverrideWithDecisions | null }> {
  const { override, ...clean } = policy;
  const before = await store.governance.getPolicy();
  const now = deps.clock().toISOString();
  const stmts: InStatement[] = [
    store.governance.putPolicyStmt(clean, actor.name, now),
    store.evidence.auditStmt(
      deps.newId(),
      {
        entityType: "tenant_settings",
        entityId: store.tenantId,
        action: "settings_update",
        actor: actor.name,
        before,
        after: clean,
        // A change of enforcement mode (shadow ↔ enforce) is named, so it is found without diffing policies.
        details: withActor(enforcementOf(before) !== enforcementOf(clean) ? { enforcement: { from: enforcementOf(before), to: enforcementOf(clean) } } : {}, actor),
      },
      now,
    ),
  ];
  let overrideRequest: OverrideWithDecisions | null = null;
  if (override?.enabled) {
    // The inline request takes the stages of the policy it arrives with.
    const r = await overrideRequestStmts(deps, store, actor, override, "tenant-settings", clean);
    overrideRequest = r.record;
    stmts.push(...r.stmts);
  }
  await writeWithEffects(store, [...stmts, ...alongside]);
  return { fairnessPolicy: clean, overrideRequest };
}
