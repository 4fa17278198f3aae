/**
 * Proves the daily fairness recheck over GET /api/v1/cron/fairness-recheck: the
 * route is guarded by the cron secret (and absent without one); only ACTIVE
 * flows of tenants with continuousRecheck are evaluated; only breaching flows
 * without an applicable override are paused; every run evaluates again (idempotent
 * by effect: a second or third run the same day pauses nothing twice and writes
 * no second auto_pause row); the auto_pause audit row carries its evidence;
 * and the status change and its audit row commit together or not at all.
 * (Overlapping runs and repeated critical outcomes: recheck-effects.test.ts.)
 * Time moves through an injected clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../worker/http/types.js";
import type { InStatement } from "../../worker/store/sql.js";
import { FAILING_STATEMENT, interceptTenantWrites } from "../helpers/tenant-writes.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import {
  type Api,
  allAudit,
  breachingLines,
  bulk,
  createFlow,
  createTenant,
  expectProblem,
  fairLines,
  openTenantDb,
  PLATINUM_FLOW,
  policy,
  tableCounts,
  tenantDigest,
  type TenantFixture,
} from "./_support.js";

const MINUTE = 60_000;
const DAY = 86_400_000;
const DAY1 = Date.parse("2031-05-10T00:00:00.000Z");

let nowMs = DAY1 + 12 * 3_600_000;
const clock = () => new Date(nowMs++);
/** Sets the app clock to `day` (0 = DAY1) at `hour` UTC. */
const setDay = (day: number, hour = 12) => {
  nowMs = DAY1 + day * DAY + hour * 3_600_000;
};
const scheduled = (day: number, hour = 3) => new Date(DAY1 + day * DAY + hour * 3_600_000).toISOString();

/** Fault injection: when set to a tenant id, that tenant's write batch carrying an auto_pause row gets a failing statement appended. */
let failAutoPauseFor: string | null = null;
const carriesAutoPause = (stmts: InStatement[]) => stmts.some((s) => typeof s === "object" && (s.args ?? []).includes("auto_pause"));

// The real batch runs — status UPDATE and audit INSERT included — and then hits a statement that fails.
const withFaults = (deps: AppDeps): AppDeps =>
  interceptTenantWrites(deps, (tenantId, stmts, write) => write(failAutoPauseFor === tenantId && carriesAutoPause(stmts) ? [...stmts, FAILING_STATEMENT] : stmts));

let app: InProcessApp;
let api: Api;
let T1: TenantFixture; // continuousRecheck on
let T2: TenantFixture; // policy on, continuousRecheck off
let T3: TenantFixture; // no policy at all
const f = { breach: "", fair: "", covered: "", draft: "", t2: "", t3: "" };
let coveredOverride = "";

async function recheck(scheduledTime?: string, secret = app.cronSecret) {
  const qs = scheduledTime ? `?scheduledTime=${encodeURIComponent(scheduledTime)}` : "";
  return api.request("GET", `/api/v1/cron/fairness-recheck${qs}`, { headers: { authorization: `Bearer ${secret}` } });
}
const tenantReport = (report: any, id: string) => report.tenants.find((t: { tenantId: string }) => t.tenantId === id);
const flow = async (fx: TenantFixture, id: string) => (await api.request("GET", `/api/v1/decision-flows/${id}`, { token: fx.keys.auditor })).body;
const evaluationsOf = async (fx: TenantFixture, flowId: string) =>
  (await api.request("GET", `/api/v1/fairness-evaluations?flowId=${flowId}&limit=200`, { token: fx.keys.auditor })).body.items as any[];

