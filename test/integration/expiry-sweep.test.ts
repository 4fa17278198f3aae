/**
 * Proves the override-expiry sweep (GET /api/v1/cron/fairness-recheck?job=expiry-sweep,
 * the same service the in-process schedule and the Worker's sweep cron run): it
 * evaluates exactly the flows whose approved override ended since the last sweep
 * (expired or revoked; a tenant-wide override → every active flow), pauses on
 * breach with the daily run's auto_pause row, handles each ended override once,
 * and is idempotent by effect when runs overlap or one dies before marking.
 * Time moves through an injected clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../worker/http/types.js";
import { runExpirySweep } from "../../worker/services/expiry-sweep.js";
import type { InStatement } from "../../worker/store/sql.js";
import { FAILING_STATEMENT, interceptTenantWrites } from "../helpers/tenant-writes.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, allAudit, breachingLines, bulk, createFlow, createTenant, expectProblem, fairLines, PLATINUM_FLOW, policy, tableCounts, type TenantFixture } from "./_support.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
let nowMs = Date.parse("2031-06-02T12:00:00.000Z");
const clock = () => new Date(nowMs++);

/** Fault injection: while set to a tenant id, that tenant's batches that mark overrides swept fail. */
let failMarkFor: string | null = null;
const marksSwept = (stmts: InStatement[]) => stmts.some((s) => typeof s === "object" && s.sql.includes("override_sweeps"));

const withFaults = (deps: AppDeps): AppDeps =>
  interceptTenantWrites(deps, (tenantId, stmts, write) => write(failMarkFor === tenantId && marksSwept(stmts) ? [...stmts, FAILING_STATEMENT] : stmts));

let app: InProcessApp;
let api: Api;
let T: TenantFixture; // continuousRecheck on
let U: TenantFixture; // policy on, continuousRecheck off
const f = { a: "", b: "", c: "", d: "", e: "", u: "" };
const o = { a: "", c: "", pendingD: "", tenantWide: "", e: "", u: "" };

async function sweep(secret = app.cronSecret, job = "expiry-sweep") {
  return api.request("GET", `/api/v1/cron/fairness-recheck?job=${job}`, { headers: { authorization: `Bearer ${secret}` } });
}
const mine = (report: any, fx: TenantFixture) => report.tenants.find((t: { tenantId: string }) => t.tenantId === fx.id);
const status = async (fx: TenantFixture, id: string) => (await api.request("GET", `/api/v1/decision-flows/${id}`, { token: fx.keys.auditor })).body.status;
const recheckEvals = async (fx: TenantFixture, flowId: string) =>
  ((await api.request("GET", `/api/v1/fairness-evaluations?flowId=${flowId}&limit=200`, { token: fx.keys.auditor })).body.items as any[]).filter((e) => e.trigger === "recheck");
const pausesOf = async (fx: TenantFixture, flowId: string) => (await allAudit(api, fx.keys.auditor, `entityType=decision_flow&entityId=${flowId}`)).filter((r) => r.action === "auto_pause");

async function override(fx: TenantFixture, expiresInMs: number, flowId: string | null, approve = true): Promise<string> {
  const r = await api.request("POST", "/api/v1/fairness-overrides", {
    token: fx.keys.admin,
    body: { reason: "Documented exception", expiresAt: new Date(nowMs + expiresInMs).toISOString(), ...(flowId ? { flowId } : {}) },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  if (approve) expect((await api.request("POST", `/api/v1/fairness-overrides/${r.body.id}/approve`, { token: fx.keys.approver })).status).toBe(200);
  return r.body.id;
}

async function activeFlow(fx: TenantFixture, key: string, lines: unknown[]): Promise<string> {
  const id = await createFlow(api, fx.keys.publisher, key, PLATINUM_FLOW);
  // Published before its traffic arrives (the gate skips), so only a recheck can catch the breach.
  expect((await api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id } })).status).toBe(200);
  expect((await bulk(api, fx.keys.operator, lines)).status).toBe(201);
  return id;
}

