/**
 * @module services/scheduled
 * What every scheduled trigger runs — the in-process cron (Node), `Deno.cron`,
 * the Worker's `scheduled()` and the HTTP cron route: the daily recheck, then a
 * drain of every tenant's alert outbox. The drain comes second so the alerts of
 * the recheck's own auto-pauses go out in the same run, and it gives every
 * runtime a periodic delivery pass that does not depend on a long-lived loop
 * (Workers have none; a restarted Node or Deno process has lost its timers).
 */
import { errorFields, type Logger } from "../observability/logger.js";
import { type DrainReport, drainAllTenants } from "./alert-drain.js";
import type { DeliveryOptions } from "./alerts.js";
import { type RecheckDeps, type RecheckReport, runFairnessRecheck } from "./recheck.js";

export interface ScheduledReport extends RecheckReport {
  /** The outbox drain after the recheck; null if it could not run (e.g. the control store failed). */
  alerts: DrainReport | null;
}

/**
 * Runs the recheck for `scheduledTime`, then drains the outbox. A failed recheck
 * throws (as before: the caller logs or reports it); a failed drain is logged and
 * reported as `alerts: null`, since the recheck's work is already committed.
 */
export async function runScheduledWork(
  deps: RecheckDeps,
  scheduledTime: Date,
  log: Logger,
  fields: Record<string, unknown>,
  opts: { drainBudgetMs?: number; delivery?: Partial<DeliveryOptions> } = {},
): Promise<ScheduledReport> {
  const report = await runFairnessRecheck(deps, scheduledTime, (tenantId, e) => log.error("recheck failed for tenant", { tenantId, ...errorFields(e) }));
  log.info("fairness recheck ran", { runKey: report.runKey, tenants: report.tenants.length, failedTenants: report.failedTenants, ...fields });
  let alerts: DrainReport | null = null;
  try {
    alerts = await drainAllTenants(deps, {
      budgetMs: opts.drainBudgetMs,
      delivery: opts.delivery,
      onTenantError: (tenantId, e) => log.error("alert drain failed for tenant", { tenantId, ...errorFields(e) }),
    });
    const { failedTenants, ...counts } = alerts;
    log.info("alert outbox drained", { ...counts, failedTenants: failedTenants.length, ...fields });
  } catch (e) {
    log.error("alert outbox drain failed", { ...errorFields(e), ...fields });
  }
  return { ...report, alerts };
}
