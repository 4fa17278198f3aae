/**
 * @module test/integration/drift-check
 * The daily drift check (policy `driftCheck`) over the real cron route: an active
 * flow whose requests shifted gets an audited `drift_check` row with the
 * hand-computed PSI (see test/unit/drift.test.ts), a signed `drift` webhook alert
 * delivered to a real receiver, and stays active; a second run the same day
 * changes nothing; a flow without drift is audited with verdict none, no alert.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import { allAudit, type Api, bulk, createFlow, createTenant, type TenantFixture } from "./_support.js";

const DAY = 86_400_000;
const FLOW = { offers: [{ id: "card", model: { intercept: 0 }, minPropensity: 0.5 }], maxOffers: 1 };
const SECRET = "drift-check-webhook-secret";

describe("daily drift check", () => {
  let app: InProcessApp;
  let api: Api;
  let fx: TenantFixture;
  let hook: WebhookReceiver;
  const ids: Record<string, string> = {};
  afterAll(async () => {
    await app?.close();
    await hook?.close();
  });

  beforeAll(async () => {
    hook = await startWebhookReceiver((res) => res.writeHead(204).end());
    app = await createInProcessApp();
    api = inProcessClient(app);
    fx = await createTenant(app, "drift-check");
    const put = await api.request("PUT", "/api/v1/tenant-settings", {
      token: fx.keys.admin,
      body: {
        fairnessPolicy: { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 1000, driftCheck: { referenceDays: 7, currentDays: 3 } },
        alerts: { webhookUrl: hook.url, secret: SECRET, minTier: "warning" },
      },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const now = Date.now();
    const at = (daysAgo: number, i: number) => new Date(now - daysAgo * DAY + i * 1000).toISOString();
    const tiers = (a: number, b: number, c: number) => [...Array(a).fill("a"), ...Array(b).fill("b"), ...Array(c).fill("c")] as string[];
    for (const key of ["shifted", "steady"]) {
      ids[key] = await createFlow(api, fx.keys.publisher, key, FLOW);
      // Too few samples for the fairness gate: publish is a skip, the flow is active.
      expect((await api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id: ids[key] } })).status).toBe(200);
      // Reference window [now − 10d, now − 3d): 50/30/20; current [now − 3d, now): 30/30/40 (shifted) or 50/30/20 (steady).
      const ref = tiers(50, 30, 20).map((tier, i) => ({ decisionFlowKey: key, customerId: `r${i}`, attributes: { tier }, selected: false, timestamp: at(6, i) }));
      const cur = (key === "shifted" ? tiers(30, 30, 40) : tiers(50, 30, 20)).map((tier, i) => ({ decisionFlowKey: key, customerId: `c${i}`, attributes: { tier }, selected: false, timestamp: at(1, i) }));
      expect((await bulk(api, fx.keys.operator, [...ref, ...cur])).status).toBe(201);
    }
    // Make "shifted" alert: a numeric attribute moved far (reference 1..20, current 11..30, both ×5).
    const incomes = (base: number, daysAgo: number) =>
      Array.from({ length: 100 }, (_, i) => ({ decisionFlowKey: "shifted", customerId: `i${base}-${i}`, attributes: { income: (i % 20) + base }, selected: false, timestamp: at(daysAgo, 200 + i) }));
    expect((await bulk(api, fx.keys.operator, [...incomes(1, 6), ...incomes(11, 1)])).status).toBe(201);
  });

  const cron = () => api.request("GET", "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${app.cronSecret}` } });

  it("audits every active flow, alerts on drift, pauses nothing; a second run the same day repeats nothing", async () => {
    const r = await cron();
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const mine = r.body.drift.find((t: { tenantId: string }) => t.tenantId === fx.id);
    expect(mine.status).toBe("checked");
    expect(Object.fromEntries(mine.flows.map((f: { flowKey: string; verdict: string; alerted: boolean }) => [f.flowKey, [f.verdict, f.alerted]]))).toEqual({ shifted: ["alert", true], steady: ["none", false] });

    const rows = (await allAudit(api, fx.keys.auditor, "entityType=drift_check")).filter((a) => a.action === "drift_check");
    expect(rows).toHaveLength(2);
    const shifted = rows.find((a) => a.entityId === ids.shifted)!;
    const byAttr = Object.fromEntries(shifted.details.attributes.map((a: { attribute: string }) => [a.attribute, a]));
    // tier over all 200 traces per window: reference 50/30/20 of 100 plus 100 without tier (missing, left out) → the hand case 0.2407946.
    expect(byAttr.tier.psi).toBeCloseTo(0.2407946, 6);
    expect(byAttr.income.psi).toBeCloseTo(4.3463035, 6);
    expect(byAttr.income.ks).toBe(0.5);
    expect(shifted.details.verdict).toBe("alert");
    expect(rows.find((a) => a.entityId === ids.steady)!.details.attributes[0]).toMatchObject({ attribute: "tier", psi: 0, band: "none" });

    // The run's drain delivered the signed alert.
    const alerts = hook.received.map((x) => JSON.parse(x.body)).filter((b) => b.event === "drift");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ event: "drift", tier: "warning", tenantId: fx.id, flow: { id: ids.shifted, key: "shifted" }, verdict: "alert" });
    expect(alerts[0].drifted.map((d: { attribute: string }) => d.attribute)).toEqual(["income"]);
    expect(hook.received.find((x) => JSON.parse(x.body).event === "drift")!.headers["fairgate-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    // Drift never pauses.
    for (const key of ["shifted", "steady"]) expect((await api.request("GET", `/api/v1/decision-flows/${ids[key]}`, { token: fx.keys.publisher })).body.status).toBe("active");

    const again = await cron();
    expect(again.body.drift.find((t: { tenantId: string }) => t.tenantId === fx.id).flows.map((f: { verdict: string }) => f.verdict)).toEqual(["skipped", "skipped"]);
    expect((await allAudit(api, fx.keys.auditor, "entityType=drift_check")).filter((a) => a.action === "drift_check")).toHaveLength(2);
    expect(hook.received.map((x) => JSON.parse(x.body)).filter((b) => b.event === "drift")).toHaveLength(1);
  });

  it("without driftCheck in the policy nothing runs", async () => {
    const other = await createTenant(app, "no-drift-check");
    const r = await cron();
    expect(r.body.drift.find((t: { tenantId: string }) => t.tenantId === other.id)).toEqual({ tenantId: other.id, status: "not_configured", flows: [] });
  });
});
