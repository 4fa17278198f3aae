/**
 * @module services/recheck
 * The fairness recheck: for every tenant with continuousRecheck, evaluate each
 * active flow and auto-pause those that breach without an applicable override.
 *
 * Idempotent by effect, not by skipping work: every trigger (schedule, HTTP
 * route, `scheduled()`) evaluates again, because what it depends on (traffic,
 * overrides expiring) changes within a day. What must not repeat is the effect:
 * a paused flow is no longer listed as active, and the pause batch is guarded on
 * the flow revision the run read, so the same outcome never pauses twice nor
 * writes a second auto_pause row (or its alert); a flow that stays active at the
 * critical tier alerts once, not on every run. Overlapping runs for a tenant
 * are serialised by a leased claim. An unreachable tenant is reported and left
 * untouched while the others are still processed.
 *
 * Under shadow enforcement a breach is evaluated, stored, audited
 * (`shadow_auto_pause`) and alerted as it would have been, and the flow stays
 * active; a repeated run with the same outcome does not re-alert. Archived flows
 * are not active, so no run lists them.
 */
import { AppError, ConflictError } from "../domain/errors.js";
import { blocksPublish, type Evaluation } from "../domain/evaluation.js";
import type { FairnessPolicy } from "../domain/policy.js";
import type { ControlStore } from "../store/control-store.js";
import type { InStatement } from "../store/sql.js";
import type { TenantRegistry } from "../store/tenant-registry.js";
import type { TenantStore } from "../store/tenant-store.js";
import type { FlowRecord } from "../store/tenant/flows.js";
import { evaluationAudit } from "./audit.js";
import { SYSTEM_RECHECK, type ServiceDeps } from "./context.js";
import type { EffectDecision } from "../domain/effects.js";
import { writeWithEffects } from "./effects.js";
import { evaluateFlow } from "./evaluate.js";
import { type PackReport, packTraces } from "./pack.js";
import { BudgetExceededError, checkBudget, DEFAULT_RECHECK_CONCURRENCY, DEFAULT_RECHECK_TENANT_BUDGET_MS, type PoolOptions, runPool } from "./recheck-pool.js";
import { tenantStoreOf } from "./tenant-jobs.js";

export interface RecheckDeps extends ServiceDeps {
  control: ControlStore;
  tenants: TenantRegistry;
  /** How many tenants a run rechecks at once and how long each may take (FAIRGATE_RECHECK_*); defaults when absent. */
  recheckPool?: PoolOptions;
}

export interface TenantRecheck {
  tenantId: string;
  /** busy: another run held this tenant's claim for the whole wait; nothing was evaluated. */
  status: "checked" | "busy" | "not_enabled" | "failed";
  flowsChecked: number;
  paused: { flowId: string; flowKey: string; evaluationId: string; violations: string[] }[];
  /** Shadow enforcement: flows that breached and would have been paused, and stayed active. */
  wouldPause?: { flowId: string; flowKey: string; evaluationId: string; violations: string[] }[];
  /** Active flows that stayed active but raised warning/critical tiers or baseline regressions. */
  warnings: { flowId: string; flowKey: string; evaluationId: string; highestTier: string | null; warnings: string[] }[];
  evaluations: string[];
  /** Traces packed into columnar segments before evaluating. */
  packed?: PackReport;
  /** Why packing did not complete (the evaluation itself is unaffected). */
  packError?: string;
  /** Stable error code when status is failed (never internal detail); `timed_out` when its budget ran out. */
  error?: string;
  /** Wall time of this tenant's recheck (the budget's measure). */
  elapsedMs?: number;
}

export interface RecheckReport {
  /** A label for the run (its UTC day); recorded in each auto_pause row. Not an idempotency key. */
  runKey: string;
  scheduledTime: string;
  tenants: TenantRecheck[];
  failedTenants: number;
}

/** How long a claim protects a tenant's run; a run that died is taken over after this. */
export const RECHECK_CLAIM_LEASE_MS = 15 * 60_000;
/** How long a run waits for an overlapping run of the same tenant before reporting it busy. */
export const RECHECK_CLAIM_WAIT_MS = 30_000;
const CLAIM_POLL_MS = 200;
/** One claim per tenant serialises the daily recheck and the expiry sweep with each other. */
const TENANT_CLAIM_KEY = "fairness-evaluation";

/** The label of a recheck run: its scheduled UTC day. */
export function recheckRunKey(scheduledTime: Date): string {
  return `fairness-recheck:${scheduledTime.toISOString().slice(0, 10)}`;
}

export const emptyTenantRecheck = (tenantId: string, status: TenantRecheck["status"] = "checked"): TenantRecheck => ({
  tenantId,
  status,
  flowsChecked: 0,
  paused: [],
  warnings: [],
  evaluations: [],
});

