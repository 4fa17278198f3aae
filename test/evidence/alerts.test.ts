/**
 * Alerts with context: a real local receiver on 127.0.0.1. A blocked publish
 * queues a signed alert in the same batch and answers at once; the delivery
 * loop retries a failing receiver with backoff; overrides alert too; the
 * delivery log shows every attempt's outcome.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Received, startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import { breachingLines, bulk, createFlow, createTenant, line, PLATINUM_FLOW, policy, type TenantFixture } from "../integration/_support.js";


describe("alert webhooks", () => {
  let app: InProcessApp;
  let api: ReturnType<typeof inProcessClient>;
  let fx: TenantFixture;
  let hook: WebhookReceiver;
  let url: string;
  let received: Received[];
  let failFirst = 1;
  const SECRET = "whsec-test-0123456789abcdef";

  beforeAll(async () => {
    hook = await startWebhookReceiver((res) => {
      // The first delivery is slow and fails: the publish must not wait for it, and it is retried.
      if (failFirst-- > 0) setTimeout(() => res.writeHead(500).end("boom"), 300);
      else res.writeHead(204).end();
    });
    ({ url, received } = hook);
    app = await createInProcessApp();
    api = inProcessClient(app);
    fx = await createTenant(app, `al-${crypto.randomUUID().slice(0, 8)}`);
  });
  afterAll(async () => {
    await app.close();
    await hook.close();
  });

  const deliveries = async () => (await api.request("GET", "/api/v1/alert-deliveries", { token: fx.keys.auditor })).body.items as any[];
  const until = async <T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 8000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (ok(v) || Date.now() > end) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it("settings: https or loopback only; the secret is never shown", async () => {
    const bad = await api.request("PUT", "/api/v1/tenant-settings", { token: fx.keys.admin, body: { ...policy(), alerts: { webhookUrl: "http://example.com/x", secret: SECRET } } });
    expect(bad.status).toBe(400);
    const put = await api.request("PUT", "/api/v1/tenant-settings", { token: fx.keys.admin, body: { ...policy(), alerts: { webhookUrl: url, secret: SECRET, minTier: "block" } } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const get = await api.request("GET", "/api/v1/tenant-settings", { token: fx.keys.auditor });
    expect(get.body.alerts).toEqual({ webhookUrl: url, minTier: "block", reportBaseUrl: null, secretSet: true });
    expect(JSON.stringify(get.body)).not.toContain(SECRET);
    const audit = await api.request("GET", "/api/v1/audit-log?entityType=tenant_settings", { token: fx.keys.auditor });
    expect(JSON.stringify(audit.body)).not.toContain(SECRET);
  });

  it("a block is answered at once, then delivered signed, with context, after a retry", async () => {
    const flowId = await createFlow(api, fx.keys.publisher, "nbo", PLATINUM_FLOW);
    expect((await bulk(api, fx.keys.operator, breachingLines("nbo", 12))).status).toBe(201);
    const t0 = Date.now();
    const blocked = await api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id: flowId } });
    expect(blocked.status).toBe(422);
    expect(Date.now() - t0).toBeLessThan(250); // the receiver takes 300 ms to fail: not waited for
    const log = await until(deliveries, (d) => d.some((x) => x.event === "block" && x.status === "delivered"));
    const row = log.find((x) => x.event === "block")!;
    expect(row).toMatchObject({ status: "delivered", attempts: 2, lastStatus: 204, tier: "block" });
    const hits = received.filter((r) => r.headers["fairgate-event"] === "block");
    expect(hits).toHaveLength(2);
    const last = hits[1]!;
    expect(last.headers["fairgate-delivery"]).toBe(row.id);
    // Verify the signature as a receiver would (docs/alerts.md).
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(last.headers["fairgate-signature"]))!;
    expect(m).not.toBeNull();
    expect(createHmac("sha256", SECRET).update(`${m[1]}.${last.body}`).digest("hex")).toBe(m[2]);
    expect(Math.abs(Date.now() / 1000 - Number(m[1]))).toBeLessThan(60);
    const payload = JSON.parse(last.body);
    expect(payload).toMatchObject({
      event: "block",
      tier: "block",
      tenantId: fx.id,
      flow: { id: flowId, key: "nbo", version: 1 },
      evaluationId: blocked.body.evaluationId,
      failing: [{ metric: "disparateImpactRatio", sliceName: "ageBand", value: 0, threshold: 0.8, baselineDelta: null, slice: { attribute: "ageBand", group: "65+", selectionRate: 0 } }],
      reportUrl: `/api/v1/fairness-evaluations/${blocked.body.evaluationId}/report.html`,
      suggestedNextStep: expect.stringContaining("report"),
    });
    // The interval is there when the evaluator computes one (null otherwise).
    expect(payload.failing[0]).toHaveProperty("interval");
  });

  it("override requests and approvals alert regardless of minTier; readers only see the log", async () => {
    const ov = await api.request("POST", "/api/v1/fairness-overrides", { token: fx.keys.admin, body: { reason: "Pilot approved by the risk committee", expiresAt: new Date(Date.now() + 86_400_000).toISOString() } });
    expect(ov.status).toBe(201);
    expect((await api.request("POST", `/api/v1/fairness-overrides/${ov.body.id}/approve`, { token: fx.keys.approver })).status).toBe(200);
    const log = await until(deliveries, (d) => d.filter((x) => x.event === "override" && x.status === "delivered").length === 2);
    const overrides = log.filter((x) => x.event === "override");
    expect(overrides.map((x) => x.payload.action).sort()).toEqual(["override_approve", "override_request"]);
    expect(overrides.every((x) => x.status === "delivered")).toBe(true);
    expect(overrides.find((x) => x.payload.action === "override_approve").payload.override).toMatchObject({ id: ov.body.id, by: fx.principals.approver });
    expect((await api.request("GET", "/api/v1/alert-deliveries", { token: fx.keys.operator })).status).toBe(403);
    expect((await api.request("GET", "/api/v1/audit-log/verify", { token: fx.keys.auditor })).body.ok).toBe(true);
  });

  it("a critical tier that does not block alerts with minTier critical (and not below it)", async () => {
    const T = await createTenant(app, `cr-${crypto.randomUUID().slice(0, 8)}`);
    const tiered = policy({ thresholds: { disparateImpactRatio: { critical: 0.95, block: 0.5 } }, minGroupSize: 5 });
    const put = await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: { ...tiered, alerts: { webhookUrl: url, secret: SECRET, minTier: "critical" } } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const flowId = await createFlow(api, T.keys.publisher, "tiered", PLATINUM_FLOW);
    // 65+ selected 8 of 10, 25-34 always: ratio 0.8 — past the critical tier, short of the block tier.
    const lines = Array.from({ length: 10 }, (_, i) => [line("tiered", "65+", i < 8), line("tiered", "25-34", true)]).flat();
    expect((await bulk(api, T.keys.operator, lines)).status).toBe(201);
    const pub = await api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id: flowId } });
    expect(pub.status, JSON.stringify(pub.body)).toBe(200);
    const log = await until(
      async () => (await api.request("GET", "/api/v1/alert-deliveries", { token: T.keys.auditor })).body.items as any[],
      (d) => d.some((x) => x.status === "delivered"),
    );
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ event: "critical", tier: "critical", status: "delivered" });
    expect(log[0].payload.failing[0]).toMatchObject({ metric: "disparateImpactRatio", threshold: 0.95 });
    expect(log[0].payload.failing[0].value).toBeCloseTo(0.8, 6);
  });
});
