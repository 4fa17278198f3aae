/**
 * @module services/pack-queue
 * The 15-minute sweep's intraday pack fanned out over the recheck queue
 * (Cloudflare Queues on Workers). Packing every tenant inline costs CPU in
 * proportion to the traffic of the last minutes, and one Worker invocation's
 * CPU limit caps that at a few million traces a sweep; so with the producer
 * bound the sweep runs the (cheap) override-expiry sweep itself and enqueues
 * one `intraday-pack` message per tenant, and the consumer packs one tenant
 * per message within its budget. Same queue, consumer and dead-letter queue as
 * the daily recheck (services/queue-consumer dispatches on `job`), and the
 * same rules: a deleted tenant is acknowledged; an infrastructure fault (the
 * store down, the budget spent) is retried with the recheck's backoff and
 * lands in the dead-letter queue after max_retries — the next sweep, 15
 * minutes on, enqueues the tenant again, and until then its traces are read
 * as the unpacked tail, so nothing is lost, only slower to read.
 *
 * Idempotent by effect: a pack takes only unpacked traces and marks them in
 * the guarded batch that writes their segment (services/pack), so a
 * redelivered message — or one running beside the daily job's pack or the
 * pack route — packs nothing twice and skips nothing; a pack cut off by its
 * budget leaves only whole committed segments behind.
 */
import { z } from "zod";
import { AppError } from "../domain/errors.js";
import { errorFields, type Logger } from "../observability/logger.js";
import { type PackReport, packTraces } from "./pack.js";
import type { RecheckDeps } from "./recheck.js";
import { DEFAULT_RECHECK_TENANT_BUDGET_MS, runPool } from "./recheck-pool.js";
import { type ConsumeOptions, failedMessage, type MessageAction } from "./recheck-queue.js";
import { enqueuePerTenant, type TenantJobProducer, tenantJobFields, tenantStoreOf } from "./tenant-jobs.js";

/** One tenant's intraday pack, as a queue message body; `scheduledTime` is logged only (what is old enough to pack is judged on deps.clock()). */
export const packMessageSchema = z.strictObject({ ...tenantJobFields, job: z.literal("intraday-pack") });
export type PackMessage = z.infer<typeof packMessageSchema>;

export type PackProducer = TenantJobProducer<PackMessage>;

/** One tenant's pack in a sweep or a message: what it packed, or why it did not. */
export type TenantPack = ({ tenantId: string; status: "packed" } & PackReport) | { tenantId: string; status: "failed" | "timed_out"; error?: string };

/**
 * One tenant's intraday pack (what the sweep's inline pool runs per tenant, and
 * the consumer per message). Never throws: a failure is reported with its
 * problem code (tenant_missing for a deleted tenant) and passed to `onError`.
 */
export async function packTenant(deps: RecheckDeps, tenantId: string, onError: (e: unknown) => void): Promise<TenantPack> {
  try {
    const store = await tenantStoreOf(deps, tenantId);
    if (!store) return { tenantId, status: "failed", error: "tenant_missing" };
    return { tenantId, status: "packed", ...(await packTraces(deps, store, { intraday: {} })) };
  } catch (e) {
    onError(e);
    return { tenantId, status: "failed", error: e instanceof AppError ? e.code : "internal_error" };
  }
}

/** Enqueues one pack message per tenant for the sweep at `scheduledTime`; returns how many. */
export async function enqueueTenantPacks(deps: RecheckDeps, producer: PackProducer, scheduledTime: Date): Promise<{ enqueued: number }> {
  const iso = scheduledTime.toISOString();
  return { enqueued: await enqueuePerTenant(deps, producer, (tenantId) => ({ v: 1, job: "intraday-pack", tenantId, scheduledTime: iso }) as const) };
}

/**
 * Handles one parsed pack message (its `attempts`-th delivery): packs the
 * tenant within `opts.budgetMs` and says whether to ack or retry. Never throws.
 * A pack past its budget is not interrupted (each of its steps is one guarded
 * batch); the message is retried and its redelivery packs what is left.
 */
export async function consumePackMessage(deps: RecheckDeps, msg: PackMessage, attempts: number, log: Logger, opts: ConsumeOptions): Promise<MessageAction<TenantPack>> {
  const fields = { tenantId: msg.tenantId, attempts, job: msg.job };
  const [outcome] = await runPool([msg], { concurrency: 1, budgetMs: opts.budgetMs ?? DEFAULT_RECHECK_TENANT_BUDGET_MS }, (m) =>
    packTenant(deps, m.tenantId, (e) => log.error("intraday pack failed for tenant", { ...fields, ...errorFields(e) })),
  );
  // packTenant never throws, so anything but "done" is in practice a timeout.
  const report: TenantPack = outcome!.kind === "done" ? outcome!.value : { tenantId: msg.tenantId, status: outcome!.kind === "timed_out" ? "timed_out" : "failed" };
  if (report.status !== "packed") return failedMessage("tenant intraday pack", report.status === "timed_out" ? "timed_out" : (report.error ?? "internal_error"), report, attempts, opts, log, fields);
  log.info("tenant intraday pack ran", { ...fields, segments: report.segments, traces: report.traces, compactedDays: report.compactedDays, conflicts: report.conflicts });
  return { action: "ack", report };
}