/** Everything a recheck may change except the evaluations it stores: statuses, non-evaluation audit rows, remediations, outbox. */
async function effectDigest(fx: TenantFixture) {
  const d = await tenantDigest(app, fx);
  const audit = (await allAudit(api, fx.keys.auditor)).filter((r) => !String(r.action).startsWith("evaluation_"));
  const db = openTenantDb(app, fx.id);
  try {
    const count = async (table: string) => Number((await db.execute(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    return { flowDetails: d.flowDetails, overrides: d.overrides, settings: d.settings, audit, remediations: await count("remediations"), outbox: await count("alert_outbox") };
  } finally {
    db.close();
  }
}

async function publishOk(fx: TenantFixture, id: string) {
  const r = await api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

beforeAll(async () => {
  app = await createInProcessApp({ clock, wrap: withFaults });
  api = inProcessClient(app);
  T1 = await createTenant(app, "rc1");
  T2 = await createTenant(app, "rc2");
  T3 = await createTenant(app, "rc3");
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T1.keys.admin, body: policy() })).status).toBe(200);
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T2.keys.admin, body: policy({ continuousRecheck: false }) })).status).toBe(200);

  // Published while there is no traffic (the gate skips), then the traffic arrives.
  f.breach = await createFlow(api, T1.keys.publisher, "breach", PLATINUM_FLOW);
  f.fair = await createFlow(api, T1.keys.publisher, "fair", PLATINUM_FLOW);
  f.covered = await createFlow(api, T1.keys.publisher, "covered", PLATINUM_FLOW);
  f.draft = await createFlow(api, T1.keys.publisher, "draft", PLATINUM_FLOW);
  for (const id of [f.breach, f.fair, f.covered]) await publishOk(T1, id);
  f.t2 = await createFlow(api, T2.keys.publisher, "t2-breach", PLATINUM_FLOW);
  await publishOk(T2, f.t2);
  f.t3 = await createFlow(api, T3.keys.publisher, "t3-breach", PLATINUM_FLOW);
  await publishOk(T3, f.t3);

  expect((await bulk(api, T1.keys.operator, [...breachingLines("breach"), ...fairLines("fair"), ...breachingLines("covered"), ...breachingLines("draft")])).status).toBe(201);
  expect((await bulk(api, T2.keys.operator, breachingLines("t2-breach"))).status).toBe(201);
  expect((await bulk(api, T3.keys.operator, breachingLines("t3-breach"))).status).toBe(201);

  const o = await api.request("POST", "/api/v1/fairness-overrides", {
    token: T1.keys.admin,
    body: { reason: "Covered flow: documented exception", expiresAt: new Date(nowMs + 3 * DAY).toISOString(), flowId: f.covered },
  });
  coveredOverride = o.body.id;
  expect((await api.request("POST", `/api/v1/fairness-overrides/${coveredOverride}/approve`, { token: T1.keys.approver })).status).toBe(200);
  nowMs += MINUTE;
});

afterAll(async () => {
  await app?.close();
});

describe("cron route guards", () => {
  it("wrong, missing or non-cron credentials → 401 problem, and nothing runs", async () => {
    const before = await tableCounts(app, T1.id);
    for (const headers of [{} as Record<string, string>, { authorization: "Bearer wrong-secret-wrong-secret" }, { authorization: `Bearer ${app.cronSecret}x` }, { authorization: `Bearer ${app.adminToken}` }, { authorization: `Bearer ${T1.keys.admin}` }, { authorization: app.cronSecret }]) {
      expectProblem(await api.request("GET", `/api/v1/cron/fairness-recheck?scheduledTime=${scheduled(0)}`, { headers }), 401, "unauthorized");
    }
    expectProblem(await api.request("GET", `/api/v1/cron/fairness-recheck?secret=${app.cronSecret}`), 401, "unauthorized");
    expect(await tableCounts(app, T1.id)).toEqual(before);
    expect((await flow(T1, f.breach)).status).toBe("active");
  });

  it("an invalid scheduledTime → 400", async () => {
    expectProblem(await recheck("yesterday"), 400);
    expectProblem(await recheck("2031-05-10"), 400);
  });

  it("an app without FAIRGATE_CRON_SECRET has no cron route at all (404, even with a bearer)", async () => {
    const off = await createInProcessApp({ env: { FAIRGATE_CRON_SECRET: "" } });
    try {
      expect(off.deps.cronSecret).toBeNull();
      const offApi = inProcessClient(off);
      for (const headers of [{} as Record<string, string>, { authorization: "Bearer " }, { authorization: `Bearer ${off.cronSecret}` }, { authorization: "Bearer null" }]) {
        expectProblem(await offApi.request("GET", "/api/v1/cron/fairness-recheck", { headers }), 404, "not_found");
      }
    } finally {
      await off.close();
    }
  });
});

