/**
 * Override approvals in stages over HTTP. A policy's
 * `overrideApprovals` (default: one approver stage) is fixed on the request when
 * it is made; stages are decided in order, each by a holder of the stage's role
 * who is neither the requester nor an earlier approver; the override bypasses
 * the gate only once the last stage approved; a reject (with a reason) at any
 * stage ends the request as `rejected`; every decision is an audit row; a
 * rejected request cannot be approved or revoked; two concurrent decisions of
 * one stage cannot both commit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, allAudit, breachingLines, bulk, createFlow, createTenant, expectProblem, PLATINUM_FLOW, policy, type TenantFixture } from "./_support.js";

const DAY = 86_400_000;
let nowMs = Date.parse("2031-08-04T12:00:00.000Z");
const clock = () => new Date(nowMs++);

const STAGES = [
  { stage: "risk", role: "approver" },
  { stage: "compliance", role: "admin" },
];

let app: InProcessApp;
let api: Api;
let T: TenantFixture;
let flowId = "";

const request = async (reason = "Documented exception while the model is retrained") => {
  const r = await api.request("POST", "/api/v1/fairness-overrides", { token: T.keys.admin, body: { reason, expiresAt: new Date(nowMs + 3 * DAY).toISOString(), flowId } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};
const approve = (id: string, key: string) => api.request("POST", `/api/v1/fairness-overrides/${id}/approve`, { token: T.keys[key] });
const reject = (id: string, key: string, reason?: string) => api.request("POST", `/api/v1/fairness-overrides/${id}/reject`, { token: T.keys[key], body: reason === undefined ? {} : { reason } });
const getOverride = async (id: string) => (await api.request("GET", `/api/v1/fairness-overrides/${id}`, { token: T.keys.auditor })).body;
const publish = () => api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id: flowId } });
const auditOf = async (id: string) => (await allAudit(api, T.keys.auditor)).filter((a) => a.entityId === id);
const setStages = async (overrideApprovals?: unknown) => {
  const r = await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy(overrideApprovals ? { overrideApprovals } : {}) });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};

beforeAll(async () => {
  app = await createInProcessApp({ clock });
  api = inProcessClient(app);
  T = await createTenant(app, "stages", {
    approver2: { principal: "approver2@stages.test", roles: ["approver"] },
    admin2: { principal: "admin2@stages.test", roles: ["admin"] },
    dual: { principal: "dual@stages.test", roles: ["approver", "admin"] },
  });
  flowId = await createFlow(api, T.keys.publisher, "staged", PLATINUM_FLOW);
  expect((await bulk(api, T.keys.operator, breachingLines("staged"))).status).toBe(201);
});

afterAll(async () => {
  await app?.close();
});

describe("override approvals in stages", () => {
  it("validates the stages: distinct names, an approving role, at least one", async () => {
    for (const bad of [[{ stage: "a", role: "approver" }, { stage: "a", role: "admin" }], [{ stage: "a", role: "operator" }], [], [{ stage: "", role: "approver" }]])
      expectProblem(await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy({ overrideApprovals: bad }) }), 400, "validation_failed");
  });

  it("default policy: one approver stage, and reject exists for it too", async () => {
    await setStages();
    const o = await request();
    expect(o).toMatchObject({ status: "pending", stages: [{ stage: "approval", role: "approver" }], decisions: [], currentStage: { index: 0, stage: "approval", role: "approver" } });
    expectProblem(await reject(o.id, "approver"), 400, "validation_failed");
    const r = await reject(o.id, "approver", "Not justified by the data");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: "rejected", rejectedBy: T.principals.approver, rejectReason: "Not justified by the data", currentStage: null });
    expect(await getOverride(o.id)).toMatchObject({ status: "rejected", decisions: [{ stageIndex: 0, decision: "reject", decidedBy: T.principals.approver, reason: "Not justified by the data" }] });
    expectProblem(await approve(o.id, "approver2"), 409, "override_not_pending");
    expectProblem(await api.request("POST", `/api/v1/fairness-overrides/${o.id}/revoke`, { token: T.keys.admin, body: {} }), 409, "override_rejected");
    const listed = await api.request("GET", "/api/v1/fairness-overrides?status=rejected", { token: T.keys.auditor });
    expect(listed.body.items.map((x: { id: string }) => x.id)).toEqual([o.id]);
  });

  it("two stages: decided in order by different people; active only after the last", async () => {
    await setStages(STAGES);
    const o = await request();
    expect(o).toMatchObject({ stages: STAGES, currentStage: { index: 0, stage: "risk" } });

    // The requester never decides; the stage's role is required; the route admits approver and admin only.
    expectProblem(await approve(o.id, "admin"), 403, "self_approval_forbidden");
    expectProblem(await approve(o.id, "admin2"), 403, "missing_role");
    expectProblem(await approve(o.id, "operator"), 403, "missing_role");

    const first = await approve(o.id, "dual");
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ status: "pending", approvedBy: null, currentStage: { index: 1, stage: "compliance", role: "admin" }, decisions: [{ stage: "risk", decidedBy: "dual@stages.test", decision: "approve" }] });
    // Pending after the first stage: the gate still blocks.
    expectProblem(await publish(), 422, "fairness_gate_blocked");

    // The risk approver holds the admin role too, but may not decide a second stage; an approver lacks the stage's role.
    expectProblem(await approve(o.id, "dual"), 403, "repeat_approver_forbidden");
    expectProblem(await approve(o.id, "approver"), 403, "missing_role");
    expectProblem(await approve(o.id, "admin"), 403, "self_approval_forbidden");

    const last = await approve(o.id, "admin2");
    expect(last.status, JSON.stringify(last.body)).toBe(200);
    expect(last.body).toMatchObject({ status: "active", approvedBy: "admin2@stages.test", currentStage: null });
    expect((await getOverride(o.id)).decisions.map((d: { stage: string; decidedBy: string }) => [d.stage, d.decidedBy])).toEqual([
      ["risk", "dual@stages.test"],
      ["compliance", "admin2@stages.test"],
    ]);
    expectProblem(await approve(o.id, "approver2"), 409, "override_not_pending");

    const p = await publish();
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body.evaluation).toMatchObject({ verdict: "bypass", overrideId: o.id, approvedBy: "admin2@stages.test" });

    const rows = await auditOf(o.id);
    expect(rows.map((a) => a.action)).toEqual(["override_request", "override_approve", "override_approve"]);
    expect(rows[0].after).toMatchObject({ status: "pending", stages: STAGES });
    expect(rows[1]).toMatchObject({ actor: "dual@stages.test", after: { status: "pending", nextStage: "compliance" }, details: { stage: "risk", stageIndex: 0, stages: 2 } });
    expect(rows[2]).toMatchObject({ actor: "admin2@stages.test", after: { status: "active", approvedBy: "admin2@stages.test" }, details: { stage: "compliance", stageIndex: 1 } });
    expect((await api.request("POST", `/api/v1/fairness-overrides/${o.id}/revoke`, { token: T.keys.admin, body: { reason: "done" } })).status).toBe(200);
  });

  it("a reject at a later stage ends the request, with its reason, and nothing bypasses", async () => {
    const o = await request();
    expect((await approve(o.id, "approver")).status).toBe(200);
    expectProblem(await reject(o.id, "approver", "second look"), 403, "repeat_approver_forbidden");
    const r = await reject(o.id, "admin2", "Compliance does not accept the exception");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: "rejected", rejectedBy: "admin2@stages.test", rejectReason: "Compliance does not accept the exception", approvedBy: null });
    expectProblem(await approve(o.id, "dual"), 409, "override_not_pending");
    expectProblem(await reject(o.id, "dual", "again"), 409, "override_not_pending");
    expectProblem(await publish(), 422, "fairness_gate_blocked");
    const rows = await auditOf(o.id);
    expect(rows.map((a) => a.action)).toEqual(["override_request", "override_approve", "override_reject"]);
    expect(rows[2]).toMatchObject({ actor: "admin2@stages.test", reason: "Compliance does not accept the exception", after: { status: "rejected" }, details: { stage: "compliance", stageIndex: 1 } });
  });

  it("a request keeps the stages it was made under when the policy changes", async () => {
    const o = await request();
    await setStages(); // back to the single default stage
    expect((await approve(o.id, "approver")).body).toMatchObject({ status: "pending", currentStage: { stage: "compliance" } });
    expect((await approve(o.id, "admin2")).body).toMatchObject({ status: "active" });
    expect((await api.request("POST", `/api/v1/fairness-overrides/${o.id}/revoke`, { token: T.keys.admin, body: {} })).status).toBe(200);
  });

  it("two concurrent decisions of one stage: exactly one commits", async () => {
    await setStages(STAGES);
    const o = await request();
    const answers = await Promise.all([approve(o.id, "approver"), approve(o.id, "approver2")]);
    const ok = answers.filter((a) => a.status === 200);
    expect(ok).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) expect([403, 409]).toContain(a.status);
    const after = await getOverride(o.id);
    expect(after.decisions).toHaveLength(1);
    expect(after).toMatchObject({ status: "pending", currentStage: { stage: "compliance" } });
    expect((await auditOf(o.id)).filter((a) => a.action === "override_approve")).toHaveLength(1);
  });
});