/**
 * Runs `fn` holding the tenant's evaluation claim, waiting (up to
 * RECHECK_CLAIM_WAIT_MS) for an overlapping run to finish first. Null when the
 * claim stayed taken. The claim is released afterwards, success or not; if the
 * store is down the release fails too and the lease expires instead.
 */
export async function withTenantClaim<T>(deps: ServiceDeps, store: TenantStore, fn: () => Promise<T>): Promise<T | null> {
  const claimId = deps.newId();
  // Real time, not deps.clock: this is how long the process waits, not a business timestamp.
  const giveUpAt = Date.now() + RECHECK_CLAIM_WAIT_MS;
  for (;;) {
    const nowMs = deps.clock().getTime();
    if (await store.evidence.claimRecheck(TENANT_CLAIM_KEY, claimId, nowMs, nowMs - RECHECK_CLAIM_LEASE_MS)) break;
    if (Date.now() >= giveUpAt) return null;
    await new Promise((ok) => setTimeout(ok, CLAIM_POLL_MS));
  }
  try {
    return await fn();
  } finally {
    await store.evidence.releaseRecheckClaim(TENANT_CLAIM_KEY, claimId).catch(() => {});
  }
}

/**
 * Evaluates `flows` (active when the caller listed them, under its claim) and
 * pauses those that breach, recording each in `out`. `details` join the
 * auto_pause row's details (the run label, what triggered it).
 */
export async function evaluateAndPause(
  deps: ServiceDeps,
  store: TenantStore,
  policy: FairnessPolicy,
  flows: FlowRecord[],
  details: Record<string, unknown>,
  out: Pick<TenantRecheck, "flowsChecked" | "paused" | "wouldPause" | "warnings" | "evaluations">,
  signal?: AbortSignal,
): Promise<void> {
  for (const flow of flows) {
    checkBudget(signal);
    const version = flow.activeVersion ?? flow.latestVersion;
    const { evaluation, datasetHash, gate } = await evaluateFlow(deps, store, flow, version, "recheck", policy);
    const now = evaluation.createdAt;
    const ev = store.evidence;
    const stmts: InStatement[] = [
      ev.evaluationStmt(evaluation, datasetHash),
      ev.auditStmt(deps.newId(), evaluationAudit(evaluation, SYSTEM_RECHECK), now),
      // decisionRule "sequential": the advanced sequence states, committed with the evaluation that records them.
      ...gate.sequences.map((s) => store.sequential.upsertStmt(flow.id, version, s, evaluation.id, now)),
    ];
    const breach = blocksPublish(evaluation);
    // Shadow enforcement: the pause it would have been, recorded and alerted, without pausing.
    const shadowBreach = evaluation.verdict === "block" && !breach;
    if (shadowBreach)
      stmts.push(
        ev.auditStmt(
          deps.newId(),
          {
            entityType: "decision_flow",
            entityId: flow.id,
            action: "shadow_auto_pause",
            actor: SYSTEM_RECHECK.name,
            reason: "fairness_recheck_drift",
            violations: evaluation.violations,
            details: { evaluationId: evaluation.id, version, enforcement: "shadow", ...details },
          },
          now,
        ),
      );
    if (breach) {
      stmts.push(
        // Guarded on the flow still being active on the evaluated version: if it was paused or
        // re-published since, the whole batch aborts and nothing is written twice (a saved draft does not count).
        ...store.flows.pauseStmts(flow, now),
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
            details: { evaluationId: evaluation.id, version, ...details },
          },
          now,
        ),
      );
    }
    // The evaluation may have taken the rest of the budget: a run past it commits nothing more.
    checkBudget(signal);
    try {
      await writeWithEffects(store, stmts, "flow_modified", breach ? () => true : await keepEffects(store, flow.id, evaluation));
    } catch (e) {
      // A concurrent edit or publish won the race; that flow will be seen on the next run.
      if (e instanceof ConflictError) continue;
      throw e;
    }
    out.flowsChecked++;
    out.evaluations.push(evaluation.id);
    if (breach) out.paused.push({ flowId: flow.id, flowKey: flow.key, evaluationId: evaluation.id, violations: evaluation.violations });
    else if (shadowBreach) (out.wouldPause ??= []).push({ flowId: flow.id, flowKey: flow.key, evaluationId: evaluation.id, violations: evaluation.violations });
    // Warning and critical tiers (and baseline regressions) do not pause, but the run reports them.
    else if (evaluation.warnings.length)
      out.warnings.push({ flowId: flow.id, flowKey: flow.key, evaluationId: evaluation.id, highestTier: evaluation.highestTier, warnings: evaluation.warnings.map((w) => w.message) });
  }
}

/**
 * What a repeated evaluation must match to count as the same outcome: verdict,
 * version, override and which slices/metrics raised which tier. Metric values
 * drift with every trace, so they are not part of it.
 */
