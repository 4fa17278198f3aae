/**
 * The pack job's queue plumbing without a store (services/pack-queue): the sweep's
 * messages go out SEND_BATCH_MAX a call, one per tenant, each a valid versioned body of
 * the queue's union; a pack past its budget is retried, not acked.
 */
import { describe, expect, it } from "vitest";
import { createLogger } from "../../worker/observability/logger.js";
import { consumePackMessage, enqueueTenantPacks, type PackMessage } from "../../worker/services/pack-queue.js";
import { queueMessageSchema } from "../../worker/services/queue-consumer.js";
import type { RecheckDeps } from "../../worker/services/recheck.js";
import { SEND_BATCH_MAX } from "../../worker/services/tenant-jobs.js";

const log = createLogger({ sink: () => {} });
/** Only what the functions under test reach; anything else would throw. */
const depsWith = (control: Partial<RecheckDeps["control"]>) => ({ control }) as unknown as RecheckDeps;

describe("enqueueTenantPacks", () => {
  it("sends one intraday-pack message per tenant, at most SEND_BATCH_MAX per sendBatch", async () => {
    const ids = Array.from({ length: 2 * SEND_BATCH_MAX + 50 }, (_, i) => `t-${i}`);
    const batches: { body: PackMessage; contentType?: string }[][] = [];
    const at = new Date("2031-06-02T09:15:00.000Z");
    const r = await enqueueTenantPacks(depsWith({ listTenants: async () => ids.map((id) => ({ id })) as never }), { sendBatch: async (ms) => void batches.push([...ms]) }, at);
    expect(r).toEqual({ enqueued: ids.length });
    expect(batches.map((b) => b.length)).toEqual([SEND_BATCH_MAX, SEND_BATCH_MAX, 50]);
    const bodies = batches.flat().map((m) => queueMessageSchema.parse(m.body));
    expect(bodies.map((b) => b.tenantId)).toEqual(ids);
    expect(new Set(bodies.map((b) => `${b.v}/${b.job}/${b.scheduledTime}`))).toEqual(new Set([`1/intraday-pack/${at.toISOString()}`]));
  });

  it("sends nothing when there are no tenants", async () => {
    let calls = 0;
    const r = await enqueueTenantPacks(depsWith({ listTenants: async () => [] }), { sendBatch: async () => void calls++ }, new Date());
    expect(r).toEqual({ enqueued: 0 });
    expect(calls).toBe(0);
  });
});

describe("consumePackMessage", () => {
  it("retries a pack that runs past the message's budget", async () => {
    const stalled = depsWith({ getTenant: () => new Promise(() => {}) });
    const msg: PackMessage = { v: 1, job: "intraday-pack", tenantId: "t-1", scheduledTime: new Date().toISOString() };
    const r = await consumePackMessage(stalled, msg, 2, log, { retryBaseSeconds: 10, budgetMs: 50 });
    expect(r).toEqual({ action: "retry", delaySeconds: 20, reason: "timed_out", report: { tenantId: "t-1", status: "timed_out" } });
  });
});
