/**
 * @module services/tenant-daily
 * One tenant's daily work, in the order the day needs it: the fairness recheck
 * (which packs first), the drift check, then trace retention (after the
 * recheck, so the day's evaluation still saw the traces it deletes). The unit
 * both fan-outs run: the bounded pool of a Node/Deno run (and of a Worker
 * without a queue) and one queue message on Workers.
 *
 * Each step's failure is reported in its own entry and the later steps still
 * try, as when each ran over every tenant in turn; `failure` names the first
 * infrastructure fault, which a queue consumer retries. Once `signal` fires (the
 * tenant's budget is spent) no further step starts and the recheck commits
 * nothing more.
 */
import { type TenantDriftCheck, applyDriftCheck } from "./drift-check.js";
import { type RecheckDeps, emptyTenantRecheck, recheckErrorCode, recheckTenant, type TenantRecheck } from "./recheck.js";
import { BudgetExceededError, checkBudget } from "./recheck-pool.js";
import { applyRetention, type TenantRetention } from "./retention.js";
import { tenantStoreOf } from "./tenant-jobs.js";

export interface TenantDailyReport {
  tenantId: string;
  recheck: TenantRecheck;
  drift: TenantDriftCheck;
  retention: TenantRetention;
  /** The stable code of the first step that failed (or `busy`, `timed_out`); absent when all ran. */
  failure?: string;
}

/** Which step failed, for the caller's log line. */
export type DailyStep = "recheck" | "drift check" | "trace retention";

const failedDrift = (tenantId: string): TenantDriftCheck => ({ tenantId, status: "failed", flows: [] });
const failedRetention = (tenantId: string): TenantRetention => ({ tenantId, status: "failed", cutoff: null, traces: 0, segments: 0 });

/** The report of a tenant whose daily work did not finish within its budget. */
export function timedOutDaily(tenantId: string, elapsedMs: number): TenantDailyReport {
  return {
    tenantId,
    recheck: { ...emptyTenantRecheck(tenantId, "failed"), error: "timed_out", elapsedMs },
    drift: failedDrift(tenantId),
    retention: failedRetention(tenantId),
    failure: "timed_out",
  };
}

/** Runs the tenant's daily work for the run `runKey`. Never throws. */
export async function runTenantDaily(
  deps: RecheckDeps,
  tenantId: string,
  runKey: string,
  signal: AbortSignal,
  onError: (step: DailyStep, e: unknown) => void = () => {},
): Promise<TenantDailyReport> {
  const started = Date.now();
  let failure: string | undefined;
  const fail = (step: DailyStep, e: unknown) => {
    failure ??= recheckErrorCode(e);
    // A spent budget is the caller's to report, once.
    if (!(e instanceof BudgetExceededError)) onError(step, e);
  };
  let recheck: TenantRecheck;
  try {
    recheck = await recheckTenant(deps, tenantId, runKey, signal);
    if (recheck.status === "failed" || recheck.status === "busy") failure = recheck.status === "busy" ? "busy" : (recheck.error ?? "internal_error");
  } catch (e) {
    fail("recheck", e);
    recheck = { ...emptyTenantRecheck(tenantId, "failed"), error: recheckErrorCode(e) };
  }
  recheck.elapsedMs = Date.now() - started;
  // The recheck found no tenant record: there is nothing to check drift or retention on.
  if (recheck.error === "tenant_missing") return { tenantId, recheck, drift: failedDrift(tenantId), retention: failedRetention(tenantId), failure };
  const step = async <R>(name: DailyStep, run: () => Promise<R>, failed: R): Promise<R> => {
    try {
      checkBudget(signal);
      return await run();
    } catch (e) {
      fail(name, e);
      return failed;
    }
  };
  const store = async () => {
    const s = await tenantStoreOf(deps, tenantId);
    if (!s) throw new Error("tenant record vanished during its daily run");
    return s;
  };
  const drift = await step("drift check", async () => applyDriftCheck(deps, await store()), failedDrift(tenantId));
  const retention = await step("trace retention", async () => applyRetention(deps, await store()), failedRetention(tenantId));
  return { tenantId, recheck, drift, retention, ...(failure ? { failure } : {}) };
}
