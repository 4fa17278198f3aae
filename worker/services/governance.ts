/**
 * @module services/governance
 * Tenant settings and the four-eyes override workflow: an admin requests, a
 * different approver approves, overrides expire and can be revoked.
 */
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../domain/errors.js";
import { enforcementOf, type FairnessPolicy, type InlineOverride } from "../domain/policy.js";
import type { OverrideRecord } from "../store/tenant/governance.js";
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

async function overrideRequestStmts(deps: ServiceDeps, store: TenantStore, actor: Actor, req: OverrideRequest, via: string): Promise<{ record: OverrideRecord; stmts: InStatement[] }> {
  const now = deps.clock();
  const exp = Date.parse(req.expiresAt);
  if (!(exp > now.getTime())) throw new ValidationError("expiresAt must be in the future", {}, "override_expiry_invalid");
  if (exp - now.getTime() > MAX_OVERRIDE_DAYS * 86_400_000)
    throw new ValidationError(`expiresAt must be within ${MAX_OVERRIDE_DAYS} days`, {}, "override_expiry_invalid");
  if (req.flowId && !(await store.flows.get(req.flowId))) throw new NotFoundError("decision flow");
  const record: OverrideRecord = {
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
        after: { status: "pending", flowId: record.flowId, expiresAt: record.expiresAt },
        details: withActor({ via }, actor),
      },
      record.requestedAt,
    ),
  ];
  return { record, stmts };
}

/** Requests an override (pending until a different approver approves it). */
export async function requestOverride(deps: ServiceDeps, store: TenantStore, actor: Actor, req: OverrideRequest): Promise<OverrideRecord> {
  const { record, stmts } = await overrideRequestStmts(deps, store, actor, req, "fairness-overrides");
  await writeWithEffects(store, stmts);
  return record;
}

/** Approves a pending override. The approver is always the authenticated caller, never the requester. */
export async function approveOverride(deps: ServiceDeps, store: TenantStore, actor: Actor, id: string): Promise<OverrideRecord> {
  const o = await store.governance.getOverride(id);
  if (!o) throw new NotFoundError("fairness override");
  if (o.requestedBy === actor.name) throw new ForbiddenError("self_approval_forbidden", "An override must be approved by a different person than the one who requested it.");
  if (o.status !== "pending") throw new ConflictError("override_not_pending", `The override is ${o.status}, not pending.`);
  const now = deps.clock();
  if (Date.parse(o.expiresAt) <= now.getTime()) throw new ConflictError("override_expired", "The override has already expired.");
  const at = now.toISOString();
  await writeWithEffects(
    store,
    [
      ...store.governance.approveStmts(id, actor.name, at),
      store.evidence.auditStmt(
        deps.newId(),
        {
          entityType: "fairness_override",
          entityId: id,
          action: "override_approve",
          actor: actor.name,
          reason: o.reason,
          before: { status: o.status },
          after: { status: "active", approvedBy: actor.name, expiresAt: o.expiresAt },
          details: withActor({ requestedBy: o.requestedBy }, actor),
        },
        at,
      ),
    ],
    "override_not_pending",
  );
  return { ...o, status: "active", approvedBy: actor.name, approvedAt: at };
}

/** Revokes a pending or active override. */
export async function revokeOverride(deps: ServiceDeps, store: TenantStore, actor: Actor, id: string, reason: string | null): Promise<OverrideRecord> {
  const o = await store.governance.getOverride(id);
  if (!o) throw new NotFoundError("fairness override");
  if (o.status === "revoked") throw new ConflictError("override_already_revoked", "The override is already revoked.");
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
  return { ...o, status: "revoked", revokedBy: actor.name, revokedAt: at, revokeReason: reason };
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
): Promise<{ fairnessPolicy: FairnessPolicy; overrideRequest: OverrideRecord | null }> {
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
  let overrideRequest: OverrideRecord | null = null;
  if (override?.enabled) {
    const r = await overrideRequestStmts(deps, store, actor, override, "tenant-settings");
    overrideRequest = r.record;
    stmts.push(...r.stmts);
  }
  await writeWithEffects(store, [...stmts, ...alongside]);
  return { fairnessPolicy: clean, overrideRequest };
}