describe("recheck runs", () => {
  let day1Report: any;
  let auditBefore: Record<string, number>;

  it("day 1: only the breaching active flow without an override is paused", async () => {
    auditBefore = { t1: (await tableCounts(app, T1.id)).audit, t2: (await tableCounts(app, T2.id)).audit, t3: (await tableCounts(app, T3.id)).audit };
    const draftBefore = await flow(T1, f.draft);
    const r = await recheck(scheduled(0));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    day1Report = r.body;
    expect(r.body).toMatchObject({ runKey: "fairness-recheck:2031-05-10", scheduledTime: scheduled(0), failedTenants: 0 });

    const t1 = tenantReport(r.body, T1.id);
    expect(t1).toMatchObject({ status: "checked", flowsChecked: 3 });
    expect(t1.paused).toHaveLength(1);
    expect(t1.paused[0]).toMatchObject({ flowId: f.breach, flowKey: "breach" });
    expect(t1.paused[0].violations.length).toBeGreaterThan(0);
    expect(t1.evaluations).toHaveLength(3);

    expect(tenantReport(r.body, T2.id)).toMatchObject({ status: "not_enabled", flowsChecked: 0, paused: [], evaluations: [] });
    expect(tenantReport(r.body, T3.id)).toMatchObject({ status: "not_enabled", flowsChecked: 0, paused: [], evaluations: [] });

    expect(await flow(T1, f.breach)).toMatchObject({ status: "paused", activeVersion: 1 });
    expect((await flow(T1, f.fair)).status).toBe("active");
    expect((await flow(T1, f.covered)).status).toBe("active");
    // The draft flow (breaching traffic and all) was not evaluated or touched.
    expect(await flow(T1, f.draft)).toEqual(draftBefore);
    expect(await evaluationsOf(T1, f.draft)).toEqual([]);
    // Tenants without continuousRecheck: flows untouched, no evaluations, no audit rows.
    expect((await flow(T2, f.t2)).status).toBe("active");
    expect((await flow(T3, f.t3)).status).toBe("active");
    expect((await evaluationsOf(T2, f.t2)).filter((e) => e.trigger === "recheck")).toEqual([]);
    expect((await tableCounts(app, T2.id)).audit).toBe(auditBefore.t2);
    expect((await tableCounts(app, T3.id)).audit).toBe(auditBefore.t3);
  });

  it("day 1: the evaluations say why (block / pass / bypass with the override)", async () => {
    const recheckEval = async (flowId: string) => (await evaluationsOf(T1, flowId)).filter((e) => e.trigger === "recheck");
    const [b] = await recheckEval(f.breach);
    expect(b).toMatchObject({ verdict: "block", flowKey: "breach", version: 1, overrideId: null });
    expect(tenantReport(day1Report, T1.id).paused[0].evaluationId).toBe(b.id);
    expect((await recheckEval(f.fair))[0]).toMatchObject({ verdict: "pass" });
    expect((await recheckEval(f.covered))[0]).toMatchObject({ verdict: "bypass", overrideId: coveredOverride, approvedBy: T1.principals.approver });
  });

  it("day 1: the auto_pause audit row carries its evidence, written with the status change", async () => {
    const rows = await allAudit(api, T1.keys.auditor, `entityType=decision_flow&entityId=${f.breach}`);
    const pauses = rows.filter((r) => r.action === "auto_pause");
    expect(pauses).toHaveLength(1);
    const p = pauses[0];
    expect(p).toMatchObject({
      entityType: "decision_flow",
      entityId: f.breach,
      action: "auto_pause",
      actor: "system:fairness-recheck",
      reason: "fairness_recheck_drift",
      before: { status: "active", activeVersion: 1 },
      after: { status: "paused", activeVersion: 1 },
      details: { evaluationId: tenantReport(day1Report, T1.id).paused[0].evaluationId, runKey: "fairness-recheck:2031-05-10" },
    });
    expect(p.violations.length).toBeGreaterThan(0);
    expect(p.violations).toEqual(tenantReport(day1Report, T1.id).paused[0].violations);
    // Same commit time as the status change.
    expect((await flow(T1, f.breach)).updatedAt).toBe(p.createdAt);
    // No other flow got an auto_pause.
    const all = await allAudit(api, T1.keys.auditor, "entityType=decision_flow");
    expect(all.filter((r) => r.action === "auto_pause").map((r) => r.entityId)).toEqual([f.breach]);
    // A paused flow stops serving.
    const rec = await api.request("POST", "/api/v1/recommend", { token: T1.keys.operator, body: { customerId: "late", decisionFlowKey: "breach", attributes: { ageBand: "65+" } } });
    expectProblem(rec, 409, "flow_not_active");
  });

  it("a second (and third) run the same day evaluates the active flows again and changes nothing else", async () => {
    const effects = { t1: await effectDigest(T1), t2: await tenantDigest(app, T2), t3: await tenantDigest(app, T3) };
    const evalsBefore = (await tableCounts(app, T1.id)).evaluations;
    for (const when of [scheduled(0, 23), scheduled(0, 3), `${scheduled(0, 0).slice(0, 19)}+00:00`]) {
      const r = await recheck(when);
      expect(r.status).toBe(200);
      expect(r.body.runKey).toBe("fairness-recheck:2031-05-10");
      // The paused flow is no longer active, so it is not evaluated (nor paused) again.
      const t1 = tenantReport(r.body, T1.id);
      expect(t1).toMatchObject({ status: "checked", flowsChecked: 2, paused: [] });
      expect(t1.evaluations).toHaveLength(2);
    }
    // Each run stored its two evaluations; every effect (statuses, pause rows, remediations, alerts) is as it was.
    expect((await tableCounts(app, T1.id)).evaluations - evalsBefore).toBe(6);
    expect({ t1: await effectDigest(T1), t2: await tenantDigest(app, T2), t3: await tenantDigest(app, T3) }).toEqual(effects);
  });

  it("without ?scheduledTime the run key is today's date from the clock", async () => {
    setDay(0, 18);
    const r = await recheck();
    expect(r.body.runKey).toBe("fairness-recheck:2031-05-10");
    expect(tenantReport(r.body, T1.id)).toMatchObject({ status: "checked", paused: [] });
  });

  it("day 2: the paused flow is not re-evaluated; active ones are, and stay active", async () => {
    setDay(1);
    const breachEvals = (await evaluationsOf(T1, f.breach)).length;
    const breachFlow = await flow(T1, f.breach);
    const r = await recheck(scheduled(1));
    const t1 = tenantReport(r.body, T1.id);
    expect(t1).toMatchObject({ status: "checked", flowsChecked: 2, paused: [] });
    expect((await evaluationsOf(T1, f.breach)).length).toBe(breachEvals);
    expect(await flow(T1, f.breach)).toEqual(breachFlow);
    expect((await flow(T1, f.covered)).status).toBe("active");
  });

  it("day 4: once the override has expired, the covered flow is paused too", async () => {
    setDay(3, 18); // the override expires at day 3, 12:00 + a few ms
    const r = await recheck(scheduled(3));
    const t1 = tenantReport(r.body, T1.id);
    expect(t1).toMatchObject({ status: "checked", flowsChecked: 2 });
    expect(t1.paused.map((p: { flowId: string }) => p.flowId)).toEqual([f.covered]);
    expect((await flow(T1, f.covered)).status).toBe("paused");
    expect((await flow(T1, f.fair)).status).toBe("active");
  });
});

