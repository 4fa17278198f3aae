/**
 * @module test/integration/retention
 * Trace retention through the daily job: traces (rows and packed segments) decided
 * before the UTC midnight `tracesDays` ago are deleted, audited with counts and the
 * dataset hashes they contributed to; evaluations and audit rows stay, the chains
 * still verify, and a second run deletes nothing. The tenant database file is read
 * directly to count what is left.
 */
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";

describe("trace retention (policy retention.tracesDays)", () => {
  let app: InProcessApp;
  afterAll(async () => app?.close());

  it("the daily job deletes traces past retention, audits it, keeps evaluations and audit rows", async () => {
    let now = new Date("2026-05-03T12:00:00Z");
    app = await createInProcessApp({ clock: () => now });
    const http = inProcessClient(app);
    const tenant = await http.request("POST", "/api/v1/admin/tenants", { token: app.adminToken, body: { name: "retain" } });
    const key = async (roles: string[], principal: string) =>
      (await http.request("POST", `/api/v1/admin/tenants/${tenant.body.id}/api-keys`, { token: app.adminToken, body: { principal, roles } })).body.key as string;
    const admin = await key(["admin"], "admin@retain.test");
    const pub = await key(["publisher", "operator"], "pub@retain.test");
    const policy = (extra: object) => ({ fairnessPolicy: { enabled: true, sensitiveAttribute: "g", thresholds: { disparateImpactRatio: 0.1 }, minSampleSize: 10, windowDays: 7, ...extra } });
    // Below six months is refused.
    expect((await http.request("PUT", "/api/v1/tenant-settings", { token: admin, body: policy({ retention: { tracesDays: 182 } }) })).status).toBe(400);
    const put = await http.request("PUT", "/api/v1/tenant-settings", { token: admin, body: policy({ retention: { tracesDays: 183 } }) });
    expect(put.status).toBe(200);
    const flow = await http.request("POST", "/api/v1/decision-flows", {
      token: pub,
      body: { key: "f", name: "F", definition: { offers: [{ id: "o", model: { intercept: 0 }, minPropensity: 0.5 }], maxOffers: 1 } },
    });
    const bulk = (n: number, at: string, prefix: string) =>
      http.request("POST", "/api/v1/decision-traces/bulk", {
        token: pub,
        contentType: "application/x-ndjson",
        raw: Array.from({ length: n }, (_, i) => JSON.stringify({ decisionFlowKey: "f", customerId: `${prefix}${i}`, attributes: { g: i % 2 ? "x" : "y" }, selected: i % 3 !== 0, timestamp: at })).join("\n"),
      });
    expect((await bulk(50, "2026-05-01T10:00:00Z", "old")).status).toBe(201);
    const first = await http.request("POST", "/api/v1/decision-flows/publish", { token: pub, body: { id: flow.body.id } });
    expect(first.status).toBe(200);
    const oldEvaluation = first.body.evaluation.id as string;
    const oldHash = (await http.request("GET", `/api/v1/fairness-evaluations/${oldEvaluation}/report.json`, { token: admin })).body.dataset.hash as string;
    expect(oldHash).toMatch(/^[0-9a-f]{64}$/);

    now = new Date("2026-12-01T12:00:00Z");
    expect((await bulk(60, "2026-11-28T10:00:00Z", "new")).status).toBe(201);
    // Pack both past days into segments, so the deletion must reach the columnar store too.
    expect((await http.request("POST", "/api/v1/decision-traces/pack", { token: pub })).status).toBe(200);

    const db = createClient({ url: `file:${join(app.dataDir, "tenants", `${tenant.body.id}.db`)}`, intMode: "number" });
    const count = async (sql: string) => Number((await db.execute(sql)).rows[0]![0]);
    expect(await count("SELECT COUNT(*) FROM decision_traces")).toBe(110);
    expect(await count("SELECT COUNT(*) FROM trace_segments")).toBe(2);
    const auditBefore = await count("SELECT COUNT(*) FROM audit_log");
    const evaluationsBefore = await count("SELECT COUNT(*) FROM fairness_evaluations");

    const cron = await http.request("GET", "/api/v1/cron/fairness-recheck", { token: app.cronSecret });
    expect(cron.status).toBe(200);
    // Cutoff: 2026-12-01T00:00Z − 183 days = 2026-06-01T00:00Z.
    expect(cron.body.retention).toEqual([{ tenantId: tenant.body.id, status: "deleted", cutoff: "2026-06-01T00:00:00.000Z", traces: 50, segments: 1 }]);

    expect(await count("SELECT COUNT(*) FROM decision_traces")).toBe(60);
    expect(await count("SELECT COUNT(*) FROM decision_traces WHERE created_at < 1780272000000")).toBe(0);
    expect(await count("SELECT COUNT(*) FROM trace_segments")).toBe(1);
    expect(await count("SELECT COUNT(*) FROM segment_columns WHERE segment_id NOT IN (SELECT id FROM trace_segments)")).toBe(0);
    expect(await count("SELECT COUNT(*) FROM fairness_evaluations")).toBeGreaterThanOrEqual(evaluationsBefore);
    expect(await count("SELECT COUNT(*) FROM audit_log")).toBeGreaterThan(auditBefore);

    const rows = await http.request("GET", "/api/v1/audit-log?entityType=decision_traces", { token: admin });
    const row = rows.body.items.find((r: { action: string }) => r.action === "traces_retention_delete");
    expect(row.actor).toBe("system:trace-retention");
    expect(row.details).toMatchObject({ tracesDays: 183, cutoff: "2026-06-01T00:00:00.000Z", traces: 50, segments: 1, byFlow: [{ flowKey: "f", traces: 50 }] });
    expect(row.details.datasetHashes).toContain(oldHash);

    // The old evaluation is still there, and both chains verify.
    expect((await http.request("GET", `/api/v1/fairness-evaluations/${oldEvaluation}`, { token: admin })).status).toBe(200);
    const verify = await http.request("GET", "/api/v1/audit-log/verify", { token: admin });
    expect(verify.body.ok).toBe(true);

    // Nothing left to delete: the next run writes no second row.
    const again = await http.request("GET", "/api/v1/cron/fairness-recheck", { token: app.cronSecret });
    expect(again.body.retention[0].status).toBe("nothing_due");
    db.close();
  });

  it("privacy mode: people left without traces lose their protected attributes too; people with newer traces keep them", async () => {
    let now = new Date("2026-05-03T12:00:00Z");
    const app2 = await createInProcessApp({ clock: () => now });
    try {
      const http = inProcessClient(app2);
      const tenant = await http.request("POST", "/api/v1/admin/tenants", { token: app2.adminToken, body: { name: "retain-private" } });
      const key = async (roles: string[], principal: string) =>
        (await http.request("POST", `/api/v1/admin/tenants/${tenant.body.id}/api-keys`, { token: app2.adminToken, body: { principal, roles } })).body.key as string;
      const admin = await key(["admin"], "admin@retain.test");
      const pub = await key(["publisher", "operator"], "pub@retain.test");
      const put = await http.request("PUT", "/api/v1/tenant-settings", {
        token: admin,
        body: { fairnessPolicy: { enabled: true, sensitiveAttribute: "g", thresholds: {}, minSampleSize: 1, retention: { tracesDays: 183 }, sensitiveAttributeStorage: "separate" } },
      });
      expect(put.status).toBe(200);
      await http.request("POST", "/api/v1/decision-flows", { token: pub, body: { key: "f", name: "F", definition: { offers: [{ id: "o", model: { intercept: 0 }, minPropensity: 0.5 }], maxOffers: 1 } } });
      const line = (customerId: string, at: string) => JSON.stringify({ decisionFlowKey: "f", customerId, attributes: { g: "x" }, selected: true, timestamp: at });
      const bulk = (lines: string[]) => http.request("POST", "/api/v1/decision-traces/bulk", { token: pub, contentType: "application/x-ndjson", raw: lines.join("\n") });
      expect((await bulk([line("gone", "2026-05-01T10:00:00Z"), line("stays", "2026-05-01T10:00:00Z")])).status).toBe(201);
      now = new Date("2026-12-01T12:00:00Z");
      expect((await bulk([line("stays", "2026-11-30T10:00:00Z")])).status).toBe(201);
      const db = createClient({ url: `file:${join(app2.dataDir, "tenants", `${tenant.body.id}.db`)}`, intMode: "number" });
      expect(Number((await db.execute("SELECT COUNT(*) FROM protected_attributes")).rows[0]![0])).toBe(2);
      const cron = await http.request("GET", "/api/v1/cron/fairness-recheck", { token: app2.cronSecret });
      expect(cron.body.retention[0]).toMatchObject({ status: "deleted", traces: 2 });
      expect(Number((await db.execute("SELECT COUNT(*) FROM protected_attributes")).rows[0]![0])).toBe(1);
      expect(Number((await db.execute("SELECT COUNT(*) FROM decision_traces")).rows[0]![0])).toBe(1);
      const rows = await http.request("GET", "/api/v1/audit-log?entityType=decision_traces", { token: admin });
      expect(rows.body.items.find((r: { action: string }) => r.action === "traces_retention_delete").details.protectedPeople).toBe(1);
      db.close();
    } finally {
      await app2.close();
    }
  });
});
