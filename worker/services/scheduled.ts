/**
 * @module services/scheduled
 * What every scheduled trigger runs — the in-process cron (Node), `Deno.cron`,
 * the Worker's `scheduled()` and the HTTP cron route: the daily recheck or the
 * override-expiry sweep, then a drain of every tenant's alert outbox. The drain
 * comes second so the alerts of the run's own auto-pauses go out in the same
 * run, and it gives every runtime a periodic delivery pass that does not depend
 * on a long-lived loop (Workers have none; a restarted Node or Deno process has
 * lost its timers).
 */
import { errorFields, type Logger } from "../observability/logger.js";
import { type DrainReport, drainAllTenants } from "./alert-drain.js";
import type { DeliveryOptions } from "./alerts.js";
import { runExpirySweep, type SweepReport } from "./expiry-sweep.js";
import { type RecheckDeps, type RecheckReport, runFairnessRecheck } from "./recheck.js";
import { runRetention, type TenantRetention } from "./retention.js";
import { runDriftChecks, type TenantDriftCheck } from "./drift-check.js";

export interface DrainOptions {
  drainBudgetMs?: number;
  delivery?: Partial<DeliveryOptions>;
}

export interface ScheduledReport extends RecheckReport {
  /** The outbox drain after the recheck; null if it could not run (e.g. the control store failed). */
  alerts: DrainReport | null;
  /** The trace-retention pass after the recheck, per tenant; null if it could not run. */
  retention: TenantRetention[] | null;
  /** The daily drift check (policy driftCheck) after the recheck, per tenant; null if it could not run. */
  drift: TenantDriftCheck[] | null;
}

export interface ScheduledSweepReport extends SweepReport {
  /** The outbox drain after the sweep; null if it could not run. */
  alerts: DrainReport | null;
}

/** The drain after a run: logged and reported as null on failure, since the run's work is already committed. */
async function drainAfter(deps: RecheckDeps, log: Logger, fields: Record<string, unknown>, opts: DrainOptions): Promise<DrainReport | null> {
  try {
    const alerts = await drainAllTenants(deps, {
      budgetMs: opts.drainBudgetMs,
      delivery: opts.delivery,
      onTenantError: (tenantId, e) => log.error("alert drain failed for tenant", { tenantId, ...errorFields(e) }),
    });
    const { failedTenants, ...counts } = alerts;
    log.info("alert outbox drained", { ...counts, failedTenants: failedTenants.length, ...fields });
    return alerts;
  } catch (e) {
    log.error("alert outbox drain failed", { ...errorFields(e), ...fields });
    return null;
  }
}

/**
 * Runs the recheck for `scheduledTime`, then drains the outbox. A failed recheck
 * throws (the caller logs or reports it); a failed drain is reported as `alerts: null`.
 */
export async function runScheduledWork(deps: RecheckDeps, scheduledTime: Date, log: Logger, fields: Record<string, unknown>, opts: DrainOptions = {}): Promise<ScheduledReport> {
  const report = await runFairnessRecheck(deps, scheduledTime, (tenantId, e) => log.error("recheck failed for tenant", { tenantId, ...errorFields(e) }));
  log.info("fairness recheck ran", { runKey: report.runKey, tenants: report.tenants.length, failedTenants: report.failedTenants, ...fields });
  // The drift check (before retention, like the recheck) audits and alerts but never pauses a flow.
  let drift: TenantDriftCheck[] | null = null;
  try {
    drift = await runDriftChecks(deps, (tenantId, e) => log.error("drift check failed for tenant", { tenantId, ...errorFields(e) }));
    const alerted = drift.reduce((n, t) => n + t.flows.filter((f) => f.alerted).length, 0);
    if (drift.some((t) => t.status === "checked")) log.info("drift check ran", { tenants: drift.filter((t) => t.status === "checked").length, alerted, ...fields });
  } catch (e) {
    log.error("drift check failed", { ...errorFields(e), ...fields });
  }
  // Retention runs after the recheck, so the day's evaluation still saw the traces it deletes.
  let retention: TenantRetention[] | null = null;
  try {
    retention = await runRetention(deps, (tenantId, e) => log.error("trace retention failed for tenant", { tenantId, ...errorFields(e) }));
    const deleted = retention.filter((r) => r.status === "deleted");
    if (deleted.length) log.info("trace retention ran", { tenants: deleted.length, traces: deleted.reduce((n, r) => n + r.traces, 0), ...fields });
  } catch (e) {
    log.error("trace retention failed", { ...errorFields(e), ...fields });
  }
  return { ...report, alerts: await drainAfter(deps, log, fields, opts), retention, drift };
}

/**
 * Runs the override-expiry sweep, then drains the outbox. The sweep judges
 * expiry on deps.clock(), so a trigger's scheduled time is only logged.
 */
export async function runScheduledSweep(deps: RecheckDeps, log: Logger, fields: Record<string, unknown>, opts: DrainOptions = {}): Promise<ScheduledSweepReport> {
  const report = await runExpirySweep(deps, (tenantId, e) => log.error("expiry sweep failed for tenant", { tenantId, ...errorFields(e) }));
  const overrides = report.tenants.reduce((n, t) => n + t.overrides.length, 0);
  const paused = report.tenants.reduce((n, t) => n + t.paused.length, 0);
  log.info("override expiry sweep ran", { runKey: report.runKey, tenants: report.tenants.length, overrides, paused, failedTenants: report.failedTenants, ...fields });
  return { ...report, alerts: await drainAfter(deps, log, fields, opts) };
}
