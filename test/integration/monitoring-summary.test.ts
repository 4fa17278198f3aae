/**
 * @module test/integration/monitoring-summary
 * GET /api/v1/monitoring-summary over a period with two live flows, a daily
 * recheck that pauses the drifting one (opening a remediation), and an approved
 * override of the other: every count, the pause, the override's requester,
 * approver, reason and duration (10 days, set here), the chain verification and
 * the HTML page.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";

describe("monitoring summary", () => {
  let app: InProcessApp;
  afterAll(async () => app?.close());

  it("reports flows monitored, rechecks and outcomes, pauses, overrides, remediations and the chains", async () => {
    let now = new Date("2026-12-01T12:00:00Z");
    app = await createInProcessApp({ clock: () => now });
    const http = inProcessClient(app);
    const tenant = await http.request("POST", "/api/v1/admin/tenants", { token: app.adminToken, body: { name: "monitor" } });
    const key = async (roles: string[], principal: string) =>
      (await http.request("POST", `/api/v1/admin/tenants/${tenant.body.id}/api-keys`, { token: app.adminToken, body: { principal, roles } })).body.key as string;
    const admin = await key(["admin"], "admin@monitor.test");
    const approver = await key(["approver"], "approver@monitor.test");
    const auditor = await key(["auditor"], "auditor@monitor.test");
    const pub = await key(["publisher", "operator"], "pub@monitor.test");
    const put = await http.request("PUT", "/api/v1/tenant-settings", {
      token: admin,
      body: { fairnessPolicy: { enabled: true, sensitiveAttribute: "g", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 50, windowDays: 7, continuousRecheck: true } },
    });
    expect(put.status).toBe(200);
    const def = { offers: [{ id: "o", model: { intercept: 0 }, minPropensity: 0.5 }], maxOffers: 1 };
    const a = (await http.request("POST", "/api/v1/decision-flows", { token: pub, body: { key: "a", name: "A", definition: def } })).body;
    const b = (await http.request("POST", "/api/v1/decision-flows", { token: pub, body: { key: "b", name: "B", definition: def } })).body;
    const bulk = (flow: string, n: number, rate: (g: string) => number, prefix: string) =>
      http.request("POST", "/api/v1/decision-traces/bulk", {
        token: pub,
        contentType: "application/x-ndjson",
        raw: Array.from({ length: n }, (_, i) => {
          const g = i % 2 ? "x" : "y";
          return JSON.stringify({ decisionFlowKey: flow, customerId: `${prefix}${i}`, attributes: { g }, selected: (i >> 1) % 10 < rate(g) * 10, timestamp: new Date(now.getTime() - 3_600_000).toISOString() });
        }).join("\n"),
      });
    const from = now.toISOString();
    expect((await bulk("a", 200, () => 0.5, "a")).status).toBe(201);
    expect((await bulk("b", 200, () => 0.5, "b")).status).toBe(201);
    expect((await http.request("POST", "/api/v1/decision-flows/publish", { token: pub, body: { id: a.id } })).status).toBe(200);
    expect((await http.request("POST", "/api/v1/decision-flows/publish", { token: pub, body: { id: b.id } })).status).toBe(200);

    // An override for flow A, approved by a second person, for exactly 10 days.
    const ov = await http.request("POST", "/api/v1/fairness-overrides", { token: admin, body: { reason: "seasonal campaign under review", expiresAt: "2026-12-11T13:00:00Z", flowId: a.id } });
    expect(ov.status).toBe(201);
    now = new Date("2026-12-01T13:00:00Z");
    expect((await http.request("POST", `/api/v1/fairness-overrides/${ov.body.id}/approve`, { token: approver })).status).toBe(200);

    // Flow B drifts: y is now selected far less than x; the recheck pauses it.
    expect((await bulk("b", 800, (g) => (g === "x" ? 0.9 : 0.1), "drift")).status).toBe(201);
    now = new Date("2026-12-01T14:00:00Z");
    const cron = await http.request("GET", "/api/v1/cron/fairness-recheck", { token: app.cronSecret });
    expect(cron.status).toBe(200);
    now = new Date("2026-12-01T15:00:00Z");

    const res = await http.request("GET", `/api/v1/monitoring-summary?from=${from}&to=${now.toISOString()}`, { token: auditor });
    expect(res.status).toBe(200);
    const s = res.body;
    expect(s.format).toBe("fairgate-monitoring/1");
    expect(s.flowsMonitored).toBe(2);
    // Two publishes and one recheck per flow.
    expect(s.evaluations).toBe(4);
    expect(s.rechecks).toEqual({ evaluations: 2, days: 1, byVerdict: { pass: 1, block: 1 } });
    expect(s.pauses).toHaveLength(1);
    expect(s.pauses[0]).toMatchObject({ flowId: b.id });
    // x: 50 + 360 of 500 selected (0.82), y: 50 + 40 of 500 (0.18) → ratio 0.18 / 0.82 = 0.2195.
    expect(s.pauses[0].violations.join(" ")).toMatch(/disparate impact ratio 0\.220/);
    expect(s.overrides).toEqual([
      expect.objectContaining({ id: ov.body.id, requestedBy: "admin@monitor.test", approvedBy: "approver@monitor.test", reason: "seasonal campaign under review", durationDays: 10 }),
    ]);
    expect(s.remediations.opened).toEqual([expect.objectContaining({ flowId: b.id, status: "open" })]);
    expect(s.remediations.closed).toEqual([]);
    expect(s.chainVerification.ok).toBe(true);
    expect(s.chainVerification.audit.signatureValid).toBe(true);
    expect(s.statements.join(" ")).toMatch(/2 of 2 decision flow\(s\) were monitored/);
    expect(s.statements.join(" ")).toMatch(/approved by approver@monitor\.test, 10 day\(s\)/);

    const html = await http.request("GET", `/api/v1/monitoring-summary?from=${from}&to=${now.toISOString()}&format=html`, { token: auditor });
    expect(html.status).toBe(200);
    expect(html.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(String(html.body)).toContain("seasonal campaign under review");

    expect((await http.request("GET", `/api/v1/monitoring-summary?from=${from}&to=${now.toISOString()}`, { token: pub })).status).toBe(403);
    expect((await http.request("GET", `/api/v1/monitoring-summary?from=${now.toISOString()}&to=${from}`, { token: auditor })).status).toBe(400);
  });
});
