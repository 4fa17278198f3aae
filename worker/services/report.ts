/**
 * @module services/report
 * Assembles an evaluation's report from the store: the stored evaluation, its
 * dataset hash, the evaluated flow version's definition, the override trail
 * of the flow (overrides requested up to the evaluation, plus the one applied)
 * and the baseline evaluation it was compared with (for per-metric deltas).
 */
import { NotFoundError } from "../domain/errors.js";
import { buildReport, type Report } from "../domain/report.js";
import type { TenantStore } from "../store/tenant-store.js";

/** Builds the report of evaluation `id` (404 if the tenant has no such evaluation). */
export async function evaluationReport(store: TenantStore, tenant: { id: string; name: string | null }, id: string, now: Date): Promise<Report> {
  const e = await store.evidence.getEvaluation(id);
  if (!e) throw new NotFoundError("fairness evaluation");
  const definition = e.flowId !== null && e.version !== null ? await store.flows.getDefinition(e.flowId, e.version) : null;
  const overrides = (await store.governance.listOverrides())
    .filter((o) => o.id === e.overrideId || (e.flowId !== null && (o.flowId === e.flowId || o.flowId === null) && o.requestedAt <= e.createdAt))
    .sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : a.requestedAt > b.requestedAt ? 1 : 0))
    .map(({ id: oid, status, flowId, reason, expiresAt, requestedBy, requestedAt, approvedBy, approvedAt, revokedBy, revokedAt, revokeReason }) => ({
      id: oid,
      status,
      flowId,
      reason,
      expiresAt,
      requestedBy,
      requestedAt,
      approvedBy,
      approvedAt,
      revokedBy,
      revokedAt,
      revokeReason,
    }));
  // Stored evaluations are chained and append-only, so the baseline named at evaluation time is still there.
  const baselineId = e.baseline?.evaluationId ?? null;
  const baselineEvaluation = baselineId ? await store.evidence.getEvaluation(baselineId) : null;
  return buildReport({
    tenant,
    evaluation: e,
    baselineEvaluation,
    flowDefinition: definition,
    datasetHash: await store.evidence.getDatasetHash(id),
    datasetHashScope: "usable decision traces in the window (carrying an evaluated sensitive attribute), in (UTC day, seq) order",
    overrides,
    generatedAt: now.toISOString(),
  });
}
