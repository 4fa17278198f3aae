/**
 * @module services/remediation
 * Working on a remediation: assign an owner and due date, classify the root
 * cause, take notes, move it along. `resolved` needs a later passing evaluation
 * of the flow and `waived` an approved override (both linked); every change is
 * audited in the same batch.
 */
import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../domain/errors.js";
import type { Playbooks } from "../domain/failure-class.js";
import type { InStatement } from "../store/sql.js";
import { checkResolution, checkTransition, checkWaiver } from "../domain/remediation.js";
import { ROOT_CAUSES, type RemediationRecord } from "../domain/remediation-record.js";
import type { TenantStore } from "../store/tenant-store.js";
import { withActor } from "./audit.js";
import type { Actor, ServiceDeps } from "./context.js";

export const remediationPatchSchema = z.strictObject({
  status: z.enum(["open", "in_progress", "resolved", "waived"]).optional(),
  owner: z.string().trim().min(1).max(200).nullable().optional(),
  dueAt: z.iso.datetime({ offset: true }).nullable().optional(),
  rootCause: z.enum(ROOT_CAUSES).nullable().optional(),
  notes: z.string().max(10_000).nullable().optional(),
  resolvingEvaluationId: z.string().min(1).max(64).optional(),
  overrideId: z.string().min(1).max(64).optional(),
});
export type RemediationPatch = z.infer<typeof remediationPatchSchema>;

/**
 * The statements that set (null: clear) the tenant's remediation playbooks and audit it,
 * for the batch of the settings change they arrive with (after the policy statement,
 * which guarantees the settings row).
 */
export function playbookSettingsStmts(deps: ServiceDeps, store: TenantStore, actor: Actor, playbooks: Playbooks | null, before: Playbooks | null): InStatement[] {
  const now = deps.clock().toISOString();
  return [
    store.governance.putPlaybooksStmt(playbooks),
    store.evidence.auditStmt(
      deps.newId(),
      { entityType: "tenant_settings", entityId: store.tenantId, action: "playbooks_update", actor: actor.name, before, after: playbooks, details: withActor({}, actor) },
      now,
    ),
  ];
}

/** Applies a patch; throws 404 / 400 / 409 (invalid transition, missing or wrong evidence, concurrent change). */
export async function updateRemediation(deps: ServiceDeps, store: TenantStore, actor: Actor, id: string, patch: RemediationPatch): Promise<RemediationRecord> {
  const r = await store.remediations.get(id);
  if (!r) throw new NotFoundError("remediation");
  const now = deps.clock();
  const next: RemediationRecord = {
    ...r,
    owner: patch.owner === undefined ? r.owner : patch.owner,
    dueAt: patch.dueAt === undefined ? r.dueAt : patch.dueAt === null ? null : new Date(patch.dueAt).toISOString(),
    rootCause: patch.rootCause === undefined ? r.rootCause : patch.rootCause,
    notes: patch.notes === undefined ? r.notes : patch.notes,
  };
  const to = patch.status ?? r.status;
  // A closed record is evidence of how it ended; it is not edited afterwards.
  if (r.status === "resolved" || r.status === "waived") throw new ConflictError("remediation_closed", `The remediation is ${r.status}; it can no longer change.`);
  checkTransition(r.status, to);
  if (patch.resolvingEvaluationId && to !== "resolved") throw new ValidationError("resolvingEvaluationId only applies with status resolved", {}, "remediation_evidence_unexpected");
  if (patch.overrideId && to !== "waived") throw new ValidationError("overrideId only applies with status waived", {}, "remediation_evidence_unexpected");
  if (to === "resolved") {
    if (!patch.resolvingEvaluationId) throw new ValidationError("status resolved needs resolvingEvaluationId: a later passing evaluation of the flow", {}, "remediation_evidence_missing");
    checkResolution(r, await store.evidence.getEvaluation(patch.resolvingEvaluationId));
    next.resolvingEvaluationId = patch.resolvingEvaluationId;
  }
  if (to === "waived") {
    if (!patch.overrideId) throw new ValidationError("status waived needs overrideId: an approved override for the flow", {}, "remediation_evidence_missing");
    checkWaiver(r, await store.governance.getOverride(patch.overrideId), now);
    next.overrideId = patch.overrideId;
  }
  next.status = to;
  const at = now.toISOString();
  const pick = (x: RemediationRecord) => ({ status: x.status, owner: x.owner, dueAt: x.dueAt, rootCause: x.rootCause, notes: x.notes, resolvingEvaluationId: x.resolvingEvaluationId, overrideId: x.overrideId });
  await store.write(
    [
      ...store.remediations.updateStmts(next, at),
      store.evidence.auditStmt(
        deps.newId(),
        {
          entityType: "remediation",
          entityId: r.id,
          action: to !== r.status ? `remediation_${to}` : "remediation_update",
          actor: actor.name,
          before: pick(r),
          after: pick(next),
          details: withActor({ flowId: r.flowId }, actor),
        },
        at,
      ),
    ],
    "remediation_modified",
  );
  return { ...next, revision: r.revision + 1, updatedAt: at };
}
