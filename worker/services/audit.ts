/**
 * @module services/audit
 * Builds the audit entries that accompany state changes, so every use case
 * records them the same way.
 */
import type { Evaluation } from "../domain/evaluation.js";
import { BYPASS_REASON } from "../domain/gate.js";
import type { AuditEntry } from "../domain/audit-entry.js";
import type { Actor } from "./context.js";

/** The audit entry for a stored evaluation (pass, block, skip with its reason, bypass with approvedBy). */
export function evaluationAudit(e: Evaluation, actor: Actor): AuditEntry {
  const reason =
    e.verdict === "skip"
      ? e.reason
      : e.verdict === "bypass"
        ? BYPASS_REASON
        : e.verdict === "block"
          ? "fairness thresholds breached"
          : "fairness thresholds met";
  return {
    entityType: "fairness_evaluation",
    entityId: e.id,
    action: `evaluation_${e.verdict}`,
    actor: actor.name,
    reason,
    violations: e.violations.length ? e.violations : null,
    details: {
      verdict: e.verdict,
      trigger: e.trigger,
      flowId: e.flowId,
      flowKey: e.flowKey,
      version: e.version,
      sampleSize: e.sampleSize,
      metrics: e.metrics,
      overrideId: e.overrideId,
      approvedBy: e.approvedBy,
      keyId: actor.keyId,
    },
  };
}

/** Adds the key id of the actor to a details object (never the key itself). */
export function withActor(details: Record<string, unknown>, actor: Actor): Record<string, unknown> {
  return { ...details, keyId: actor.keyId };
}
