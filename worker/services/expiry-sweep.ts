/**
 * @module services/expiry-sweep
 * The override-expiry sweep: when an approved override ends (it expires, or is
 * revoked), the flows it covered are re-evaluated promptly instead of at the
 * next daily recheck, and paused on breach with the same auto_pause row
 * (`fairness_recheck_drift`). Each sweep handles exactly the overrides that
 * ended since the previous one: an override is marked swept once its flows have
 * been evaluated (a flow-specific override → that flow if still active; a
 * tenant-wide one → every active flow). Bounded: at most SWEEP_MAX_OVERRIDES
 * per tenant per run; the rest are the next run's. Idempotent by effect: a
 * sweep that died before marking is redone by the next, and the pause guard
 * keeps the redo from pausing or auditing anything twice.
 */
import { AppError } from "../domain/errors.js";
import type { FlowRecord } from "../store/tenant/flows.js";
import { emptyTenantRecheck, evaluateAndPause, type RecheckDeps, recheckEnabled, type TenantRecheck, withTenantClaim } from "./recheck.js";
import { tenantStoreOf } from "./tenant-jobs.js";

/** Overrides handled per tenant per sweep. */
export const SWEEP_MAX_OVERRIDES = 200;

export interface TenantSweep extends Omit<TenantRecheck, "status" | "packed" | "packError"> {
  /** idle: no override had ended; not_enabled: ended overrides were marked without evaluating. */
  status: "checked" | "idle" | "busy" | "not_enabled" | "failed";
  /** The ended overrides this run handled (and marked swept). */
  overrides: string[];
}

export interface SweepReport {
  runKey: string;
  sweptAt: string;
  tenants: TenantSweep[];
  failedTenants: number;
}

async function sweepTenant(deps: RecheckDeps, tenantId: string, runKey: string, nowIso: string): Promise<TenantSweep> {
  const out: TenantSweep = { ...emptyTenantRecheck(tenantId), status: "checked", overrides: [] };
  const store = await tenantStoreOf(deps, tenantId);
  if (!store) return { ...out, status: "failed", error: "tenant_missing" };
  // A cheap read first, so a tenant with nothing ended costs one query and no claim.
  if (!(await store.governance.endedUnsweptOverrides(nowIso, 1)).length) return { ...out, status: "idle" };
  const done = await withTenantClaim(deps, store, async () => {
    // Re-read under the claim: a sweep that waited must not redo what the previous one marked.
    const ended = await store.governance.endedUnsweptOverrides(nowIso, SWEEP_MAX_OVERRIDES);
    if (!ended.length) return { ...out, status: "idle" as const };
    const policy = await store.governance.getPolicy();
    if (recheckEnabled(policy)) {
      const active = await store.flows.list("active");
      const tenantWide = ended.some((o) => o.flowId === null);
      const covered = new Set(ended.map((o) => o.flowId));
      const flows: FlowRecord[] = tenantWide ? active : active.filter((f) => covered.has(f.id));
      await evaluateAndPause(deps, store, policy, flows, { runKey, trigger: "override_expiry_sweep", overrideIds: ended.map((o) => o.id) }, out);
    } else out.status = "not_enabled";
    // Marked only after every covered flow was evaluated (a failure above leaves them for the next run).
    await store.write(ended.map((o) => store.governance.overrideSweptStmt(o.id, deps.clock().toISOString())));
    out.overrides = ended.map((o) => o.id);
    return out;
  });
  return done ?? { ...out, status: "busy" };
}

/**
 * Sweeps every tenant. Never throws for a single tenant's failure: that tenant
 * is reported failed and its overrides stay unswept for the next run.
 *
 * "Ended" is judged on deps.clock(), the clock the evaluation judges overrides
 * by, never on a caller's scheduled time: an override counted as ended must also
 * be out of force when its flows are evaluated, or it would be marked swept
 * while its flows were still bypassed.
 */
export async function runExpirySweep(deps: RecheckDeps, onTenantError: (tenantId: string, e: unknown) => void = () => {}): Promise<SweepReport> {
  const nowIso = deps.clock().toISOString();
  const runKey = `override-expiry-sweep:${nowIso}`;
  const results: TenantSweep[] = [];
  for (const t of await deps.control.listTenants()) {
    try {
      results.push(await sweepTenant(deps, t.id, runKey, nowIso));
    } catch (e) {
      onTenantError(t.id, e);
      results.push({ ...emptyTenantRecheck(t.id), status: "failed", overrides: [], error: e instanceof AppError ? e.code : "internal_error" });
    }
  }
  return { runKey, sweptAt: nowIso, tenants: results, failedTenants: results.filter((r) => r.status === "failed").length };
}
