/**
 * @module services/scheduled-jobs
 * The two scheduled jobs — the daily recheck and the override-expiry sweep — as one runtime
 * runs them, so that every trigger it has (its cron, a Worker's `scheduled()`, the
 * secret-guarded HTTP route) runs them the same way: inline (Node, Deno, a Worker without a
 * queue: services/scheduled), or, on a Worker with the recheck queue bound, fanned out — one
 * recheck message per tenant, and the sweep with its intraday packs enqueued — so no single
 * invocation's CPU grows with the number of tenants.
 */
import type { Logger } from "../observability/logger.js";
import type { PackProducer } from "./pack-queue.js";
import type { RecheckDeps } from "./recheck.js";
import { enqueueTenantRechecks, type RecheckProducer } from "./recheck-queue.js";
import { runScheduledSweep, runScheduledWork, type ScheduledReport, type ScheduledSweepReport } from "./scheduled.js";

/** A daily recheck's report: the run itself, or how many tenant messages were enqueued for it. */
export type RecheckRun = ScheduledReport | { runKey: string; enqueued: number };

/** `fields` go on every log line the job writes (trigger, cron, …). */
export interface ScheduledJobs {
  recheck(scheduledTime: Date, log: Logger, fields: Record<string, unknown>): Promise<RecheckRun>;
  sweep(scheduledTime: Date, log: Logger, fields: Record<string, unknown>): Promise<ScheduledSweepReport>;
}

/** Both jobs run here, every tenant through the bounded pool (services/scheduled). */
export function createInlineJobs(deps: RecheckDeps): ScheduledJobs {
  return {
    recheck: (scheduledTime, log, fields) => runScheduledWork(deps, scheduledTime, log, fields),
    sweep: (_scheduledTime, log, fields) => runScheduledSweep(deps, log, fields),
  };
}

/** Both jobs fanned out over a Worker's recheck queue (services/recheck-queue, services/pack-queue). */
export function createQueuedJobs(deps: RecheckDeps, producer: RecheckProducer & PackProducer): ScheduledJobs {
  return {
    async recheck(scheduledTime, log, fields) {
      const r = await enqueueTenantRechecks(deps, producer, scheduledTime);
      log.info("fairness recheck enqueued", { ...r, ...fields });
      return r;
    },
    sweep: (scheduledTime, log, fields) => runScheduledSweep(deps, log, fields, { packQueue: { producer, scheduledTime } }),
  };
}