function outcomeKey(e: Evaluation): string {
  const raised = e.warnings.map((w) => `${w.kind}:${w.tier}:${w.slice}:${w.metric}`).sort();
  return JSON.stringify([e.verdict, e.version, e.overrideId, e.highestTier, raised]);
}

const isRepeatableAlert = (d: EffectDecision) => d.kind === "queue_alert" && (d.event === "critical" || d.event === "shadow_block");

/**
 * Which effects of a non-pausing evaluation to keep: a critical (or, under shadow
 * enforcement, a shadow_block) alert is dropped when the flow's latest stored
 * evaluation (any trigger: the publish alerted too) had the same outcome, so
 * repeated runs do not re-alert an unchanged state of a flow that stays active.
 */
async function keepEffects(store: TenantStore, flowId: string, evaluation: Evaluation): Promise<(d: EffectDecision) => boolean> {
  const critical = evaluation.verdict !== "block" && (evaluation.highestTier === "critical" || evaluation.warnings.some((w) => w.tier === "critical"));
  const shadowBlock = evaluation.verdict === "block" && !blocksPublish(evaluation);
  if (!critical && !shadowBlock) return () => true;
  const [previous] = await store.evidence.listEvaluations({ flowId, limit: 1 });
  const same = previous !== undefined && outcomeKey(previous) === outcomeKey(evaluation);
  return (d) => !(same && isRepeatableAlert(d));
}

/** Whether a tenant's policy opts it into rechecks (daily and expiry sweep alike). */
export const recheckEnabled = (policy: FairnessPolicy | null): policy is FairnessPolicy => Boolean(policy?.enabled && policy.continuousRecheck);

/**
 * Rechecks one tenant under its claim: packs, then evaluates every active flow.
 * Throws for an infrastructure fault (the caller reports the tenant failed, or
 * retries it); `signal` stops it before its next write once its budget is spent.
 */
export async function recheckTenant(deps: RecheckDeps, tenantId: string, runKey: string, signal?: AbortSignal): Promise<TenantRecheck> {
  const out = emptyTenantRecheck(tenantId);
  const store = await tenantStoreOf(deps, tenantId);
  if (!store) return { ...out, status: "failed", error: "tenant_missing" };
  // Packing is idempotent on its own. It only speeds up reads: if it fails (or a concurrent
  // packer wins a race) the unpacked rows are still read as the tail, so the recheck goes on
  // and the report says what happened.
  try {
    out.packed = await packTraces(deps, store, { intraday: {} });
  } catch (e) {
    out.packError = e instanceof AppError ? e.code : "internal_error";
  }
  const policy = await store.governance.getPolicy();
  if (!recheckEnabled(policy)) return { ...out, status: "not_enabled" };
  const done = await withTenantClaim(deps, store, async () => {
    // Listed under the claim, so a run that waited sees what the previous one left (paused flows are gone).
    await evaluateAndPause(deps, store, policy, await store.flows.list("active"), { runKey, trigger: "daily" }, out, signal);
    return out;
  });
  return done ?? { ...out, status: "busy" };
}

/** The stable code a tenant's failed recheck is reported with. */
export const recheckErrorCode = (e: unknown): string => (e instanceof BudgetExceededError ? "timed_out" : e instanceof AppError ? e.code : "internal_error");

/**
 * Runs the recheck for `scheduledTime` over every tenant, `deps.recheckPool`
 * tenants at a time, each within its budget. Never throws for a single
 * tenant's failure or timeout: that tenant's flows stay as they are (or keep
 * what its last completed write committed) and the report names it.
 */
export async function runFairnessRecheck(
  deps: RecheckDeps,
  scheduledTime: Date,
  onTenantError: (tenantId: string, e: unknown) => void = () => {},
): Promise<RecheckReport> {
  const runKey = recheckRunKey(scheduledTime);
  const tenants = await deps.control.listTenants();
  const pool = deps.recheckPool ?? { concurrency: DEFAULT_RECHECK_CONCURRENCY, budgetMs: DEFAULT_RECHECK_TENANT_BUDGET_MS };
  const outcomes = await runPool(tenants, pool, (t, signal) => recheckTenant(deps, t.id, runKey, signal));
  const results = outcomes.map((o, i): TenantRecheck => {
    const id = tenants[i]!.id;
    if (o.kind === "done") return { ...o.value, elapsedMs: o.elapsedMs };
    const e = o.kind === "error" ? o.error : new BudgetExceededError();
    onTenantError(id, e);
    return { ...emptyTenantRecheck(id, "failed"), error: recheckErrorCode(e), elapsedMs: o.elapsedMs };
  });
  return {
    runKey,
    scheduledTime: scheduledTime.toISOString(),
    tenants: results,
    failedTenants: results.filter((r) => r.status === "failed").length,
  };
}
