/**
 * Proves tenant isolation end to end: with every role's key of tenant A, every
 * tenant route aimed at tenant B's ids answers exactly as for an id that does
 * not exist (404, or 400 for a bulk load naming an unknown flow), A's lists never
 * show B's items, and B's observable state (API views and database row counts)
 * is byte-for-byte the same afterwards. Also: tenant keys never open platform
 * routes, and revoked or unknown keys are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import {
  type Api,
  bulk,
  breachingLines,
  createFlow,
  createTenant,
  expectProblem,
  PLATINUM_FLOW,
  policy,
  revokeApiKeyInControlStore,
  type Res,
  tableCounts,
  tenantDigest,
  type TenantFixture,
} from "./_support.js";

let app: InProcessApp;
let api: Api;
let A: TenantFixture;
let B: TenantFixture;
/** Tenant B's ids, created in beforeAll. */
const b = { flowId: "", flowKey: "b-cards", draftFlowId: "", traceIds: [] as string[], overrideId: "", pendingOverrideId: "", evaluationId: "" };
let bBefore: Awaited<ReturnType<typeof tenantDigest>>;
let aBefore: Awaited<ReturnType<typeof tenantDigest>>;

const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

beforeAll(async () => {
  app = await createInProcessApp();
  api = inProcessClient(app);
  A = await createTenant(app, "tenant-a");
  B = await createTenant(app, "tenant-b");

  // Tenant A: its own policy (different attribute, so a leak of B's would show) and a flow.
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: A.keys.admin, body: policy({ sensitiveAttribute: "region", minSampleSize: 500 }) })).status).toBe(200);
  const aFlow = await createFlow(api, A.keys.publisher, "a-cards", PLATINUM_FLOW);
  expect((await api.request("POST", "/api/v1/decision-flows/publish", { token: A.keys.publisher, body: { id: aFlow } })).status).toBe(200);

  // Tenant B: policy, a published flow, a draft flow, live traces + an outcome, bulk traces, overrides, evaluations.
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: B.keys.admin, body: policy() })).status).toBe(200);
  b.flowId = await createFlow(api, B.keys.publisher, b.flowKey, PLATINUM_FLOW);
  b.draftFlowId = await createFlow(api, B.keys.publisher, "b-draft", PLATINUM_FLOW);
  const pub = await api.request("POST", "/api/v1/decision-flows/publish", { token: B.keys.publisher, body: { id: b.flowId } });
  expect(pub.status).toBe(200);
  b.evaluationId = pub.body.evaluation.id;
  for (let i = 0; i < 4; i++) {
    const r = await api.request("POST", "/api/v1/recommend", {
      token: B.keys.operator,
      body: { customerId: `b-${i}`, decisionFlowKey: b.flowKey, attributes: { ageBand: i % 2 ? "65+" : "25-34", tier: "gold", income: 90_000 } },
    });
    expect(r.status).toBe(200);
    b.traceIds.push(r.body.traceId);
  }
  expect((await api.request("POST", "/api/v1/outcomes", { token: B.keys.operator, body: { traceId: b.traceIds[0], converted: true } })).status).toBe(200);
  expect((await bulk(api, B.keys.operator, breachingLines(b.flowKey, 10))).status).toBe(201);
  const expiresAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const ov = await api.request("POST", "/api/v1/fairness-overrides", { token: B.keys.admin, body: { reason: "B's documented exception", expiresAt, flowId: b.flowId } });
  expect(ov.status).toBe(201);
  b.overrideId = ov.body.id;
  expect((await api.request("POST", `/api/v1/fairness-overrides/${b.overrideId}/approve`, { token: B.keys.approver })).status).toBe(200);
  const pending = await api.request("POST", "/api/v1/fairness-overrides", { token: B.keys.admin, body: { reason: "B's pending exception", expiresAt } });
  expect(pending.status).toBe(201);
  b.pendingOverrideId = pending.body.id;

  bBefore = await tenantDigest(app, B);
  aBefore = await tenantDigest(app, A);
  // Sanity: B really has the things we are going to aim at.
  expect(bBefore.db.traces).toBe(24);
  expect(bBefore.overrides).toHaveLength(2);
  expect(bBefore.evaluations.map((e: { id: string }) => e.id)).toContain(b.evaluationId);
});

