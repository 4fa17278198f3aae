/**
 * Archived flows over HTTP: archiving an active flow stops it
 * serving at once (recommend → 409), the daily recheck and the override-expiry
 * sweep skip it even though its traffic breaches, it keeps its history
 * (versions, evaluations, audit rows), it is hidden from the default list and
 * shown by `?status=archived`, it cannot be published or edited (409
 * `flow_archived`), archive and unarchive are audited and publisher-only, and an
 * unarchived flow is paused until it is published through the gate again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, allAudit, breachingLines, bulk, createFlow, createTenant, expectProblem, PLATINUM_FLOW, policy, type TenantFixture } from "./_support.js";

const DAY = 86_400_000;
let nowMs = Date.parse("2031-06-02T12:00:00.000Z");
const clock = () => new Date(nowMs++);

let app: InProcessApp;
let api: Api;
let T: TenantFixture;
let archived = "";
let live = "";

const recommend = (key: string) =>
  api.request("POST", "/api/v1/recommend", { token: T.keys.operator, body: { customerId: "c-1", decisionFlowKey: key, attributes: { tier: "gold", income: 90000, ageBand: "25-34" } } });
const publish = (id: string) => api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id } });
const getFlow = async (id: string) => (await api.request("GET", `/api/v1/decision-flows/${id}`, { token: T.keys.auditor })).body;
const listIds = async (qs = "") => ((await api.request("GET", `/api/v1/decision-flows${qs}`, { token: T.keys.auditor })).body.items as { id: string }[]).map((f) => f.id);
const evaluationsOf = async (id: string) => (await api.request("GET", `/api/v1/fairness-evaluations?flowId=${id}&limit=200`, { token: T.keys.auditor })).body.items as any[];

beforeAll(async () => {
  app = await createInProcessApp({ clock });
  api = inProcessClient(app);
  T = await createTenant(app, "arch");
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy() })).status).toBe(200);
  archived = await createFlow(api, T.keys.publisher, "to-archive", PLATINUM_FLOW);
  live = await createFlow(api, T.keys.publisher, "live", PLATINUM_FLOW);
  // Published with no traffic (the gate skips), then both flows' traffic breaches.
  for (const id of [archived, live]) expect((await publish(id)).status).toBe(200);
  expect((await recommend("to-archive")).status).toBe(200);
  expect((await bulk(api, T.keys.operator, [...breachingLines("to-archive"), ...breachingLines("live")])).status).toBe(201);
});

afterAll(async () => {
  await app?.close();
});

describe("archived flows", () => {
  it("only a publisher archives; archiving an active flow is audited and stops it serving", async () => {
    for (const role of ["operator", "admin", "approver", "auditor"] as const)
      expectProblem(await api.request("POST", `/api/v1/decision-flows/${archived}/archive`, { token: T.keys[role] }), 403, "missing_role");
    const before = await evaluationsOf(archived);
    const r = await api.request("POST", `/api/v1/decision-flows/${archived}/archive`, { token: T.keys.publisher });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ id: archived, status: "archived", activeVersion: 1 });
    expect(await getFlow(archived)).toMatchObject({ status: "archived", activeVersion: 1, definition: PLATINUM_FLOW });

    const rows = (await allAudit(api, T.keys.auditor)).filter((a) => a.entityId === archived && a.action === "archive");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: T.principals.publisher, before: { status: "active", activeVersion: 1 }, after: { status: "archived" } });

    const rec = await recommend("to-archive");
    expectProblem(rec, 409, "flow_not_active");
    expect(rec.body.detail).toContain("archived");
    // History is kept: the evaluations are still there, and a second archive is refused.
    expect((await evaluationsOf(archived)).map((e) => e.id)).toEqual(before.map((e) => e.id));
    expectProblem(await api.request("POST", `/api/v1/decision-flows/${archived}/archive`, { token: T.keys.publisher }), 409, "flow_archived");
  });

  it("is hidden from the default list and shown by ?status=archived", async () => {
    expect(await listIds()).toEqual([live]);
    expect(await listIds("?status=archived")).toEqual([archived]);
    expect(await listIds("?status=active")).toEqual([live]);
    expect(await listIds("?status=paused")).toEqual([]);
  });

  it("cannot be published or edited while archived", async () => {
    expectProblem(await publish(archived), 409, "flow_archived");
    expectProblem(await api.request("PUT", `/api/v1/decision-flows/${archived}`, { token: T.keys.publisher, body: { definition: PLATINUM_FLOW } }), 409, "flow_archived");
    expect(await getFlow(archived)).toMatchObject({ status: "archived", version: 1 });
  });

  it("the daily recheck and the expiry sweep skip it; the live breaching flow is paused", async () => {
    const evaluationsBefore = (await evaluationsOf(archived)).length;
    const r = await api.request("GET", "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${app.cronSecret}` } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const mine = r.body.tenants.find((t: { tenantId: string }) => t.tenantId === T.id);
    expect(mine.paused.map((p: { flowId: string }) => p.flowId)).toEqual([live]);
    expect(mine.evaluations).toHaveLength(1);
    expect((await evaluationsOf(archived)).length).toBe(evaluationsBefore);
    expect((await getFlow(archived)).status).toBe("archived");
    expect((await getFlow(live)).status).toBe("paused");

    // A tenant-wide override that ends makes the sweep evaluate every active flow: not the archived one.
    const o = await api.request("POST", "/api/v1/fairness-overrides", { token: T.keys.admin, body: { reason: "Tenant-wide exception for a day", expiresAt: new Date(nowMs + DAY).toISOString() } });
    expect((await api.request("POST", `/api/v1/fairness-overrides/${o.body.id}/approve`, { token: T.keys.approver })).status).toBe(200);
    nowMs += 2 * DAY;
    const s = await api.request("GET", "/api/v1/cron/fairness-recheck?job=expiry-sweep", { headers: { authorization: `Bearer ${app.cronSecret}` } });
    expect(s.status, JSON.stringify(s.body)).toBe(200);
    const swept = s.body.tenants.find((t: { tenantId: string }) => t.tenantId === T.id);
    expect(swept.overrides).toEqual([o.body.id]);
    expect(swept.flowsChecked).toBe(0);
    expect((await evaluationsOf(archived)).length).toBe(evaluationsBefore);
    const pauses = (await allAudit(api, T.keys.auditor)).filter((a) => a.entityId === archived && a.action === "auto_pause");
    expect(pauses).toEqual([]);
  });

  it("unarchive is audited and leaves the flow paused until it is published again", async () => {
    expectProblem(await api.request("POST", `/api/v1/decision-flows/${live}/unarchive`, { token: T.keys.publisher }), 409, "flow_not_archived");
    expectProblem(await api.request("POST", `/api/v1/decision-flows/${archived}/unarchive`, { token: T.keys.admin }), 403, "missing_role");
    expectProblem(await api.request("POST", "/api/v1/decision-flows/no-such-flow/unarchive", { token: T.keys.publisher }), 404, "not_found");
    const r = await api.request("POST", `/api/v1/decision-flows/${archived}/unarchive`, { token: T.keys.publisher });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ id: archived, status: "paused", activeVersion: 1 });
    expect(await getFlow(archived)).toMatchObject({ status: "paused" });
    expect(await listIds("?status=archived")).toEqual([]);
    expect((await listIds()).sort()).toEqual([archived, live].sort());
    expectProblem(await recommend("to-archive"), 409, "flow_not_active");
    const rows = (await allAudit(api, T.keys.auditor)).filter((a) => a.entityId === archived && a.action === "unarchive");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: T.principals.publisher, before: { status: "archived" }, after: { status: "paused", activeVersion: 1 } });
    // Serving again goes through the gate: its traffic still breaches, so the publish is refused.
    expectProblem(await publish(archived), 422, "fairness_gate_blocked");
  });

  it("archiving a draft and unarchiving it gives back a draft", async () => {
    const draft = await createFlow(api, T.keys.publisher, "draft-only", PLATINUM_FLOW);
    expect((await api.request("POST", `/api/v1/decision-flows/${draft}/archive`, { token: T.keys.publisher, body: {} })).body).toMatchObject({ status: "archived", activeVersion: null });
    expect((await api.request("POST", `/api/v1/decision-flows/${draft}/unarchive`, { token: T.keys.publisher, body: {} })).body).toMatchObject({ status: "draft", activeVersion: null });
    expect((await getFlow(draft)).status).toBe("draft");
  });
});
