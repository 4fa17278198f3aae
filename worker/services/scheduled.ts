/**
 * @module services/scheduled
 * What every scheduled trigger runs — the in-process cron (Node), `Deno.cron`,
 * the Worker's `scheduled()` without a queue and the HTTP cron route: every
 * tenant's daily work (recheck, drift check, retention) through a bounded pool
 * with a per-tenant budget, or the override-expiry sweep and every tenant's
 * intraday pack, then a drain of every tenant's alert outbox. (With a queue, a
 * Worker runs the same per-tenant work per message: services/recheck-queue;
 * its sweep enqueues the packs instead of running them: services/pack-queue.)
 * The drain comes second so the alerts of the run's own auto-pauses go out in
 * the same run, and it gives every runtime a periodic delivery pass that does
 * not depend on a long-lived loop (Workers have none; a restarted Node or Deno
 * process has lost its timers).
 */
import { errorFields, type Logger } from "../observability/logger.js";
import { type DrainReport, drainAllTenants } from "./alert-drain.js";
import { enqueueTenantPacks, type PackProducer, packTenant, type TenantPack } from "./pack-queue.js";
import type { DeliveryOptions } from "./alerts.js";
import { runExpirySweep, type SweepReport } from "./expiry-sweep.js";
import { type RecheckDeps, type RecheckReport, recheckRunKey } from "./recheck.js";
import { DEFAULT_RECHECK_CONCURRENCY, DEFAULT_RECHECK_TENANT_BUDGET_MS, runPool } from "./recheck-pool.js";
import type { TenantRetention } from "./retention.js";
import type { TenantDriftCheck } from "./drift-check.js";
import { type DailyStep, runTenantDaily, timedOutDaily } from "./tenant-daily.js";

export interface DrainOptions {
  drainBudgetMs?: number;
  delivery?: Partial<DeliveryOptions>;
}

export interface ScheduledReport extends RecheckReport {
  /** The outbox drain after the recheck; null if it could not run (e.g. the control store failed). */
  alerts: DrainReport | null;
  /** The trace-retention pass after each tenant's recheck, per tenant. */
  retention: TenantRetention[] | null;
  /** The daily drift check (policy driftCheck) after each tenant's recheck, per tenant. */
  drift: TenantDriftCheck[] | null;
}

export interface ScheduledSweepReport extends SweepReport {
  /** The outbox drain after the sweep; null if it could not run. */
  alerts: DrainReport | null;
  /** Each tenant's intraday pack (services/pack); null if the tenant list could not be read, or the packs were enqueued. */
  packed: TenantPack[] | null;
  /**
   * With a pack queue only (`packQueue`): how many intraday-pack messages were enqueued, one per
   * tenant; null if that failed (messages sent before the failure stand; the next sweep enqueues all).
   */
  packEnqueued?: number | null;
}

export type { TenantPack };