afterAll(async () => {
  await app?.close();
});

/** A's answer for B's id must be the same answer as for an id that exists nowhere. */
function expectSameAsUnknown(forB: Res, forUnknown: Res, status = 404) {
  expectProblem(forB, status);
  expectProblem(forUnknown, status);
  expect(forB.body.code).toBe(forUnknown.body.code);
  expect(forB.body.detail).toBe(forUnknown.body.detail);
}

describe("tenant A's keys against tenant B's ids", () => {
  it("GET /decision-flows/{id}: 404 for every reader role, same as an unknown id", async () => {
    for (const role of ["operator", "publisher", "admin", "approver", "auditor"]) {
      for (const id of [b.flowId, b.draftFlowId]) {
        const r = await api.request("GET", `/api/v1/decision-flows/${id}`, { token: A.keys[role] });
        const u = await api.request("GET", `/api/v1/decision-flows/${UNKNOWN_ID}`, { token: A.keys[role] });
        expectSameAsUnknown(r, u);
      }
    }
  });

  it("PUT /decision-flows/{id}: 404", async () => {
    const body = { definition: { ...PLATINUM_FLOW, maxOffers: 1 } };
    expectSameAsUnknown(
      await api.request("PUT", `/api/v1/decision-flows/${b.flowId}`, { token: A.keys.publisher, body }),
      await api.request("PUT", `/api/v1/decision-flows/${UNKNOWN_ID}`, { token: A.keys.publisher, body }),
    );
  });

  it("POST /decision-flows/publish {id}: 404 (for B's active and draft flows)", async () => {
    for (const id of [b.flowId, b.draftFlowId]) {
      expectSameAsUnknown(
        await api.request("POST", "/api/v1/decision-flows/publish", { token: A.keys.publisher, body: { id } }),
        await api.request("POST", "/api/v1/decision-flows/publish", { token: A.keys.publisher, body: { id: UNKNOWN_ID } }),
      );
    }
  });

  it("POST /recommend with B's flow key: 404", async () => {
    const body = (key: string) => ({ customerId: "x", decisionFlowKey: key, attributes: { ageBand: "65+", tier: "gold" } });
    expectSameAsUnknown(
      await api.request("POST", "/api/v1/recommend", { token: A.keys.operator, body: body(b.flowKey) }),
      await api.request("POST", "/api/v1/recommend", { token: A.keys.operator, body: body("no-such-flow") }),
    );
  });

  it("POST /outcomes with B's traceId: 404 (both values, so neither 'unchanged' nor 'conflict' can leak)", async () => {
    for (const converted of [true, false]) {
      for (const traceId of b.traceIds) {
        expectSameAsUnknown(
          await api.request("POST", "/api/v1/outcomes", { token: A.keys.operator, body: { traceId, converted } }),
          await api.request("POST", "/api/v1/outcomes", { token: A.keys.operator, body: { traceId: UNKNOWN_ID, converted } }),
        );
      }
    }
  });

  it("POST /decision-traces/bulk naming B's flow key: 400 bulk_invalid_lines, nothing written in A or B", async () => {
    const aTraces = (await tableCounts(app, A.id)).traces;
    const r = await bulk(api, A.keys.operator, breachingLines(b.flowKey, 2));
    expectProblem(r, 400, "bulk_invalid_lines");
    expect(r.body.badLines).toEqual([1, 2, 3, 4]);
    expect(r.body.errors.flatMap((e: { errors: string[] }) => e.errors)).toContain(`decisionFlowKey: unknown decision flow "${b.flowKey}"`);
    // One good line for A's own flow does not let the rest through (all or nothing).
    const mixed = await bulk(api, A.keys.operator, [...breachingLines("a-cards", 1), ...breachingLines(b.flowKey, 1)]);
    expectProblem(mixed, 400, "bulk_invalid_lines");
    expect(mixed.body.badLines).toEqual([3, 4]);
    expect((await tableCounts(app, A.id)).traces).toBe(aTraces);
    expect((await tableCounts(app, B.id)).traces).toBe(bBefore.db.traces);
  });

  it("GET /fairness-evaluations/{id}: 404 for every evaluation reader", async () => {
    for (const role of ["publisher", "admin", "approver", "auditor"]) {
      expectSameAsUnknown(
        await api.request("GET", `/api/v1/fairness-evaluations/${b.evaluationId}`, { token: A.keys[role] }),
        await api.request("GET", `/api/v1/fairness-evaluations/${UNKNOWN_ID}`, { token: A.keys[role] }),
      );
    }
  });

  it("GET /fairness-overrides/{id}, approve and revoke: 404", async () => {
    for (const id of [b.overrideId, b.pendingOverrideId]) {
      for (const role of ["publisher", "admin", "approver", "auditor"]) {
        expectSameAsUnknown(
          await api.request("GET", `/api/v1/fairness-overrides/${id}`, { token: A.keys[role] }),
          await api.request("GET", `/api/v1/fairness-overrides/${UNKNOWN_ID}`, { token: A.keys[role] }),
        );
      }
      expectSameAsUnknown(
        await api.request("POST", `/api/v1/fairness-overrides/${id}/approve`, { token: A.keys.approver }),
        await api.request("POST", `/api/v1/fairness-overrides/${UNKNOWN_ID}/approve`, { token: A.keys.approver }),
      );
      expectSameAsUnknown(
        await api.request("POST", `/api/v1/fairness-overrides/${id}/revoke`, { token: A.keys.admin, body: { reason: "cross-tenant attempt" } }),
        await api.request("POST", `/api/v1/fairness-overrides/${UNKNOWN_ID}/revoke`, { token: A.keys.admin, body: { reason: "cross-tenant attempt" } }),
      );
    }
  });

  it("requesting an override (or an inline settings override) for B's flow: 404, A's settings unchanged", async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    expectSameAsUnknown(
      await api.request("POST", "/api/v1/fairness-overrides", { token: A.keys.admin, body: { reason: "aimed at B's flow", expiresAt, flowId: b.flowId } }),
      await api.request("POST", "/api/v1/fairness-overrides", { token: A.keys.admin, body: { reason: "aimed at B's flow", expiresAt, flowId: UNKNOWN_ID } }),
    );
    const inline = (flowId: string) => policy({ override: { reason: "aimed at B's flow", expiresAt, flowId } });
    expectSameAsUnknown(
      await api.request("PUT", "/api/v1/tenant-settings", { token: A.keys.admin, body: inline(b.flowId) }),
      await api.request("PUT", "/api/v1/tenant-settings", { token: A.keys.admin, body: inline(UNKNOWN_ID) }),
    );
    // The failed PUT must not have replaced A's policy with the one in the request.
    const s = await api.request("GET", "/api/v1/tenant-settings", { token: A.keys.admin });
    expect(s.body.fairnessPolicy.sensitiveAttribute).toBe("region");
  });

  it("GET /audit-log filtered on B's entity ids: 200 with no items", async () => {
    for (const entityId of [b.flowId, b.draftFlowId, b.overrideId, b.pendingOverrideId, b.evaluationId, B.id, ...Object.values(B.keyIds)]) {
      for (const role of ["publisher", "admin", "approver", "auditor"]) {
        const r = await api.request("GET", `/api/v1/audit-log?entityId=${encodeURIComponent(entityId)}`, { token: A.keys[role] });
        expect(r.status).toBe(200);
        expect(r.body.items).toEqual([]);
      }
    }
    // The same filter in B does find rows: the emptiness above is isolation, not a broken filter.
    const own = await api.request("GET", `/api/v1/audit-log?entityId=${b.flowId}`, { token: B.keys.auditor });
    expect(own.body.items.length).toBeGreaterThan(0);
  });

  it("list routes (with and without B's ids as filters) never show B's items", async () => {
    const bMarkers = [b.flowId, b.draftFlowId, b.flowKey, "b-draft", b.overrideId, b.pendingOverrideId, b.evaluationId, ...b.traceIds, B.id, ...Object.values(B.keyIds), "tenant-b"];
    const lists = [
      "/api/v1/decision-flows",
      "/api/v1/decision-flows?status=active",
      "/api/v1/decision-flows?status=draft",
      "/api/v1/fairness-overrides",
      "/api/v1/fairness-overrides?status=active",
      "/api/v1/fairness-overrides?status=pending",
      `/api/v1/fairness-overrides?flowId=${b.flowId}`,
      "/api/v1/fairness-evaluations?limit=200",
      `/api/v1/fairness-evaluations?flowId=${b.flowId}`,
      "/api/v1/audit-log?limit=500",
      "/api/v1/audit-log?entityType=fairness_override",
      "/api/v1/audit-log?entityType=decision_flow",
    ];
    for (const path of lists) {
      const r = await api.request("GET", path, { token: A.keys.auditor });
      expect(r.status, path).toBe(200);
      const text = JSON.stringify(r.body);
      for (const m of bMarkers) expect(text, `${path} leaks ${m}`).not.toContain(m);
    }
    // The unfiltered lists do contain A's own items (they are not simply empty).
    const flows = await api.request("GET", "/api/v1/decision-flows", { token: A.keys.auditor });
    expect(flows.body.items.map((f: { key: string }) => f.key)).toEqual(["a-cards"]);
  });

  it("GET /tenant-settings returns A's own policy only", async () => {
    for (const role of ["admin", "approver", "auditor"]) {
      const r = await api.request("GET", "/api/v1/tenant-settings", { token: A.keys[role] });
      expect(r.status).toBe(200);
      expect(r.body.fairnessPolicy).toMatchObject({ sensitiveAttribute: "region", minSampleSize: 500 });
    }
  });

  it("API keys: A's admin lists only A's keys; revoking or rotating B's key ids is 404, same as unknown; B's keys keep working", async () => {
    const list = await api.request("GET", "/api/v1/api-keys", { token: A.keys.admin });
    expect(list.status).toBe(200);
    expect(list.body.items.map((k: { id: string }) => k.id).sort()).toEqual(Object.values(A.keyIds).sort());
    for (const m of [B.id, ...Object.values(B.keyIds), ...Object.values(B.keys)]) expect(JSON.stringify(list.body)).not.toContain(m);
    for (const keyId of Object.values(B.keyIds)) {
      expectSameAsUnknown(
        await api.request("DELETE", `/api/v1/api-keys/${keyId}`, { token: A.keys.admin }),
        await api.request("DELETE", `/api/v1/api-keys/${UNKNOWN_ID}`, { token: A.keys.admin }),
      );
      expectSameAsUnknown(
        await api.request("POST", `/api/v1/api-keys/${keyId}/rotate`, { token: A.keys.admin, body: {} }),
        await api.request("POST", `/api/v1/api-keys/${UNKNOWN_ID}/rotate`, { token: A.keys.admin, body: {} }),
      );
    }
    for (const role of ["operator", "publisher", "admin", "approver", "auditor"]) {
      expect((await api.request("GET", "/api/v1/decision-flows", { token: B.keys[role] })).status).toBe(200);
    }
  });

  it("a flow key is per tenant: A may create B's key, and it is A's flow that serves A", async () => {
    const id = await createFlow(api, A.keys.publisher, b.flowKey, PLATINUM_FLOW);
    expect(id).not.toBe(b.flowId);
    // A's copy is a draft; B's is active. If keys resolved across tenants this would succeed.
    const r = await api.request("POST", "/api/v1/recommend", { token: A.keys.operator, body: { customerId: "x", decisionFlowKey: b.flowKey, attributes: {} } });
    expectProblem(r, 409, "flow_not_active");
    aBefore = await tenantDigest(app, A);
  });

  it("B's state is unchanged after all of the above", async () => {
    const bAfter = await tenantDigest(app, B);
    expect(bAfter).toEqual(bBefore);
    // And A's only change is the flow it created in the previous step.
    expect(await tenantDigest(app, A)).toEqual(aBefore);
  });
});

