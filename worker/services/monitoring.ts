/**
 * @module services/monitoring
 * Gathers the records of a period for the EU AI Act monitoring summary
 * (domain/monitoring): flows, the evaluations and audit rows created in
 * [from, to), every override, the remediations, and a fresh verification of both
 * chains against their signed anchors (services/chain verifyChain).
 */
import { ValidationError } from "../domain/errors.js";
import { buildMonitoringSummary, type MonitoringSummary } from "../domain/monitoring.js";
import type { ChainAnchorStore } from "../store/chain-anchors.js";
import type { TenantStore } from "../store/tenant-store.js";
import { verifyChain } from "./chain.js";

/** Most remediation records read for one summary (the newest first; a tenant with more is summarised over these). */
const MAX_REMEDIATIONS = 10_000;

/** The monitoring summary of [from, to). */
export async function monitoringSummary(deps: { clock: () => Date; anchors: ChainAnchorStore | null }, store: TenantStore, range: { from: Date; to: Date }): Promise<MonitoringSummary> {
  if (!(range.from < range.to)) throw new ValidationError("from must be before to");
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  const [policy, flows, evaluations, audit, overrides, remediations, auditChain, evaluationChain] = await Promise.all([
    store.governance.getPolicy(),
    store.flows.list(),
    store.audits.evaluationsBetween(from, to),
    store.audits.auditBetween(from, to),
    store.governance.listOverrides(),
    store.remediations.list({ limit: MAX_REMEDIATIONS }),
    verifyChain(store, "audit", deps.anchors),
    verifyChain(store, "evaluation", deps.anchors),
  ]);
  const details = (d: unknown) => (d && typeof d === "object" ? (d as Record<string, unknown>) : {});
  const chain = (v: typeof auditChain) => ({ ok: v.ok, rows: v.rows, breakCount: v.breakCount, signatureValid: v.anchor ? v.anchor.signatureValid : null });
  return buildMonitoringSummary({
    tenantId: store.tenantId,
    generatedAt: deps.clock().toISOString(),
    range: { from, to },
    continuousRecheck: policy?.continuousRecheck ?? false,
    flows: flows.map((f) => ({ id: f.id, key: f.key, status: f.status })),
    evaluations: evaluations.map((r) => ({ id: r.id, flowId: r.evaluation.flowId, flowKey: r.evaluation.flowKey, trigger: r.evaluation.trigger, verdict: r.evaluation.verdict, createdAt: r.createdAt })),
    pauses: audit
      .filter((a) => a.action === "auto_pause")
      .map((a) => {
        const d = details(a.details);
        const violations = a.violations ?? (Array.isArray(d.violations) ? (d.violations as unknown[]).map(String) : []);
        return { flowId: a.entityId, at: a.createdAt, actor: a.actor, reason: a.reason, trigger: typeof d.trigger === "string" ? d.trigger : null, violations, evaluationId: typeof d.evaluationId === "string" ? d.evaluationId : null };
      }),
    overrides: overrides.map((o) => ({
      id: o.id,
      flowId: o.flowId,
      status: o.status,
      reason: o.reason,
      requestedBy: o.requestedBy,
      requestedAt: o.requestedAt,
      approvedBy: o.approvedBy,
      approvedAt: o.approvedAt,
      expiresAt: o.expiresAt,
      revokedBy: o.revokedBy,
      revokedAt: o.revokedAt,
    })),
    remediations: remediations.map((r) => ({ id: r.id, flowId: r.flowId, flowKey: r.flowKey ?? "", status: r.status, createdAt: r.createdAt })),
    remediationClosings: audit
      .filter((a) => a.action === "remediation_resolved" || a.action === "remediation_waived")
      .map((a) => ({ remediationId: a.entityId, action: a.action, actor: a.actor, at: a.createdAt })),
    retention: audit
      .filter((a) => a.action === "traces_retention_delete")
      .map((a) => {
        const d = details(a.details);
        return { at: a.createdAt, cutoff: typeof d.cutoff === "string" ? d.cutoff : null, traces: Number(d.traces ?? 0), datasetHashCount: Number(d.datasetHashCount ?? 0) };
      }),
    chains: { audit: chain(auditChain), evaluation: chain(evaluationChain) },
  });
}
