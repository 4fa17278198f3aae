/**
 * Alert delivery without the background loop (as on Workers, or after a Node
 * restart lost the loop's timers), against a real receiver on 127.0.0.1:
 * - the HTTP cron route drains pending alerts after the recheck, honouring the
 *   retry bookkeeping (a failed attempt is not retried before its backoff, then
 *   is, and a delivered alert is never sent again);
 * - the Worker's after-response drain (collector + bounded drain) delivers the
 *   alerts a request queued, waiting out a short first retry.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutboxCollector, drainQueued } from "../../worker/services/alert-drain.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Received, startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import { breachingLines, bulk, createFlow, createTenant, PLATINUM_FLOW, policy, type TenantFixture } from "../integration/_support.js";

const SECRET = "whsec-drain-0123456789abcdef";

describe("alert delivery without the background loop", () => {
  let app: InProcessApp;
  let api: ReturnType<typeof inProcessClient>;
  let hook: WebhookReceiver;
  let url: string;
  let received: Received[];
  /** How many of the next requests the receiver answers with 500. */
  let failNext = 0;

  beforeAll(async () => {
    hook = await startWebhookReceiver((res) => {
      if (failNext-- > 0) res.writeHead(500).end("down");
      else res.writeHead(204).end();
    });
    ({ url, received } = hook);
    app = await createInProcessApp({ alertDelivery: "off" });
    api = inProcessClient(app);
  });
  afterAll(async () => {
    await app.close();
    await hook.close();
  });

  /** A tenant with a webhook to the receiver and a flow whose publish is blocked (one queued block alert). */
  async function blockedTenant(): Promise<{ fx: TenantFixture; evaluationId: string }> {
    const fx = await createTenant(app, `dr-${crypto.randomUUID().slice(0, 8)}`);
    const put = await api.request("PUT", "/api/v1/tenant-settings", { token: fx.keys.admin, body: { ...policy(), alerts: { webhookUrl: url, secret: SECRET, minTier: "block" } } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const flowId = await createFlow(api, fx.keys.publisher, "nbo", PLATINUM_FLOW);
    expect((await bulk(api, fx.keys.operator, breachingLines("nbo", 12))).status).toBe(201);
    const blocked = await api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id: flowId } });
    expect(blocked.status).toBe(422);
    return { fx, evaluationId: blocked.body.evaluationId };
  }
  const deliveries = async (fx: TenantFixture) => (await api.request("GET", "/api/v1/alert-deliveries", { token: fx.keys.auditor })).body.items as any[];
  const cron = () => api.request("GET", "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${app.cronSecret}` } });
  const hitsFor = (evaluationId: string) => received.filter((r) => JSON.parse(r.body).evaluationId === evaluationId);

  it("the cron route delivers pending alerts after the recheck, with the retry bookkeeping", async () => {
    const { fx, evaluationId } = await blockedTenant();
    // Nothing drains on its own: the alert waits in the outbox.
    await new Promise((r) => setTimeout(r, 300));
    expect(hitsFor(evaluationId)).toHaveLength(0);
    expect(await deliveries(fx)).toEqual([expect.objectContaining({ event: "block", status: "pending", attempts: 0 })]);

    // First scheduled pass: the receiver is down; the attempt is recorded and backed off.
    failNext = 1;
    const first = await cron();
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.runKey).toMatch(/^fairness-recheck:/);
    expect(first.body.alerts).toMatchObject({ pending: 1, delivered: 0, failedTenants: [], stoppedEarly: false });
    const [afterFail] = await deliveries(fx);
    expect(afterFail).toMatchObject({ status: "pending", attempts: 1, lastStatus: 500 });
    expect(afterFail.nextAttemptAt).toBeGreaterThan(Date.now());

    // Not due yet: an immediate second pass leaves it alone.
    expect((await cron()).body.alerts).toMatchObject({ pending: 0, delivered: 0 });
    expect(hitsFor(evaluationId)).toHaveLength(1);

    // After the 0.5 s backoff the next pass delivers it, signed, with the same delivery id.
    await new Promise((r) => setTimeout(r, 600));
    expect((await cron()).body.alerts).toMatchObject({ delivered: 1 });
    const [done] = await deliveries(fx);
    expect(done).toMatchObject({ event: "block", status: "delivered", attempts: 2, lastStatus: 204 });
    const hits = hitsFor(evaluationId);
    expect(hits).toHaveLength(2);
    expect(hits.every((h) => h.headers["fairgate-delivery"] === done.id)).toBe(true);
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(hits[1]!.headers["fairgate-signature"]))!;
    expect(createHmac("sha256", SECRET).update(`${m[1]}.${hits[1]!.body}`).digest("hex")).toBe(m[2]);

    // Delivered is final: later passes send nothing more.
    expect((await cron()).body.alerts).toMatchObject({ delivered: 0, pending: 0 });
    expect(hitsFor(evaluationId)).toHaveLength(2);
  });

  it("the Worker's after-response drain delivers what a request queued, waiting out a short retry", async () => {
    // Listens on the app's own outbox signal, as the Worker runtime does for its isolate.
    const collector = createOutboxCollector(app.deps.outbox);
    const { fx, evaluationId } = await blockedTenant();
    const stores = collector.take();
    expect(stores.map((s) => s.tenantId)).toEqual([fx.id]);
    expect(collector.take()).toEqual([]);
    failNext = 1;
    const counts = await drainQueued(stores, 8_000);
    expect(counts).toMatchObject({ pending: 1, delivered: 1 });
    expect(hitsFor(evaluationId)).toHaveLength(2);
    expect((await deliveries(fx))[0]).toMatchObject({ status: "delivered", attempts: 2 });
  });
});
