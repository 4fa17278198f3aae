/**
 * The recheck is idempotent by effect: run N times, it evaluates N times and
 * causes each effect once. Overlapping runs for one tenant are serialised by
 * its claim (one pause, one auto_pause row, one remediation), and a flow that
 * stays active at the critical tier alerts once per outcome, not once per run —
 * a changed outcome (critical → warning → critical) alerts again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFairnessRecheck } from "../../worker/services/recheck.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import { type Api, allAudit, breachingLines, bulk, createFlow, createTenant, fairLines, line, openTenantDb, PLATINUM_FLOW, policy, tableCounts, type TenantFixture } from "./_support.js";

let nowMs = Date.parse("2031-07-01T12:00:00.000Z");
const clock = () => new Date(nowMs++);

let app: InProcessApp;
let api: Api;
let receiver: WebhookReceiver;

beforeAll(async () => {
  app = await createInProcessApp({ clock, alertDelivery: "off" });
  api = inProcessClient(app);
  receiver = await startWebhookReceiver((res) => res.writeHead(204).end());
});

afterAll(async () => {
  await app?.close();
  await receiver?.close();
});

const report = (r: { tenants: { tenantId: string }[] }, fx: TenantFixture) => r.tenants.find((t) => t.tenantId === fx.id) as any;
const status = async (fx: TenantFixture, id: string) => (await api.request("GET", `/api/v1/decision-flows/${id}`, { token: fx.keys.auditor })).body.status;

async function activeFlow(fx: TenantFixture, key: string): Promise<string> {
  const id = await createFlow(api, fx.keys.publisher, key, PLATINUM_FLOW);
  // Published while there is no traffic (the gate skips); the traffic arrives afterwards.
  expect((await api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id } })).status).toBe(200);
  return id;
}

describe("concurrent triggers for the same day", () => {
  // Two instances whose schedulers fire at the same time (or the scheduler plus a manual HTTP trigger) run the same
  // code. The tenant claim serialises them: each run evaluates what is active when it gets the claim, so the breaching
  // flow is paused (and audited) by exactly one of them. (Over in-process HTTP requests happen not to overlap, so this
  // calls the service the route calls.)
  it("three overlapping runs each evaluate, and the effects happen once: one pause, one auto_pause row, one remediation", async () => {
    const T = await createTenant(app, "rx1");
    expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy() })).status).toBe(200);
    const a = await activeFlow(T, "t5-breach");
    const b = await activeFlow(T, "t5-fair");
    expect((await bulk(api, T.keys.operator, [...breachingLines("t5-breach"), ...fairLines("t5-fair")])).status).toBe(201);
    const before = await tableCounts(app, T.id);

    const when = new Date(nowMs);
    const mine = (await Promise.all([1, 2, 3].map(() => runFairnessRecheck(app.deps, when)))).map((r) => report(r, T));
    const after = await tableCounts(app, T.id);
    expect(mine.map((r) => r.status)).toEqual(["checked", "checked", "checked"]);
    expect(await status(T, a)).toBe("paused");
    expect(await status(T, b)).toBe("active");
    // One run saw both flows active and paused a; the two after it found only b active.
    expect(mine.map((r) => r.flowsChecked).sort()).toEqual([1, 1, 2]);
    expect(mine.flatMap((r) => r.paused.map((p: { flowId: string }) => p.flowId))).toEqual([a]);
    // Four evaluations (a once, b three times), their audit rows, and exactly one auto_pause.
    expect(after.evaluations - before.evaluations).toBe(4);
    expect(after.audit - before.audit).toBe(5);
    const pauses = (await allAudit(api, T.keys.auditor, "entityType=decision_flow")).filter((x) => x.action === "auto_pause");
    expect(pauses.map((p) => p.entityId)).toEqual([a]);
    expect((await api.request("GET", "/api/v1/remediations", { token: T.keys.auditor })).body.items.map((r: { flowId: string }) => r.flowId)).toEqual([a]);
  });
});

describe("a flow that stays active at the critical tier", () => {
  let C: TenantFixture;
  let flowId = "";
  const criticalAlerts = async () => {
    const db = openTenantDb(app, C.id);
    try {
      return Number((await db.execute("SELECT count(*) AS n FROM alert_outbox WHERE event = 'critical'")).rows[0]!.n);
    } finally {
      db.close();
    }
  };
  const recheck = async () => {
    const r = report(await runFairnessRecheck(app.deps, new Date(nowMs)), C);
    expect(r).toMatchObject({ status: "checked", flowsChecked: 1, paused: [] });
    return (await api.request("GET", `/api/v1/fairness-evaluations/${r.evaluations[0]}`, { token: C.keys.auditor })).body;
  };
  /** `selected` of `n` customers aged 65+, and `n` aged 25-34 who are all selected. */
  const traffic = async (selected: number, n: number, younger = n) => {
    const lines = [];
    for (let i = 0; i < n; i++) lines.push(line("tiered", "65+", i < selected));
    for (let i = 0; i < younger; i++) lines.push(line("tiered", "25-34", true));
    expect((await bulk(api, C.keys.operator, lines)).status).toBe(201);
  };

  it("alerts on the first critical recheck, not on a repeat of the same outcome, and again once the outcome changed back", async () => {
    C = await createTenant(app, "rx2");
    const settings = {
      ...policy({ thresholds: { disparateImpactRatio: { warning: 0.95, critical: 0.9, block: 0.5 } } }),
      alerts: { webhookUrl: receiver.url, secret: "whsec-recheck-0123456789", minTier: "warning" },
    };
    expect((await api.request("PUT", "/api/v1/tenant-settings", { token: C.keys.admin, body: settings })).status).toBe(200);
    flowId = await activeFlow(C, "tiered");

    await traffic(14, 20); // DIR 0.70: critical, not a block
    const first = await recheck();
    expect(first).toMatchObject({ verdict: "pass", highestTier: "critical" });
    expect(await criticalAlerts()).toBe(1);

    const second = await recheck(); // same traffic, same outcome
    expect(second).toMatchObject({ verdict: "pass", highestTier: "critical" });
    expect(await criticalAlerts()).toBe(1);

    await traffic(80, 80); // 94 of 100 vs 100 of 100: DIR 0.94, warning
    expect(await recheck()).toMatchObject({ highestTier: "warning" });
    expect(await criticalAlerts()).toBe(1);

    await traffic(0, 20, 0); // 94 of 120: DIR 0.78, critical again
    expect(await recheck()).toMatchObject({ highestTier: "critical" });
    expect(await criticalAlerts()).toBe(2);
    expect(await status(C, flowId)).toBe("active");
  });
});