beforeAll(async () => {
  app = await createInProcessApp({ clock, wrap: withFaults });
  api = inProcessClient(app);
  T = await createTenant(app, "sw1");
  U = await createTenant(app, "sw2");
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy() })).status).toBe(200);
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: U.keys.admin, body: policy({ continuousRecheck: false }) })).status).toBe(200);
  f.a = await activeFlow(T, "a", breachingLines("a"));
  f.b = await activeFlow(T, "b", fairLines("b"));
  f.c = await activeFlow(T, "c", breachingLines("c"));
  f.d = await activeFlow(T, "d", breachingLines("d"));
  f.u = await activeFlow(U, "u", breachingLines("u"));
  o.a = await override(T, HOUR, f.a);
  o.c = await override(T, 30 * 24 * HOUR, f.c);
  // Never approved: its expiry ends nothing, so it must not make d be evaluated.
  o.pendingD = await override(T, HOUR, f.d, false);
  o.u = await override(U, HOUR, f.u);
  nowMs += MINUTE;
});

afterAll(async () => {
  await app?.close();
});

describe("the sweep route", () => {
  it("is guarded by the cron secret like the recheck, and refuses an unknown job", async () => {
    const before = await tableCounts(app, T.id);
    expectProblem(await sweep("wrong-secret-wrong-secret"), 401, "unauthorized");
    expectProblem(await api.request("GET", "/api/v1/cron/fairness-recheck?job=expiry-sweep"), 401, "unauthorized");
    expectProblem(await sweep(app.cronSecret, "everything"), 400);
    expect(await tableCounts(app, T.id)).toEqual(before);
  });
});

describe("override expiry sweep", () => {
  it("before any approved override ends: idle, nothing evaluated", async () => {
    const before = await tableCounts(app, T.id);
    const r = await sweep();
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(mine(r.body, T)).toMatchObject({ status: "idle", overrides: [], flowsChecked: 0, paused: [] });
    expect(r.body.alerts).not.toBeNull();
    expect(await tableCounts(app, T.id)).toEqual(before);
  });

  it("after a flow override expires: exactly that flow is evaluated and paused, with the daily run's audit row", async () => {
    nowMs += 2 * HOUR;
    const evalsBefore = { b: (await recheckEvals(T, f.b)).length, c: (await recheckEvals(T, f.c)).length, d: (await recheckEvals(T, f.d)).length };
    const r = await sweep();
    const t = mine(r.body, T);
    expect(t).toMatchObject({ status: "checked", overrides: [o.a], flowsChecked: 1 });
    expect(t.paused.map((p: { flowId: string }) => p.flowId)).toEqual([f.a]);
    expect(await status(T, f.a)).toBe("paused");
    // The tenant without continuousRecheck: its ended override is marked, nothing evaluated.
    expect(mine(r.body, U)).toMatchObject({ status: "not_enabled", overrides: [o.u], flowsChecked: 0, paused: [] });
    // c is still covered, d's override was never approved, b's traffic is fair: none of them was even evaluated.
    expect({ b: (await recheckEvals(T, f.b)).length, c: (await recheckEvals(T, f.c)).length, d: (await recheckEvals(T, f.d)).length }).toEqual(evalsBefore);
    for (const id of [f.b, f.c, f.d]) expect(await status(T, id)).toBe("active");
    const [e] = await recheckEvals(T, f.a);
    expect(e).toMatchObject({ verdict: "block", overrideId: null });
    const pauses = await pausesOf(T, f.a);
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toMatchObject({
      action: "auto_pause",
      actor: "system:fairness-recheck",
      reason: "fairness_recheck_drift",
      before: { status: "active" },
      after: { status: "paused" },
      details: { evaluationId: e.id, trigger: "override_expiry_sweep", overrideIds: [o.a] },
    });
    expect(pauses[0].violations.length).toBeGreaterThan(0);
  });

  it("a second sweep finds nothing new: idle, no evaluation, no row", async () => {
    const before = { t: await tableCounts(app, T.id), audit: (await allAudit(api, T.keys.auditor)).length };
    const r = await sweep();
    expect(mine(r.body, T)).toMatchObject({ status: "idle", overrides: [], flowsChecked: 0 });
    expect({ t: await tableCounts(app, T.id), audit: (await allAudit(api, T.keys.auditor)).length }).toEqual(before);
  });

  it("a revoked override ends too: the next sweep pauses the flow it covered", async () => {
    expect((await api.request("POST", `/api/v1/fairness-overrides/${o.c}/revoke`, { token: T.keys.admin, body: { reason: "pilot over" } })).status).toBe(200);
    nowMs += MINUTE;
    const r = await sweep();
    expect(mine(r.body, T)).toMatchObject({ status: "checked", overrides: [o.c], flowsChecked: 1, paused: [{ flowId: f.c }] });
    expect(await status(T, f.c)).toBe("paused");
    expect(await pausesOf(T, f.c)).toHaveLength(1);
    expect(await status(T, f.d)).toBe("active");
  });

  it("a tenant-wide override's end re-evaluates every active flow of the tenant", async () => {
    o.tenantWide = await override(T, HOUR, null);
    nowMs += MINUTE;
    expect(mine((await sweep()).body, T)).toMatchObject({ status: "idle" });
    nowMs += 2 * HOUR;
    const r = await sweep();
    const t = mine(r.body, T);
    // b and d are the active flows; a and c are paused and stay untouched.
    expect(t).toMatchObject({ status: "checked", overrides: [o.tenantWide], flowsChecked: 2 });
    expect(t.paused.map((p: { flowId: string }) => p.flowId)).toEqual([f.d]);
    expect(await status(T, f.d)).toBe("paused");
    expect(await status(T, f.b)).toBe("active");
    expect(await pausesOf(T, f.a)).toHaveLength(1);
  });

  it("a tenant without continuousRecheck: once marked, its ended override is not handled again; nothing was paused", async () => {
    const r = await sweep();
    expect(mine(r.body, U)).toMatchObject({ status: "idle" });
    expect(await status(U, f.u)).toBe("active");
    expect(await recheckEvals(U, f.u)).toEqual([]);
    expect(await pausesOf(U, f.u)).toEqual([]);
  });
});

