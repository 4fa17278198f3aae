/**
 * Proves the fairness-override lifecycle against the real gate: only an
 * approved, unexpired, unrevoked override that covers the flow (flow-specific or
 * tenant-wide) turns a blocked publish into a bypass; pending, expired and
 * revoked ones are ignored; approval is four-eyes, once, and not after expiry;
 * expiry bounds are enforced; the legacy inline `fairnessPolicy.override` block
 * only ever creates a PENDING request; and every step is audited with its actor.
 * Time moves through an injected clock, never by sleeping.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, allAudit, breachingLines, bulk, createFlow, createTenant, expectProblem, PLATINUM_FLOW, policy, tableCounts, type TenantFixture } from "./_support.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The app's clock: starts at a fixed instant, ticks 1 ms per read, and jumps when a test says so. */
let nowMs = Date.parse("2031-03-03T12:00:00.000Z");
const clock = () => new Date(nowMs++);
const advance = (ms: number) => {
  nowMs += ms;
};
const at = (offsetMs: number) => new Date(nowMs + offsetMs).toISOString();

let app: InProcessApp;
let api: Api;
let T: TenantFixture;
let X = "";
let Y = "";
/** Override ids by the test that made them, for the audit check at the end. */
const ov: Record<string, string> = {};

beforeAll(async () => {
  app = await createInProcessApp({ clock });
  api = inProcessClient(app);
  T = await createTenant(app, "ov", {
    // The admin's own person also holding the approver role: four-eyes must still refuse them.
    adminAsApprover: { principal: "admin@ov.test", roles: ["approver"] },
  });
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy({ windowDays: 30 }) })).status).toBe(200);
  X = await createFlow(api, T.keys.publisher, "flow-x", PLATINUM_FLOW);
  Y = await createFlow(api, T.keys.publisher, "flow-y", PLATINUM_FLOW);
  expect((await bulk(api, T.keys.operator, [...breachingLines("flow-x", 10), ...breachingLines("flow-y", 10)])).status).toBe(201);
  advance(MINUTE);
});

afterAll(async () => {
  await app?.close();
});

const publish = (id: string) => api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id } });
const request = (body: Record<string, unknown>, token = T.keys.admin) => api.request("POST", "/api/v1/fairness-overrides", { token, body });
const approve = (id: string, token = T.keys.approver) => api.request("POST", `/api/v1/fairness-overrides/${id}/approve`, { token });
const revoke = (id: string, reason?: string) => api.request("POST", `/api/v1/fairness-overrides/${id}/revoke`, { token: T.keys.admin, body: reason ? { reason } : undefined });
const getOverride = async (id: string) => (await api.request("GET", `/api/v1/fairness-overrides/${id}`, { token: T.keys.auditor })).body;

async function expectBlocked(flowId: string) {
  const r = await publish(flowId);
  expectProblem(r, 422, "fairness_gate_blocked");
  const ev = await api.request("GET", `/api/v1/fairness-evaluations/${r.body.evaluationId}`, { token: T.keys.auditor });
  expect(ev.body).toMatchObject({ verdict: "block", overrideId: null, approvedBy: null });
}

async function expectBypass(flowId: string, overrideId: string) {
  const r = await publish(flowId);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.evaluation).toMatchObject({ verdict: "bypass", overrideId, approvedBy: T.principals.approver, reason: "Fairness gate bypassed via active override" });
  expect(r.body.evaluation.violations.length).toBeGreaterThan(0);
}

