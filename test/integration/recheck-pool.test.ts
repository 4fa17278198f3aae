/**
 * The daily run's bounded pool with a per-tenant budget (Node and Deno, and a
 * Worker without a queue), over the real HTTP cron route, real libSQL files and
 * the real thread driver. One tenant's database is held under an exclusive
 * lock by another process (as `bench:faults` does), so every write it tries
 * waits out the busy timeout: that tenant is reported `timed_out` at its budget
 * while the others are rechecked (a breaching one paused) within their own
 * time; it commits nothing (no evaluation, no pause) and the next run, after
 * the lock is gone, pauses it.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdExclusiveLock } from "../../scripts/faults/fixture.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, breachingLines, bulk, createFlow, createTenant, fairLines, openTenantDb, PLATINUM_FLOW, policy, type TenantFixture } from "./_support.js";

const BUDGET_MS = 1_500;
let app: InProcessApp;
let api: Api;
const tenants: { fx: TenantFixture; flowId: string; breaching: boolean }[] = [];

async function setUp(name: string, breaching: boolean) {
  const fx = await createTenant(app, name);
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: fx.keys.admin, body: policy() })).status).toBe(200);
  const flowId = await createFlow(api, fx.keys.publisher, "card", PLATINUM_FLOW);
  // No traces yet: the gate skips, so the flow is active before the traffic that breaches.
  expect((await api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id: flowId } })).status).toBe(200);
  expect((await bulk(api, fx.keys.operator, breaching ? breachingLines("card", 12) : fairLines("card", 12))).status).toBe(201);
  tenants.push({ fx, flowId, breaching });
}

const cron = () => api.request("GET", "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${app.cronSecret}` } });
const statusOf = async (t: (typeof tenants)[number]) => (await api.request("GET", `/api/v1/decision-flows/${t.flowId}`, { token: t.fx.keys.auditor })).body.status;

async function countIn(fx: TenantFixture, sql: string): Promise<number> {
  const db = openTenantDb(app, fx.id);
  try {
    return Number((await db.execute(sql)).rows[0]!.n);
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  app = await createInProcessApp({ env: { FAIRGATE_RECHECK_CONCURRENCY: "1", FAIRGATE_RECHECK_TENANT_BUDGET_MS: String(BUDGET_MS) }, alertDelivery: "off" });
  api = inProcessClient(app);
  // One slot, and the slow tenant is listed first: without a budget every other tenant would wait out its whole stall.
  await setUp("pool-slow", true);
  for (const [i, breaching] of [true, false, true, false].entries()) await setUp(`pool-fast-${i}`, breaching);
}, 60_000);

afterAll(() => app?.close());

describe("the daily run's pool and per-tenant budget", () => {
  it("a tenant with a locked database times out at its budget; the others are rechecked meanwhile, and it commits nothing", async () => {
    const slow = tenants[0]!;
    const lock = await holdExclusiveLock(join(app.dataDir, "tenants", `${slow.fx.id}.db`), 30_000);
    let report: any;
    const started = Date.now();
    try {
      const res = await cron();
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      report = res.body;
    } finally {
      await lock.release();
    }
    // One entry per tenant, in the tenants' order.
    expect(report.tenants.map((r: { tenantId: string }) => r.tenantId)).toEqual(tenants.map((t) => t.fx.id));
    const [slowRun, ...fastRuns] = report.tenants;
    expect(slowRun).toMatchObject({ status: "failed", error: "timed_out", flowsChecked: 0, evaluations: [] });
    expect(slowRun.elapsedMs).toBeGreaterThanOrEqual(BUDGET_MS - 5);
    expect(slowRun.elapsedMs).toBeLessThan(BUDGET_MS + 1_000);
    expect(report.failedTenants).toBe(1);
    for (const [i, run] of fastRuns.entries()) {
      const t = tenants[i + 1]!;
      expect(run, JSON.stringify(run)).toMatchObject({ status: "checked", flowsChecked: 1 });
      expect(run.elapsedMs).toBeLessThan(BUDGET_MS);
      expect(run.paused).toHaveLength(t.breaching ? 1 : 0);
      expect(await statusOf(t)).toBe(t.breaching ? "paused" : "active");
    }
    // The recheck of all five ended about one budget after it began, although each of the locked tenant's
    // writes waits out the 5 s busy timeout. (The outbox drain that follows is not part of the pool.)
    const ran = app.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "fairness recheck ran" && Date.parse(l.time) >= started - 1_000);
    expect(ran, app.logs.join("\n")).toBeDefined();
    expect(Date.parse(ran.time) - started).toBeLessThan(BUDGET_MS + 2_000);
    // Nothing half-applied: the stalled run stopped before any write once its budget fired.
    expect(await statusOf(slow)).toBe("active");
    expect(await countIn(slow.fx, "SELECT count(*) AS n FROM audit_log WHERE action = 'auto_pause'")).toBe(0);
    expect(await countIn(slow.fx, "SELECT count(*) AS n FROM fairness_evaluations WHERE trigger = 'recheck'")).toBe(0);
  }, 60_000);

  it("the next run, with the lock gone, rechecks the tenant that timed out (and pauses nothing twice elsewhere)", async () => {
    const res = await cron();
    expect(res.status).toBe(200);
    const slow = tenants[0]!;
    expect(res.body.tenants[0]).toMatchObject({ tenantId: slow.fx.id, status: "checked", flowsChecked: 1 });
    expect(res.body.failedTenants).toBe(0);
    expect(await statusOf(slow)).toBe("paused");
    for (const t of tenants) expect(await countIn(t.fx, "SELECT count(*) AS n FROM audit_log WHERE action = 'auto_pause'")).toBe(t.breaching ? 1 : 0);
  }, 60_000);
});