describe("atomicity of the auto-pause", () => {
  it("if the batch fails after the status UPDATE ran, neither the pause nor its audit row nor the evaluation persist; a retry then pauses", async () => {
    setDay(5);
    const T4 = await createTenant(app, "rc4");
    expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T4.keys.admin, body: policy() })).status).toBe(200);
    const id = await createFlow(api, T4.keys.publisher, "t4-breach", PLATINUM_FLOW);
    await publishOk(T4, id);
    expect((await bulk(api, T4.keys.operator, breachingLines("t4-breach"))).status).toBe(201);
    nowMs += MINUTE;

    const before = await tenantDigest(app, T4);
    failAutoPauseFor = T4.id;
    let r;
    try {
      r = await recheck(scheduled(5));
    } finally {
      failAutoPauseFor = null;
    }
    expect(r.status).toBe(200);
    expect(tenantReport(r.body, T4.id)).toMatchObject({ status: "failed", error: "store_unavailable", paused: [] });
    expect(r.body.failedTenants).toBe(1);
    // Other tenants were still processed.
    expect(tenantReport(r.body, T1.id).status).toBe("checked");
    // Nothing of the failed batch is visible: flow still active, no auto_pause row, no recheck evaluation.
    expect(await tenantDigest(app, T4)).toEqual(before);
    expect((await flow(T4, id)).status).toBe("active");

    // The failed run released its claim, so the same day can be retried at once.
    const retry = await recheck(scheduled(5, 9));
    expect(tenantReport(retry.body, T4.id)).toMatchObject({ status: "checked", flowsChecked: 1 });
    expect(tenantReport(retry.body, T4.id).paused.map((p: { flowId: string }) => p.flowId)).toEqual([id]);
    expect(tenantReport(retry.body, T1.id)).toMatchObject({ status: "checked", paused: [] });
    expect((await flow(T4, id)).status).toBe("paused");
    const pauses = (await allAudit(api, T4.keys.auditor, `entityId=${id}`)).filter((a) => a.action === "auto_pause");
    expect(pauses).toHaveLength(1);
  });
});