describe("override lifecycle", () => {
  it("without any override both flows are blocked (the breach is real)", async () => {
    await expectBlocked(X);
    await expectBlocked(Y);
  });

  it("a pending override is ignored by the gate", async () => {
    const r = await request({ reason: "Pilot approved by risk, ticket RISK-1", expiresAt: at(2 * DAY), flowId: X });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: "pending", flowId: X, requestedBy: T.principals.admin, approvedBy: null });
    ov.x = r.body.id;
    await expectBlocked(X);
  });

  it("approval is four-eyes: the requester (even holding approver) and non-approvers are refused", async () => {
    expectProblem(await approve(ov.x!, T.keys.adminAsApprover), 403, "self_approval_forbidden");
    expectProblem(await approve(ov.x!, T.keys.admin), 403, "missing_role");
    expect((await getOverride(ov.x!)).status).toBe("pending");
    await expectBlocked(X);
  });

  it("an approved override turns the block into a bypass for its flow", async () => {
    const r = await approve(ov.x!);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "active", approvedBy: T.principals.approver });
    await expectBypass(X, ov.x!);
  });

  it("approving twice → 409 override_not_pending", async () => {
    expectProblem(await approve(ov.x!), 409, "override_not_pending");
  });

  it("an override for flow X does not apply to flow Y", async () => {
    await expectBlocked(Y);
  });

  it("an expired override is ignored (clock moved past expiresAt)", async () => {
    advance(2 * DAY + MINUTE);
    expect(Date.parse((await getOverride(ov.x!)).expiresAt)).toBeLessThan(nowMs);
    await expectBlocked(X);
  });

  it("approving an override that expired while pending → 409 override_expired, it stays pending", async () => {
    const r = await request({ reason: "Short exception, ticket RISK-2", expiresAt: at(HOUR), flowId: X });
    expect(r.status).toBe(201);
    ov.expiredPending = r.body.id;
    advance(2 * HOUR);
    expectProblem(await approve(ov.expiredPending!), 409, "override_expired");
    expect(await getOverride(ov.expiredPending!)).toMatchObject({ status: "pending", approvedBy: null });
    await expectBlocked(X);
  });

  it("a revoked override is ignored; revoking twice → 409; a revoked override cannot be approved", async () => {
    const r = await request({ reason: "Exception to be revoked, RISK-3", expiresAt: at(3 * DAY), flowId: X });
    ov.revoked = r.body.id;
    expect((await approve(ov.revoked!)).status).toBe(200);
    await expectBypass(X, ov.revoked!);
    const rv = await revoke(ov.revoked!, "regulator objected");
    expect(rv.status).toBe(200);
    expect(rv.body).toMatchObject({ status: "revoked", revokedBy: T.principals.admin, revokeReason: "regulator objected" });
    await expectBlocked(X);
    expectProblem(await revoke(ov.revoked!), 409, "override_already_revoked");
    expectProblem(await approve(ov.revoked!), 409, "override_not_pending");
  });

  it("a pending override can be revoked, and then never approved", async () => {
    const r = await request({ reason: "Withdrawn before approval, RISK-4", expiresAt: at(DAY) });
    ov.revokedPending = r.body.id;
    expect((await revoke(ov.revokedPending!)).body).toMatchObject({ status: "revoked", revokeReason: null });
    expectProblem(await approve(ov.revokedPending!), 409, "override_not_pending");
    await expectBlocked(X);
  });

  it("a tenant-wide override (no flowId) applies to every flow; a flow-specific one wins for its flow", async () => {
    const wide = await request({ reason: "Tenant-wide freeze exception, RISK-5", expiresAt: at(5 * DAY) });
    expect(wide.body.flowId).toBeNull();
    ov.wide = wide.body.id;
    expect((await approve(ov.wide!)).status).toBe(200);
    await expectBypass(X, ov.wide!);
    await expectBypass(Y, ov.wide!);

    const specific = await request({ reason: "Flow X specific exception, RISK-6", expiresAt: at(2 * DAY), flowId: X });
    ov.specific = specific.body.id;
    expect((await approve(ov.specific!)).status).toBe(200);
    await expectBypass(X, ov.specific!);
    await expectBypass(Y, ov.wide!);

    expect((await revoke(ov.wide!)).status).toBe(200);
    await expectBlocked(Y);
    await expectBypass(X, ov.specific!);
    expect((await revoke(ov.specific!)).status).toBe(200);
    await expectBlocked(X);
  });

  it("an override for a flow that does not exist → 404, nothing stored", async () => {
    const before = await tableCounts(app, T.id);
    expectProblem(await request({ reason: "No such flow here, RISK-7", expiresAt: at(DAY), flowId: "no-such-flow" }), 404);
    expect(await tableCounts(app, T.id)).toEqual(before);
  });

  it("expiresAt must be in the future and within 90 days → otherwise 400, nothing stored", async () => {
    const before = await tableCounts(app, T.id);
    for (const expiresAt of [at(-MINUTE), at(-400 * DAY), at(90 * DAY + MINUTE), at(365 * DAY), "9999-12-31T23:59:59Z"]) {
      expectProblem(await request({ reason: "Bounds check exception", expiresAt }), 400, "override_expiry_invalid");
    }
    for (const expiresAt of ["tomorrow", "2031-03-10", "2031-03-10T00:00:00"]) {
      expectProblem(await request({ reason: "Bounds check exception", expiresAt }), 400, "validation_failed");
    }
    expectProblem(await request({ reason: "too short", expiresAt: at(DAY) }), 400, "validation_failed");
    expect(await tableCounts(app, T.id)).toEqual(before);
    // The bounds are where they say: just inside 90 days is accepted.
    const ok = await request({ reason: "Just inside the 90-day bound", expiresAt: at(90 * DAY - MINUTE) });
    expect(ok.status).toBe(201);
    ov.longest = ok.body.id;
    expect((await tableCounts(app, T.id)).overrides).toBe(before.overrides + 1);
  });
});