export interface SweepOptions extends DrainOptions {
  /**
   * A Worker's queue producer and its trigger's time: each tenant's intraday pack is then
   * enqueued as one message (services/pack-queue), so the sweep's own CPU no longer grows
   * with the traffic to pack. Absent (Node, Deno, the cron route): packed here, in the pool.
   */
  packQueue?: { producer: PackProducer; scheduledTime: Date };
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
 * Runs every tenant's daily work for `scheduledTime` — recheck, drift check,
 * retention (services/tenant-daily) — `deps.recheckPool` tenants at a time, each
 * within its budget, then drains the outbox. A failed or timed-out tenant is
 * reported and the others go on; the run throws only if the tenant list cannot
 * be read (the caller logs or reports it); a failed drain is `alerts: null`.
 */
export async function runScheduledWork(deps: RecheckDeps, scheduledTime: Date, log: Logger, fields: Record<string, unknown>, opts: DrainOptions = {}): Promise<ScheduledReport> {
  const runKey = recheckRunKey(scheduledTime);
  const tenants = await deps.control.listTenants();
  const pool = deps.recheckPool ?? { concurrency: DEFAULT_RECHECK_CONCURRENCY, budgetMs: DEFAULT_RECHECK_TENANT_BUDGET_MS };
  const onError = (tenantId: string) => (step: DailyStep, e: unknown) => log.error(`${step} failed for tenant`, { tenantId, ...errorFields(e) });
  const outcomes = await runPool(tenants, pool, (t, signal) => runTenantDaily(deps, t.id, runKey, signal, onError(t.id)));
  const daily = outcomes.map((o, i) => {
    if (o.kind === "done") return o.value;
    const tenantId = tenants[i]!.id;
    // runTenantDaily never throws, so this is a timeout: the tenant's work goes on in the background, committing nothing more.
    log.error("tenant daily run timed out", { tenantId, budgetMs: pool.budgetMs, ...fields });
    return timedOutDaily(tenantId, o.elapsedMs);
  });
  const results = daily.map((d) => d.recheck);
  const report: RecheckReport = { runKey, scheduledTime: scheduledTime.toISOString(), tenants: results, failedTenants: results.filter((r) => r.status === "failed").length };
  log.info("fairness recheck ran", { runKey, tenants: results.length, failedTenants: report.failedTenants, concurrency: pool.concurrency, ...fields });
  const drift = daily.map((d) => d.drift);
  const alerted = drift.reduce((n, t) => n + t.flows.filter((f) => f.alerted).length, 0);
  if (drift.some((t) => t.status === "checked")) log.info("drift check ran", { tenants: drift.filter((t) => t.status === "checked").length, alerted, ...fields });
  const retention = daily.map((d) => d.retention);
  const deleted = retention.filter((r) => r.status === "deleted");
  if (deleted.length) log.info("trace retention ran", { tenants: deleted.length, traces: deleted.reduce((n, r) => n + r.traces, 0), ...fields });
  return { ...report, alerts: await drainAfter(deps, log, fields, opts), retention, drift };
}

/**
 * Runs the override-expiry sweep, then every tenant's intraday pack (or, with
 * `opts.packQueue`, enqueues one pack message per tenant), then drains the
 * outbox. The sweep judges expiry on deps.clock(), so a trigger's scheduled
 * time is only logged.
 */
export async function runScheduledSweep(deps: RecheckDeps, log: Logger, fields: Record<string, unknown>, opts: SweepOptions = {}): Promise<ScheduledSweepReport> {
  const report = await runExpirySweep(deps, (tenantId, e) => log.error("expiry sweep failed for tenant", { tenantId, ...errorFields(e) }));
  const overrides = report.tenants.reduce((n, t) => n + t.overrides.length, 0);
  const paused = report.tenants.reduce((n, t) => n + t.paused.length, 0);
  log.info("override expiry sweep ran", { runKey: report.runKey, tenants: report.tenants.length, overrides, paused, failedTenants: report.failedTenants, ...fields });
  if (opts.packQueue) {
    const packEnqueued = await enqueuePacks(deps, opts.packQueue, log, fields);
    return { ...report, packed: null, packEnqueued, alerts: await drainAfter(deps, log, fields, opts) };
  }
  const packed = await packAllTenants(deps, log, fields);
  return { ...report, packed, alerts: await drainAfter(deps, log, fields, opts) };
}

/**
 * One intraday-pack message per tenant; null (logged) if the tenant list or a send failed. The
 * expiry sweep's work is committed by then, so the drain still runs and the invocation succeeds.
 */
async function enqueuePacks(deps: RecheckDeps, q: NonNullable<SweepOptions["packQueue"]>, log: Logger, fields: Record<string, unknown>): Promise<number | null> {
  try {
    const { enqueued } = await enqueueTenantPacks(deps, q.producer, q.scheduledTime);
    log.info("intraday pack enqueued", { enqueued, ...fields });
    return enqueued;
  } catch (e) {
    log.error("intraday pack could not be enqueued", { ...errorFields(e), ...fields });
    return null;
  }
}

/**
 * Every tenant's intraday pack, through the recheck's bounded pool and per-tenant budget:
 * it keeps the unpacked tail each gate scans row by row to minutes of traffic. A tenant
 * that fails or runs out of budget is reported; its traces stay in the tail (read the same).
 */
async function packAllTenants(deps: RecheckDeps, log: Logger, fields: Record<string, unknown>): Promise<TenantPack[] | null> {
  let tenants: { id: string }[];
  try {
    tenants = await deps.control.listTenants();
  } catch (e) {
    log.error("intraday pack could not list tenants", { ...errorFields(e), ...fields });
    return null;
  }
  const pool = deps.recheckPool ?? { concurrency: DEFAULT_RECHECK_CONCURRENCY, budgetMs: DEFAULT_RECHECK_TENANT_BUDGET_MS };
  const outcomes = await runPool(tenants, pool, (t) => packTenant(deps, t.id, (e) => log.error("intraday pack failed for tenant", { tenantId: t.id, ...errorFields(e), ...fields })));
  const packed = outcomes.map((o, i): TenantPack => (o.kind === "done" ? o.value : { tenantId: tenants[i]!.id, status: o.kind === "timed_out" ? "timed_out" : "failed" }));
  const done = packed.filter((p): p is Extract<TenantPack, { status: "packed" }> => p.status === "packed");
  log.info("intraday pack ran", { tenants: packed.length, segments: done.reduce((n, p) => n + p.segments, 0), traces: done.reduce((n, p) => n + p.traces, 0), compactedDays: done.reduce((n, p) => n + p.compactedDays, 0), conflicts: done.reduce((n, p) => n + p.conflicts, 0), failedTenants: packed.length - done.length, ...fields });
  return packed;
}
