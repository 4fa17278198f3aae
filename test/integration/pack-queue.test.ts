/**
 * The sweep's intraday pack fanned out over a queue (services/pack-queue, dispatched by
 * services/queue-consumer), in-process over real libSQL files with an injected clock. With
 * a producer the sweep enqueues one pack message per tenant and packs nothing itself; the
 * consumer packs the tenant named by a message and acks, a redelivery packs nothing new, a
 * write batch failing the way a lost connection does is retried with the recheck's
 * backoff (and packs once the store is back), a deleted tenant or a malformed body is
 * acked, and a recheck message still runs the daily work. (In real workerd with a real
 * queue: test/e2e/worker-queue.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../worker/observability/logger.js";
import { INTRADAY_LAG_MS, INTRADAY_MIN_ROWS } from "../../worker/services/pack.js";
import { type PackMessage, type PackProducer, packMessageSchema } from "../../worker/services/pack-queue.js";
import { consumeQueueMessage } from "../../worker/services/queue-consumer.js";
import { runScheduledSweep } from "../../worker/services/scheduled.js";
import { failingBatches } from "../helpers/failing-client.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, bulk, createFlow, createTenant, fairLines, openTenantDb, PLATINUM_FLOW, type TenantFixture } from "./_support.js";

let nowMs = Date.parse("2031-06-02T09:00:00.000Z");
const clock = () => new Date(nowMs);
/** While true, every write batch of every tenant store fails as on a lost connection. */
let storeDown = false;

let app: InProcessApp;
let api: Api;
let A: TenantFixture;
let B: TenantFixture;
const lines: string[] = [];
const log = createLogger({ sink: (l) => lines.push(l) });
const OPTS = { retryBaseSeconds: 30, budgetMs: 10_000 };

const packMessage = (tenantId: string): PackMessage => ({ v: 1, job: "intraday-pack", tenantId, scheduledTime: clock().toISOString() });
async function counts(fx: TenantFixture) {
  const db = openTenantDb(app, fx.id);
  try {
    const n = async (sql: string) => Number((await db.execute(sql)).rows[0]!.n);
    return { segments: await n("SELECT count(*) AS n FROM trace_segments"), packed: await n("SELECT count(*) AS n FROM decision_traces WHERE segment_id IS NOT NULL"), unpacked: await n("SELECT count(*) AS n FROM decision_traces WHERE segment_id IS NULL") };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  app = await createInProcessApp({ clock, alertDelivery: "off", wrapTenantClient: (c) => failingBatches(c, (_stmts, mode) => storeDown && mode === "write") });
  api = inProcessClient(app);
  for (const name of ["pack-queue-a", "pack-queue-b"]) {
    const fx = await createTenant(app, name);
    await createFlow(api, fx.keys.publisher, "platinum", PLATINUM_FLOW);
    // INTRADAY_MIN_ROWS + 100 traces of today, then past the lag: packable by the next intraday pack.
    expect((await bulk(api, fx.keys.operator, fairLines("platinum", INTRADAY_MIN_ROWS / 2 + 50))).status).toBe(201);
    if (name.endsWith("a")) A = fx;
    else B = fx;
  }
  nowMs += INTRADAY_LAG_MS + 60_000;
}, 60_000);
afterAll(() => app?.close());