describe("inline fairnessPolicy.override via PUT /tenant-settings", () => {
  it("creates a PENDING request (approvedBy in the block is ignored), never an instant bypass", async () => {
    const body = policy({ windowDays: 30, override: { reason: "Legacy inline exception, RISK-8", expiresAt: at(2 * DAY), flowId: X, approvedBy: "mallory@ov.test" } });
    const r = await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.overrideRequest).toMatchObject({ status: "pending", flowId: X, requestedBy: T.principals.admin, approvedBy: null, approvedAt: null });
    expect(r.body.fairnessPolicy).not.toHaveProperty("override");
    ov.inline = r.body.overrideRequest.id;
    // The stored policy has no override block either.
    const s = await api.request("GET", "/api/v1/tenant-settings", { token: T.keys.auditor });
    expect(s.body.fairnessPolicy).not.toHaveProperty("override");
    expect(s.body.fairnessPolicy).toMatchObject({ windowDays: 30, minSampleSize: 10 });
    expect(await getOverride(ov.inline!)).toMatchObject({ status: "pending", approvedBy: null });
    await expectBlocked(X);
  });

  it("its approval still needs a different approver; then it bypasses", async () => {
    expectProblem(await approve(ov.inline!, T.keys.adminAsApprover), 403, "self_approval_forbidden");
    await expectBlocked(X);
    const r = await approve(ov.inline!);
    expect(r.body).toMatchObject({ status: "active", approvedBy: T.principals.approver });
    await expectBypass(X, ov.inline!);
    expect((await revoke(ov.inline!)).status).toBe(200);
  });

  it("enabled:false creates nothing; an invalid expiry rejects the whole PUT (policy unchanged)", async () => {
    const before = await tableCounts(app, T.id);
    const off = await api.request("PUT", "/api/v1/tenant-settings", {
      token: T.keys.admin,
      body: policy({ windowDays: 30, override: { enabled: false, reason: "Disabled inline exception", expiresAt: at(DAY) } }),
    });
    expect(off.status).toBe(200);
    expect(off.body).not.toHaveProperty("overrideRequest");
    expect((await tableCounts(app, T.id)).overrides).toBe(before.overrides);

    const bad = await api.request("PUT", "/api/v1/tenant-settings", {
      token: T.keys.admin,
      body: policy({ windowDays: 30, minSampleSize: 999, override: { reason: "Expired inline exception", expiresAt: at(-DAY) } }),
    });
    expectProblem(bad, 400, "override_expiry_invalid");
    const s = await api.request("GET", "/api/v1/tenant-settings", { token: T.keys.auditor });
    expect(s.body.fairnessPolicy.minSampleSize).toBe(10);
    const after = await tableCounts(app, T.id);
    expect(after.overrides).toBe(before.overrides);
    expect(after.audit).toBe(before.audit + 1); // only the enabled:false settings_update
  });
});

describe("audit trail", () => {
  it("every override step wrote exactly one audit row, with the acting principal and key", async () => {
    const rows = await allAudit(api, T.keys.auditor, "entityType=fairness_override");
    const trail = (id: string) => rows.filter((r) => r.entityId === id).map((r) => ({ action: r.action, actor: r.actor, keyId: r.details?.keyId }));
    const req = { action: "override_request", actor: T.principals.admin, keyId: T.keyIds.admin };
    const appr = { action: "override_approve", actor: T.principals.approver, keyId: T.keyIds.approver };
    const rev = { action: "override_revoke", actor: T.principals.admin, keyId: T.keyIds.admin };
    expect(trail(ov.x!)).toEqual([req, appr]);
    // Failed approvals (expired, self, twice) wrote nothing.
    expect(trail(ov.expiredPending!)).toEqual([req]);
    expect(trail(ov.revoked!)).toEqual([req, appr, rev]);
    expect(trail(ov.revokedPending!)).toEqual([req, rev]);
    expect(trail(ov.wide!)).toEqual([req, appr, rev]);
    expect(trail(ov.specific!)).toEqual([req, appr, rev]);
    expect(trail(ov.longest!)).toEqual([req]);
    expect(trail(ov.inline!)).toEqual([req, appr, rev]);
    // Nothing else was audited under fairness_override (no rows for rejected requests).
    expect(rows).toHaveLength(2 + 1 + 3 + 2 + 3 + 3 + 1 + 3);

    const inlineReq = rows.find((r) => r.entityId === ov.inline && r.action === "override_request");
    expect(inlineReq.details.via).toBe("tenant-settings");
    expect(inlineReq.after).toMatchObject({ status: "pending", flowId: X });
    const approveRow = rows.find((r) => r.entityId === ov.x && r.action === "override_approve");
    expect(approveRow).toMatchObject({ before: { status: "pending" }, after: { status: "active", approvedBy: T.principals.approver }, details: { requestedBy: T.principals.admin } });
    const revokeRow = rows.find((r) => r.entityId === ov.revoked && r.action === "override_revoke");
    expect(revokeRow).toMatchObject({ reason: "regulator objected", before: { status: "active" }, after: { status: "revoked" } });
  });
});
