/**
 * @module services/recheck
 * The daily fairness recheck: for every tenant with continuousRecheck, evaluate
 * each active flow and auto-pause those that breach without an applicable
 * override. Idempotent per scheduled day; an unreachable tenant is reported and
 * left untouched while the others are still processed.
 */
import { AppError, ConflictError } from "../domain/errors.js";
import type { ControlStore } from "../store/control-store.js";
import type { TenantRegistry } from "../store/tenant-registry.js";
import { evaluationAudit } from "./audit.js";
import { SYSTEM_RECHECK, type ServiceDeps } from "./context.js";
import { evaluateFlow } from "./evaluate.js";
import type { FairnessPolicy } from "../domain/policy.js";
import type { TenantStore } from "../store/tenant-store.js";
import { type PackReport, packTraces } from "./pack.js";
import type { InStatement } from "../store/sql.js";
import { writeWithEffects } from "./effects.js";

export interface RecheckDeps extends ServiceDeps {
  control: ControlStore;
  tenants: TenantRegistry;
}

export interface TenantRecheck {
  tenantId: string;
  status: "checked" | "already_checked" | "not_enabled" | "failed";
  flowsChecked: number;
  paused: { flowId: string; flowKey: string; evaluationId: string; violations: string[] }[];
  /** Active flows that stayed active but raised warning/critical tiers or baseline regressions. */
  warnings: { flowId: string; flowKey: string; evaluationId: string; highestTier: string | null; warnings: string[] }[];
  evaluations: string[];
  /** Traces packed into columnar segments before evaluating. */
  packed?: PackReport;
  /** Why packing did not complete (the evaluation itself is unaffected). */
  packError?: string;
  /** Stable error code when status is failed (never internal detail). */
  error?: string;
}

export interface RecheckReport {
  runKey: string;
  scheduledTime: string;
  tenants: TenantRecheck[];
  failedTenants: number;
}

/** How long a claim protects a tenant's run; a run that died is taken over after this. */
export const RECHECK_CLAIM_LEASE_MS = 15 * 60_000;

/** The idempotency key for a scheduled time: the daily recheck runs once per UTC day. */
export function recheckRunKey(scheduledTime: Date): string {
  return `fairness-recheck:${scheduledTime.toISOString().slice(0, 10)}`;
}

async function recheckTenant(deps: RecheckDeps, tenantId: string, runKey: string): Promise<TenantRecheck> {
  const out: TenantRecheck = { tenantId, status: "checked", flowsChecked: 0, paused: [], warnings: [], evaluations: [] };
  const tenant = await deps.control.getTenant(tenantId);
  if (!tenant) return { ...out, status: "failed", error: "tenant_missing" };
  const { store } = await deps.tenants.get(tenant);
  // Packing is idempotent on its own, so it runs even when the day's recheck already happened.
  // It only speeds up reads: if it fails (or a concurrent packer wins a race) the unpacked rows
  // are still read as the tail, so the recheck goes on and the report says what happened.
  try {
    out.packed = await packTraces(deps, store);
  } catch (e) {
    out.packError = e instanceof AppError ? e.code : "internal_error";
  }
  if (await store.evidence.getRecheckRun(runKey)) return { ...out, status: "already_checked" };
  const policy = await store.governance.getPolicy();
  if (!policy?.enabled || !policy.continuousRecheck) return { ...out, status: "not_enabled" };
  // Claim before evaluating: an overlapping run (another instance, or the HTTP trigger) backs off.
  const nowMs = deps.clock().getTime();
  const claimId = deps.newId();
  if (!(await store.evidence.claimRecheck(runKey, claimId, nowMs, nowMs - RECHECK_CLAIM_LEASE_MS))) return { ...out, status: "already_checked" };
  try {
    return await recheckClaimed(deps, store, policy, runKey, out);
  } catch (e) {
    // Best effort: if the store is down this fails too, and the lease expires instead.
    await store.evidence.releaseRecheckClaim(runKey, claimId).catch(() => {});
    throw e;
  }
}

/** Evaluates every active flow of a tenant whose run this caller has claimed. */
async function recheckClaimed(deps: RecheckDeps, store: TenantStore, policy: FairnessPolicy, runKey: string, out: TenantRecheck): Promise<TenantRecheck> {

  for (const flow of await store.flows.list("active")) {
    const version = flow.activeVersion ?? flow.latestVersion;
    const { evaluation, datasetHash } = await evaluateFlow(deps, store, flow, version, "recheck", policy);
    const now = evaluation.createdAt;
    const ev = store.evidence;
    const stmts: InStatement[] = [ev.evaluationStmt(evaluation, datasetHash), ev.auditStmt(deps.newId(), evaluationAudit(evaluation, SYSTEM_RECHECK), now)];
    const breach = evaluation.verdict === "block";
    if (breach) {
      stmts.push(
        ...store.flows.setStatusStmts(flow, "paused", flow.activeVersion, now),
        ev.auditStmt(
          deps.newId(),
          {
            entityType: "decision_flow",
            entityId: flow.id,
            action: "auto_pause",
            actor: SYSTEM_RECHECK.name,
            reason: "fairness_recheck_drift",
            before: { status: flow.status, activeVersion: flow.activeVersion },
            after: { status: "paused", activeVersion: flow.activeVersion },
            violations: evaluation.violations,
            details: { evaluationId: evaluation.id, version, runKey },
          },
          now,
        ),
      );
    }
    try {
      await writeWithEffects(store, stmts, "flow_modified");
    } catch (e) {
      // A concurrent edit or publish won the race; that flow will be seen on the next run.
      if (e instanceof ConflictError) continue;
      throw e;
    }
    out.flowsChecked++;
    out.evaluations.push(evaluation.id);
    if (breach) out.paused.push({ flowId: flow.id, flowKey: flow.key, evaluationId: evaluation.id, violations: evaluation.violations });
    // Warning and critical tiers (and baseline regressions) do not pause, but the run reports them.
    else if (evaluation.warnings.length)
      out.warnings.push({ flowId: flow.id, flowKey: flow.key, evaluationId: evaluation.id, highestTier: evaluation.highestTier, warnings: evaluation.warnings.map((w) => w.message) });
  }
  try {
    await store.write([store.evidence.recheckRunStmt(runKey, out, deps.clock().toISOString())]);
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
  }
  return out;
}

/**
 * Runs the recheck for `scheduledTime`. Never throws for a single tenant's
 * failure: that tenant's flows stay as they are and the report names it.
 */
export async function runFairnessRecheck(
  deps: RecheckDeps,
  scheduledTime: Date,
  onTenantError: (tenantId: string, e: unknown) => void = () => {},
): Promise<RecheckReport> {
  const runKey = recheckRunKey(scheduledTime);
  const tenants = await deps.control.listTenants();
  const results: TenantRecheck[] = [];
  for (const t of tenants) {
    try {
      results.push(await recheckTenant(deps, t.id, runKey));
    } catch (e) {
      onTenantError(t.id, e);
      const code = e instanceof AppError ? e.code : "internal_error";
      results.push({ tenantId: t.id, status: "failed", flowsChecked: 0, paused: [], warnings: [], evaluations: [], error: code });
    }
  }
  return {
    runKey,
    scheduledTime: scheduledTime.toISOString(),
    tenants: results,
    failedTenants: results.filter((r) => r.status === "failed").length,
  };
}
