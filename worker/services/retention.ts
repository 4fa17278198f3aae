/**
 * @module services/retention
 * The daily trace-retention pass (EU AI Act Arts. 12, 19, 26(6): logs kept at
 * least six months; GDPR: no longer than needed). For each tenant whose policy
 * sets `retention.tracesDays`, traces decided before the UTC midnight
 * `tracesDays` days ago are deleted — rows, packed segments, their columns and
 * outcome deltas — in one atomic batch with a chained audit row
 * (`traces_retention_delete`) that records the cutoff, the counts per flow and the
 * dataset hashes of the evaluations those traces contributed to. Evaluations and
 * audit rows are never deleted. A pass with nothing to delete writes nothing.
 */
import type { TenantStore } from "../store/tenant-store.js";
import type { ServiceDeps } from "./context.js";
import type { RecheckDeps } from "./recheck.js";

const DAY = 86_400_000;
export const RETENTION_ACTOR = "system:trace-retention";

export interface TenantRetention {
  tenantId: string;
  status: "deleted" | "nothing_due" | "not_configured" | "failed";
  cutoff: string | null;
  traces: number;
  segments: number;
}

/** The UTC midnight before which traces are past `tracesDays` at `now`. */
export function retentionCutoff(now: Date, tracesDays: number): number {
  return Math.floor(now.getTime() / DAY) * DAY - tracesDays * DAY;
}

/** Applies the tenant's retention policy once. */
export async function applyRetention(deps: Pick<ServiceDeps, "clock" | "newId">, store: TenantStore): Promise<TenantRetention> {
  const policy = await store.governance.getPolicy();
  const days = policy?.retention?.tracesDays;
  if (!days) return { tenantId: store.tenantId, status: "not_configured", cutoff: null, traces: 0, segments: 0 };
  const now = deps.clock();
  const cutoffMs = retentionCutoff(now, days);
  const cutoff = new Date(cutoffMs).toISOString();
  const plan = await store.retention.plan(cutoffMs);
  if (plan.traces === 0 && plan.segments === 0 && plan.protectedPeople === 0) return { tenantId: store.tenantId, status: "nothing_due", cutoff, traces: 0, segments: 0 };
  await store.write([
    ...store.retention.deleteStmts(cutoffMs),
    store.evidence.auditStmt(
      deps.newId(),
      {
        entityType: "decision_traces",
        entityId: store.tenantId,
        action: "traces_retention_delete",
        actor: RETENTION_ACTOR,
        reason: `traces decided before ${cutoff} are past the ${days}-day retention`,
        details: {
          tracesDays: days,
          cutoff,
          traces: plan.traces,
          segments: plan.segments,
          protectedPeople: plan.protectedPeople,
          byFlow: plan.byFlow.map((f) => ({ flowKey: f.flowKey, traces: f.traces, oldest: new Date(f.oldest).toISOString() })),
          datasetHashes: plan.datasetHashes,
          datasetHashCount: plan.datasetHashCount,
        },
      },
      now.toISOString(),
    ),
  ]);
  return { tenantId: store.tenantId, status: "deleted", cutoff, traces: plan.traces, segments: plan.segments };
}

/** Runs retention for every tenant; one tenant's failure is reported and the others still run. */
export async function runRetention(deps: RecheckDeps, onTenantError: (tenantId: string, e: unknown) => void = () => {}): Promise<TenantRetention[]> {
  const out: TenantRetention[] = [];
  for (const t of await deps.control.listTenants()) {
    try {
      const { store } = await deps.tenants.get(t);
      out.push(await applyRetention(deps, store));
    } catch (e) {
      onTenantError(t.id, e);
      out.push({ tenantId: t.id, status: "failed", cutoff: null, traces: 0, segments: 0 });
    }
  }
  return out;
}