describe("idempotent by effect", () => {
  it("two overlapping sweeps pause the flow once (the second waits for the claim, then finds it handled)", async () => {
    f.e = await activeFlow(T, "e", breachingLines("e"));
    o.e = await override(T, HOUR, f.e);
    nowMs += 2 * HOUR;
    const reports = await Promise.all([runExpirySweep(app.deps), runExpirySweep(app.deps)]);
    const lines = reports.map((r) => mine(r, T));
    expect(lines.map((l) => l.status).sort()).toEqual(["checked", "idle"]);
    expect(lines.flatMap((l) => l.overrides)).toEqual([o.e]);
    expect(lines.flatMap((l) => l.paused.map((p: { flowId: string }) => p.flowId))).toEqual([f.e]);
    expect(await pausesOf(T, f.e)).toHaveLength(1);
  });

  it("a sweep that fails before marking is finished by the next one, which writes nothing twice", async () => {
    const g = await activeFlow(T, "g", breachingLines("g"));
    const og = await override(T, HOUR, g);
    nowMs += 2 * HOUR;
    failMarkFor = T.id;
    let r;
    try {
      r = await sweep();
    } finally {
      failMarkFor = null;
    }
    expect(mine(r.body, T)).toMatchObject({ status: "failed", error: "store_unavailable" });
    // The pause itself committed in its own batch before the marking failed.
    expect(await status(T, g)).toBe("paused");
    const next = await sweep();
    // The override is handled now; its flow is no longer active, so nothing is evaluated or paused again.
    expect(mine(next.body, T)).toMatchObject({ status: "checked", overrides: [og], flowsChecked: 0, paused: [] });
    expect(await pausesOf(T, g)).toHaveLength(1);
    expect(mine((await sweep()).body, T)).toMatchObject({ status: "idle" });
  });
});
