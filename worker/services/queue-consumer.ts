/**
 * @module services/queue-consumer
 * The consumer of the Worker's one queue. A message body is a versioned job,
 * told apart by `job`: `fairness-recheck` (a tenant's daily work,
 * services/recheck-queue) or `intraday-pack` (a tenant's sweep pack,
 * services/pack-queue). One queue for both keeps one consumer, one retry
 * policy and one dead-letter queue to watch. A body no version of this code
 * wrote is acknowledged and logged, since retrying cannot help.
 */
import { z } from "zod";
import type { Logger } from "../observability/logger.js";
import { consumePackMessage, packMessageSchema, type TenantPack } from "./pack-queue.js";
import type { RecheckDeps } from "./recheck.js";
import { type ConsumeOptions, consumeRecheckMessage, type MessageAction, recheckMessageSchema } from "./recheck-queue.js";
import type { TenantDailyReport } from "./tenant-daily.js";

/** Every message body the queue carries. */
export const queueMessageSchema = z.discriminatedUnion("job", [recheckMessageSchema, packMessageSchema]);
export type QueueMessage = z.infer<typeof queueMessageSchema>;

/**
 * Handles one delivered message body (its `attempts`-th delivery) by its job
 * and says whether to ack or retry it. Never throws.
 */
export async function consumeQueueMessage(deps: RecheckDeps, body: unknown, attempts: number, log: Logger, opts: ConsumeOptions): Promise<MessageAction<TenantDailyReport | TenantPack>> {
  const parsed = queueMessageSchema.safeParse(body);
  if (!parsed.success) {
    log.error("queue message malformed; dropped", { issue: parsed.error.issues[0]?.message });
    return { action: "ack", report: null, reason: "malformed" };
  }
  const msg = parsed.data;
  return msg.job === "intraday-pack" ? consumePackMessage(deps, msg, attempts, log, opts) : consumeRecheckMessage(deps, msg, attempts, log, opts);
}
