/**
 * @module services/publish
 * The publish gate. A blocked or failed publish leaves the flow exactly as it
 * was; an infrastructure error never publishes (fail closed). The evaluation,
 * its audit row and the status change commit in one batch.
 *
 * Under shadow enforcement a blocking verdict is recorded exactly as in enforce
 * (the evaluation with `wouldBlock`, its audit row, a `shadow_publish_blocked`
 * row that alerts) and the publish goes ahead. An archived flow is never published (409).
 */
import { topDrivers } from "../domain/drivers.js";
import { blocksPublish, type Evaluation } from "../domain/evaluation.js";
import { classifyFailure } from "../domain/failure-class.js";
import { AppError, ConflictError, NotFoundError } from "../domain/errors.js";
import type { TenantStore } from "../store/tenant-store.js";
import { evaluationAudit, withActor } from "./audit.js";
import type { Actor, ServiceDeps } from "./context.js";
import { evaluateFlow } from "./evaluate.js";
import type { InStatement } from "../store/sql.js";
import { writeWithEffects } from "./effects.js";

/** 422: the gate refused to publish. Carries the evaluation's evidence. */
export class GateBlockedError extends AppError {
  constructor(evaluation: Evaluation) {
    const days = evaluation.window?.days ?? 0;
    const span = days === 1 ? "the last day" : `the last ${days} days`;
    const insufficient = evaluation.violations.some((v) => v.startsWith("insufficient samples") || v.startsWith("no usable samples"));
    const unproven = evaluation.violations.length > 0 && evaluation.violations.every((v) => v.includes("insufficient evidence:"));
    super(
      422,
      "fairness_gate_blocked",
      "Fairness gate blocked publish",
      insufficient
        ? `Too few usable decision traces over ${span} to evaluate the fairness policy, and the policy blocks on insufficient samples.`
        : unproven
          ? `The 95% intervals of one or more fairness metrics over ${span} straddle their thresholds, and the policy blocks on insufficient evidence.`
          : `One or more fairness thresholds configured on this tenant were breached over ${span} of decision traces.`,
      {
        violations: evaluation.violations,
        metrics: { sampleSize: evaluation.sampleSize, ...evaluation.metrics },
        groups: evaluation.groups,
        // Every slice (observed window and replayed candidate) with intervals and tiers.
        results: evaluation.results,
        warnings: evaluation.warnings,
        insufficientEvidence: evaluation.insufficientEvidence,
        // What to fix first: the class of the failure and the parts of the version that widen the gap most.
        failureClass: classifyFailure(evaluation),
        drivers: topDrivers(evaluation.drivers, 5),
        driversReplayed: evaluation.drivers?.requests ?? 0,
        evaluationId: evaluation.id,
        override:
          "To bypass, a tenant admin requests an override (POST /api/v1/fairness-overrides with a reason and expiresAt) and a different person with the approver role approves it (POST /api/v1/fairness-overrides/{id}/approve).",
      },
    );
  }
}

export interface PublishResult {
  id: string;
  status: "active";
  version: number;
  /** Critical and warning tiers breached and regressions: published anyway, recorded, returned. */
  warnings: Evaluation["warnings"];
  /** The verdict blocks; true only under shadow enforcement (in enforce a block is a 422). The violations are the evaluation's. */
  wouldBlock: boolean;
  evaluation: Evaluation;
}

/** Publishes the flow's latest version through the fairness gate. */
export async function publishFlow(deps: ServiceDeps, store: TenantStore, actor: Actor, flowId: string): Promise<PublishResult> {
  const flow = await store.flows.get(flowId);
  if (!flow) throw new NotFoundError("decision flow");
  if (flow.status === "archived") throw new ConflictError("flow_archived", "The decision flow is archived; unarchive it before publishing.");
  const version = flow.latestVersion;
  const { evaluation, datasetHash } = await evaluateFlow(deps, store, flow, version, "publish");
  const now = evaluation.createdAt;
  const ev = store.evidence;
  const stmts: InStatement[] = [ev.evaluationStmt(evaluation, datasetHash), ev.auditStmt(deps.newId(), evaluationAudit(evaluation, actor), now)];

  const wouldBlock = evaluation.verdict === "block";
  if (blocksPublish(evaluation)) {
    stmts.push(
      ev.auditStmt(
        deps.newId(),
        {
          entityType: "decision_flow",
          entityId: flow.id,
          action: "publish_blocked",
          actor: actor.name,
          reason: "fairness gate blocked publish",
          violations: evaluation.violations,
          details: withActor({ version, evaluationId: evaluation.id }, actor),
        },
        now,
      ),
    );
    await writeWithEffects(store, stmts);
    throw new GateBlockedError(evaluation);
  }

  if (wouldBlock) {
    // Shadow enforcement: the block is recorded as it would have been, then the publish goes ahead.
    stmts.push(
      ev.auditStmt(
        deps.newId(),
        {
          entityType: "decision_flow",
          entityId: flow.id,
          action: "shadow_publish_blocked",
          actor: actor.name,
          reason: "fairness gate would have blocked publish (shadow enforcement)",
          violations: evaluation.violations,
          details: withActor({ version, evaluationId: evaluation.id, enforcement: "shadow" }, actor),
        },
        now,
      ),
    );
  }
  const after = { ...flow, status: "active" as const, activeVersion: version };
  stmts.push(
    ...store.flows.setStatusStmts(flow, "active", version, now),
    ev.auditStmt(
      deps.newId(),
      {
        entityType: "decision_flow",
        entityId: flow.id,
        action: "publish",
        actor: actor.name,
        reason:
          evaluation.verdict === "bypass"
            ? "published with fairness gate bypassed via active override"
            : wouldBlock
              ? "published in shadow enforcement; fairness gate would have blocked"
              : `fairness gate ${evaluation.verdict}`,
        before: { status: flow.status, activeVersion: flow.activeVersion },
        after: { status: after.status, activeVersion: after.activeVersion },
        violations: evaluation.violations.length ? evaluation.violations : null,
        details: withActor(
          {
            version,
            evaluationId: evaluation.id,
            verdict: evaluation.verdict,
            approvedBy: evaluation.approvedBy,
            ...(wouldBlock ? { wouldBlock: true, enforcement: "shadow" } : {}),
            ...(evaluation.warnings.length ? { warnings: evaluation.warnings.map((w) => ({ tier: w.tier, message: w.message })) } : {}),
          },
          actor,
        ),
      },
      now,
    ),
  );
  await writeWithEffects(store, stmts, "flow_modified");
  return { id: flow.id, status: "active", version, warnings: evaluation.warnings, wouldBlock, evaluation };
}
