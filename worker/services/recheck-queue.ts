/**
 * @module services/recheck-queue
 * The daily recheck fanned out over a message queue (Cloudflare Queues on
 * Workers): the scheduled trigger enqueues one message per tenant, and a
 * consumer does that tenant's daily work per message — the recheck (which
 * packs first), the drift check, trace retention, then a drain of its alert
 * outbox: what `runScheduledWork` does for every tenant in one invocation.
 *
 * Each message says whether to acknowledge or retry it. An infrastructure fault
 * (the tenant's store down, a claim held by another run for the whole wait, the
 * budget spent) retries, with exponential backoff; the queue moves a message
 * that keeps failing to its dead-letter queue, and the next day's run tries the
 * tenant again. A redelivery of a message that had succeeded evaluates again
 * and changes nothing: the pause batch is guarded on the flow revision, alerts
 * of an unchanged outcome are not repeated, the drift check runs once per day
 * and retention deletes only what is past its cutoff (services/recheck).
 *
 * The same queue carries the sweep's intraday packs (services/pack-queue);
 * services/queue-consumer parses a body as either job and dispatches. The
 * backoff and the ack-or-retry decision here (failedMessage) serve both.
 */
import { z } from "zod";
import type { Logger } from "../observability/logger.js";
import { errorFields } from "../observability/logger.js";
import { CRON_DRAIN_BUDGET_MS, drainTenantWithin } from "./alert-drain.js";
import type { DeliveryOptions } from "./alerts.js";
import { type RecheckDeps, recheckRunKey } from "./recheck.js";
import { DEFAULT_RECHECK_TENANT_BUDGET_MS, runPool } from "./recheck-pool.js";
import { runTenantDaily, type TenantDailyReport, timedOutDaily } from "./tenant-daily.js";
import { enqueuePerTenant, type TenantJobProducer, tenantJobFields, tenantStoreOf } from "./tenant-jobs.js";

/** One tenant's daily recheck, as a queue message body; `scheduledTime` labels the run (its UTC day). */
export const recheckMessageSchema = z.strictObject({ ...tenantJobFields, job: z.literal("fairness-recheck") });
export type RecheckMessage = z.infer<typeof recheckMessageSchema>;

export type RecheckProducer = TenantJobProducer<RecheckMessage>;

/** Enqueues one message per tenant for `scheduledTime`; returns how many. */
export async function enqueueTenantRechecks(deps: RecheckDeps, producer: RecheckProducer, scheduledTime: Date): Promise<{ runKey: string; enqueued: number }> {
  const iso = scheduledTime.toISOString();
  const enqueued = await enqueuePerTenant(deps, producer, (tenantId) => ({ v: 1, job: "fairness-recheck", tenantId, scheduledTime: iso }) as const);
  return { runKey: recheckRunKey(scheduledTime), enqueued };
}

/** The consumer's decision for one message (`R`: the report of the job it ran; services/pack-queue uses it too). */
export type MessageAction<R = TenantDailyReport> = { action: "ack"; report: R | null; reason?: string } | { action: "retry"; delaySeconds: number; report: R | null; reason: string };

export interface ConsumeOptions {
  /** First retry's delay; each further attempt doubles it (at most RETRY_DELAY_MAX_SECONDS). */
  retryBaseSeconds: number;
  /** One message's time budget (the recheck stops before its next write past it, and the message is retried). */
  budgetMs?: number;
  delivery?: Partial<DeliveryOptions>;
}

export const RETRY_DELAY_MAX_SECONDS = 3_600;

/** Exponential backoff for the `attempts`-th delivery (1 = the first) that failed. */
export const retryDelaySeconds = (attempts: number, baseSeconds: number): number => Math.min(RETRY_DELAY_MAX_SECONDS, baseSeconds * 2 ** Math.max(0, attempts - 1));

/** Reasons a message is acknowledged although nothing was done: retrying would not change them (every job's consumer). */
const FINAL_ERRORS: ReadonlySet<string> = new Set(["tenant_missing"]);

/**
 * The action for a message whose job failed with `reason`: acknowledged when retrying cannot
 * change it (FINAL_ERRORS), else retried with the backoff. `job` names it in the log
 * ("tenant recheck", "tenant intraday pack"). Every job's consumer decides through this.
 */
export function failedMessage<R>(job: string, reason: string, report: R, attempts: number, opts: ConsumeOptions, log: Logger, fields: Record<string, unknown>): MessageAction<R> {
  if (FINAL_ERRORS.has(reason)) {
    log.warn(`${job} not possible; message dropped`, { ...fields, reason });
    return { action: "ack", report, reason };
  }
  const delaySeconds = retryDelaySeconds(attempts, opts.retryBaseSeconds);
  log.warn(`${job} will be retried`, { ...fields, reason, delaySeconds });
  return { action: "retry", delaySeconds, report, reason };
}

/**
 * Handles one recheck message (its `attempts`-th delivery; services/queue-consumer parsed it):
 * does the tenant's daily work and says whether to ack or retry it. Never throws.
 */
export async function consumeRecheckMessage(deps: RecheckDeps, msg: RecheckMessage, attempts: number, log: Logger, opts: ConsumeOptions): Promise<MessageAction> {
  const fields = { tenantId: msg.tenantId, attempts };
  const [outcome] = await runPool([msg], { concurrency: 1, budgetMs: opts.budgetMs ?? DEFAULT_RECHECK_TENANT_BUDGET_MS }, (m, signal) =>
    runTenantDaily(deps, m.tenantId, recheckRunKey(new Date(m.scheduledTime)), signal, (step, e) => log.error(`${step} failed for tenant`, { ...fields, ...errorFields(e) })),
  );
  // runTenantDaily never throws; a timeout is the only other outcome.
  const report = outcome!.kind === "done" ? outcome!.value : timedOutDaily(msg.tenantId, outcome!.elapsedMs);
  if (report.failure) return failedMessage("tenant recheck", report.failure, report, attempts, opts, log, fields);
  // Its alerts go out now; what cannot be delivered stays in the outbox for the next drain (this never throws).
  await (async () => {
    const store = await tenantStoreOf(deps, msg.tenantId);
    if (store) await drainTenantWithin(store, Date.now() + CRON_DRAIN_BUDGET_MS, opts.delivery);
  })().catch(() => {});
  const r = report.recheck;
  log.info("tenant recheck ran", { ...fields, status: r.status, flows: r.flowsChecked, paused: r.paused.length, elapsedMs: r.elapsedMs });
  return { action: "ack", report };
}