describe("platform routes and key validity", () => {
  it("a tenant key, even with every role, never opens /api/v1/admin/* or the cron route: 401", async () => {
    const all = await createTenant(app, "tenant-c", { all: { principal: "root@c.test", roles: ["operator", "publisher", "admin", "approver", "auditor"] } });
    const tokens = [A.keys.admin, B.keys.admin, all.keys.all];
    for (const token of tokens) {
      const attempts: Res[] = [
        await api.request("GET", "/api/v1/admin/tenants", { token }),
        await api.request("POST", "/api/v1/admin/tenants", { token, body: { name: "sneaky" } }),
        await api.request("POST", `/api/v1/admin/tenants/${B.id}/api-keys`, { token, body: { principal: "mallory", roles: ["admin"] } }),
        await api.request("POST", `/api/v1/admin/tenants/${A.id}/api-keys`, { token, body: { principal: "mallory", roles: ["admin"] } }),
        await api.request("GET", "/api/v1/cron/fairness-recheck", { token }),
      ];
      for (const r of attempts) expectProblem(r, 401, "unauthorized");
    }
    const tenants = await api.request("GET", "/api/v1/admin/tenants", { token: app.adminToken });
    expect(tenants.body.items.map((t: { name: string }) => t.name).sort()).toEqual(["tenant-a", "tenant-b", "tenant-c"]);
  });

  it("unknown, malformed and revoked keys: 401 on every tenant route", async () => {
    const extra = await createTenant(app, "tenant-d", { doomed: { principal: "doomed@d.test", roles: ["operator", "publisher", "admin", "approver", "auditor"] } });
    const ok = await api.request("GET", "/api/v1/decision-flows", { token: extra.keys.doomed });
    expect(ok.status).toBe(200);
    await revokeApiKeyInControlStore(app, extra.keyIds.doomed!);

    const routes: [string, string, unknown?][] = [
      ["GET", "/api/v1/decision-flows"],
      ["GET", `/api/v1/decision-flows/${b.flowId}`],
      ["POST", "/api/v1/decision-flows", { key: "x", name: "x", definition: PLATINUM_FLOW }],
      ["PUT", `/api/v1/decision-flows/${b.flowId}`, { definition: PLATINUM_FLOW }],
      ["POST", "/api/v1/decision-flows/publish", { id: b.flowId }],
      ["POST", "/api/v1/recommend", { customerId: "x", decisionFlowKey: b.flowKey, attributes: {} }],
      ["POST", "/api/v1/outcomes", { traceId: b.traceIds[1], converted: true }],
      ["GET", "/api/v1/tenant-settings"],
      ["PUT", "/api/v1/tenant-settings", policy()],
      ["GET", "/api/v1/fairness-overrides"],
      ["POST", `/api/v1/fairness-overrides/${b.pendingOverrideId}/approve`],
      ["POST", `/api/v1/fairness-overrides/${b.overrideId}/revoke`],
      ["GET", "/api/v1/fairness-evaluations"],
      ["GET", "/api/v1/audit-log"],
    ];
    const bad = [extra.keys.doomed!, "fgk_" + "0".repeat(43), "not-a-key", B.keys.admin + "x", B.keys.admin.slice(0, -1)];
    for (const token of bad) {
      for (const [method, path, body] of routes) expectProblem(await api.request(method, path, { token, body }), 401, "unauthorized");
      expectProblem(await bulk(api, token, breachingLines(b.flowKey, 1)), 401, "unauthorized");
    }
    // No key, an empty bearer and a non-bearer scheme.
    for (const headers of [{} as Record<string, string>, { authorization: "Bearer" }, { authorization: "Bearer " }, { authorization: `Basic ${B.keys.admin}` }, { authorization: B.keys.admin }]) {
      expectProblem(await api.request("GET", "/api/v1/decision-flows", { headers }), 401, "unauthorized");
    }
    expect(await tenantDigest(app, B)).toEqual(bBefore);
  });
});