describe("the sweep's intraday pack over a queue", () => {
  it("with a producer the sweep enqueues one message per tenant and packs nothing; the consumer packs and acks; a redelivery packs nothing new", async () => {
    const sent: { body: PackMessage; contentType?: string }[][] = [];
    const producer: PackProducer = { sendBatch: async (ms) => void sent.push([...ms]) };
    const report = await runScheduledSweep(app.deps, log, { trigger: "test" }, { packQueue: { producer, scheduledTime: clock() } });
    const tenants = (await app.deps.control.listTenants()).map((t) => t.id);
    expect(report.packEnqueued).toBe(tenants.length);
    expect(report.packed).toBeNull();
    expect(report.alerts).not.toBeNull();
    expect(lines.some((l) => JSON.parse(l).msg === "intraday pack enqueued" && JSON.parse(l).enqueued === tenants.length)).toBe(true);
    const bodies = sent.flat().map((m) => packMessageSchema.parse(m.body));
    expect(bodies.map((b) => b.tenantId).sort()).toEqual([...tenants].sort());
    expect(sent.flat().every((m) => m.contentType === "json")).toBe(true);
    // The sweep itself packed nothing.
    expect(await counts(A)).toEqual({ segments: 0, packed: 0, unpacked: INTRADAY_MIN_ROWS + 100 });

    const first = await consumeQueueMessage(app.deps, bodies.find((b) => b.tenantId === A.id), 1, log, OPTS);
    expect(first).toMatchObject({ action: "ack", report: { tenantId: A.id, status: "packed", segments: 1, traces: INTRADAY_MIN_ROWS + 100, conflicts: 0 } });
    const after = await counts(A);
    expect(after).toEqual({ segments: 1, packed: INTRADAY_MIN_ROWS + 100, unpacked: 0 });
    const again = await consumeQueueMessage(app.deps, packMessage(A.id), 2, log, OPTS);
    expect(again).toMatchObject({ action: "ack", report: { status: "packed", segments: 0, traces: 0 } });
    expect(await counts(A)).toEqual(after);
  });

  it("a store fault is retried with exponential backoff and packs nothing; once the store is back the message packs", async () => {
    const before = await counts(B);
    expect(before.unpacked).toBe(INTRADAY_MIN_ROWS + 100);
    storeDown = true;
    try {
      const r1 = await consumeQueueMessage(app.deps, packMessage(B.id), 1, log, OPTS);
      const r3 = await consumeQueueMessage(app.deps, packMessage(B.id), 3, log, OPTS);
      expect(r1).toMatchObject({ action: "retry", delaySeconds: 30, report: { tenantId: B.id, status: "failed" } });
      expect(r3).toMatchObject({ action: "retry", delaySeconds: 120 });
      expect(r1.action === "retry" && r1.reason).toBe("store_unavailable");
    } finally {
      storeDown = false;
    }
    expect(await counts(B)).toEqual(before);
    const ok = await consumeQueueMessage(app.deps, packMessage(B.id), 4, log, OPTS);
    expect(ok).toMatchObject({ action: "ack", report: { status: "packed", segments: 1, traces: INTRADAY_MIN_ROWS + 100 } });
    expect(await counts(B)).toEqual({ segments: 1, packed: INTRADAY_MIN_ROWS + 100, unpacked: 0 });
  });

  it("a deleted tenant and a malformed body are acked; a recheck message still runs the daily work", async () => {
    expect(await consumeQueueMessage(app.deps, packMessage("no-such-tenant"), 1, log, OPTS)).toMatchObject({ action: "ack", reason: "tenant_missing", report: { status: "failed", error: "tenant_missing" } });
    const { scheduledTime } = packMessage(A.id);
    for (const body of [null, "x", {}, { v: 1, job: "intraday-pack", tenantId: A.id }, { v: 2, job: "intraday-pack", tenantId: A.id, scheduledTime }, { v: 1, job: "compact", tenantId: A.id, scheduledTime }, { ...packMessage(A.id), extra: 1 }])
      expect(await consumeQueueMessage(app.deps, body, 1, log, OPTS), JSON.stringify(body)).toEqual({ action: "ack", report: null, reason: "malformed" });
    const recheck = await consumeQueueMessage(app.deps, { v: 1, job: "fairness-recheck", tenantId: A.id, scheduledTime }, 1, log, OPTS);
    // No fairness policy: the recheck has nothing to check, and the daily report says so.
    expect(recheck).toMatchObject({ action: "ack", report: { tenantId: A.id, recheck: { tenantId: A.id, status: "not_enabled" } } });
  });

  it("without a producer the sweep packs inline, as before", async () => {
    const fx = await createTenant(app, "pack-queue-inline");
    await createFlow(api, fx.keys.publisher, "platinum", PLATINUM_FLOW);
    expect((await bulk(api, fx.keys.operator, fairLines("platinum", INTRADAY_MIN_ROWS / 2))).status).toBe(201);
    nowMs += INTRADAY_LAG_MS + 60_000;
    const report = await runScheduledSweep(app.deps, log, { trigger: "test" });
    expect(report.packEnqueued).toBeUndefined();
    expect(report.packed?.find((p) => p.tenantId === fx.id)).toMatchObject({ status: "packed", segments: 1, traces: INTRADAY_MIN_ROWS });
    expect(await counts(fx)).toEqual({ segments: 1, packed: INTRADAY_MIN_ROWS, unpacked: 0 });
  });
});
