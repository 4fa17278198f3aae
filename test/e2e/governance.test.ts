/**
 * Governance depth over real HTTP against the real Node gateway: shadow mode
 * (a breach recorded, the publish goes through), approvals in two stages by two
 * different people, archived flows, feature drift between two windows, and the
 * reasons behind one decision. The in-process suites test each in depth; this
 * is the same behaviour seen through a socket.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type TestClient } from "../helpers/client.js";
import { spawnNodeServer, type SpawnedServer } from "../helpers/server.js";
import { breachingLines, ndjson, PLATINUM_FLOW, policy } from "../integration/_support.js";

let server: SpawnedServer;
let api: TestClient;
const keys: Record<string, string> = {};

beforeAll(async () => {
  server = await spawnNodeServer();
  api = createClient(server.baseUrl);
  const t = await api.post("/api/v1/admin/tenants", server.adminToken, { name: "governance-e2e" });
  expect(t.status).toBe(201);
  for (const [label, roles] of Object.entries({ admin: ["admin"], publisher: ["publisher"], operator: ["operator"], auditor: ["auditor"], risk: ["approver"], compliance: ["approver"] })) {
    const k = await api.post(`/api/v1/admin/tenants/${t.body.id}/api-keys`, server.adminToken, { principal: `${label}@gov.test`, roles });
    expect(k.status).toBe(201);
    keys[label] = k.body.key;
  }
});
afterAll(async () => {
  await server?.stop();
});

async function flowWithBreachingTraffic(key: string): Promise<string> {
  const f = await api.post("/api/v1/decision-flows", keys.publisher, { key, name: key, definition: PLATINUM_FLOW });
  expect(f.status).toBe(201);
  const b = await api.request("POST", "/api/v1/decision-traces/bulk", { token: keys.operator, raw: ndjson(breachingLines(key, 10)), contentType: "application/x-ndjson" });
  expect(b.status).toBe(201);
  return f.body.id;
}

describe("governance depth over HTTP", () => {
  it("shadow mode: the breach is evaluated and recorded, the publish succeeds with wouldBlock", async () => {
    expect((await api.put("/api/v1/tenant-settings", keys.admin, policy({ enforcement: "shadow" }))).status).toBe(200);
    const id = await flowWithBreachingTraffic("shadowed");
    const p = await api.post("/api/v1/decision-flows/publish", keys.publisher, { id });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ status: "active", wouldBlock: true, evaluation: { verdict: "block", violations: [expect.stringContaining("disparate impact ratio")] } });
  });

  it("two approval stages, each by a different person; active only after the last", async () => {
    const stages = [{ stage: "risk", role: "approver" }, { stage: "compliance", role: "approver" }];
    expect((await api.put("/api/v1/tenant-settings", keys.admin, policy({ overrideApprovals: stages }))).status).toBe(200);
    const o = await api.post("/api/v1/fairness-overrides", keys.admin, { reason: "Pilot approved by the risk committee", expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    expect(o.status).toBe(201);
    expect((await api.post(`/api/v1/fairness-overrides/${o.body.id}/approve`, keys.risk)).body).toMatchObject({ status: "pending", currentStage: { stage: "compliance" } });
    const again = await api.post(`/api/v1/fairness-overrides/${o.body.id}/approve`, keys.risk);
    expect(again.status).toBe(403);
    expect(again.body.code).toBe("repeat_approver_forbidden");
    expect((await api.post(`/api/v1/fairness-overrides/${o.body.id}/approve`, keys.compliance)).body.status).toBe("active");
  });

  it("an archived flow serves nothing, is hidden from the list, and cannot be published", async () => {
    expect((await api.put("/api/v1/tenant-settings", keys.admin, policy())).status).toBe(200);
    const f = await api.post("/api/v1/decision-flows", keys.publisher, { key: "retired", name: "retired", definition: PLATINUM_FLOW });
    expect((await api.post("/api/v1/decision-flows/publish", keys.publisher, { id: f.body.id })).status).toBe(200);
    expect((await api.post(`/api/v1/decision-flows/${f.body.id}/archive`, keys.publisher)).status).toBe(200);
    const rec = await api.post("/api/v1/recommend", keys.operator, { customerId: "c1", decisionFlowKey: "retired", attributes: { tier: "gold", income: 1, ageBand: "25-34" } });
    expect(rec.status).toBe(409);
    expect((await api.get("/api/v1/decision-flows", keys.auditor)).body.items.map((x: { key: string }) => x.key)).not.toContain("retired");
    expect((await api.get("/api/v1/decision-flows?status=archived", keys.auditor)).body.items.map((x: { key: string }) => x.key)).toContain("retired");
    expect((await api.post("/api/v1/decision-flows/publish", keys.publisher, { id: f.body.id })).body.code).toBe("flow_archived");
  });

  it("drift between two windows and the reasons behind one decision", async () => {
    const f0 = await api.post("/api/v1/decision-flows", keys.publisher, { key: "drifting", name: "drifting", definition: PLATINUM_FLOW });
    const now = Date.now();
    const at = (ms: number) => new Date(ms).toISOString();
    // Two days ago everyone was 25-34; in the last hour everyone is 65+: the ageBand distribution moved.
    const lines = [
      ...Array.from({ length: 20 }, (_, i) => ({ decisionFlowKey: "drifting", customerId: `r${i}`, attributes: { ageBand: "25-34" }, selected: true, timestamp: at(now - 2 * 86_400_000 + i) })),
      ...Array.from({ length: 20 }, (_, i) => ({ decisionFlowKey: "drifting", customerId: `n${i}`, attributes: { ageBand: "65+" }, selected: false, timestamp: at(now - 60_000 + i) })),
    ];
    expect((await api.request("POST", "/api/v1/decision-traces/bulk", { token: keys.operator, raw: ndjson(lines), contentType: "application/x-ndjson" })).status).toBe(201);
    const d = await api.post(`/api/v1/decision-flows/${f0.body.id}/drift`, keys.auditor, {
      referenceFrom: at(now - 3 * 86_400_000),
      referenceTo: at(now - 86_400_000),
      currentFrom: at(now - 3_600_000),
      currentTo: at(now + 60_000),
    });
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    expect(d.body.verdict).toBe("alert");
    // A live decision on an active flow, then its explanation.
    const f = await api.post("/api/v1/decision-flows", keys.publisher, { key: "explained", name: "explained", definition: PLATINUM_FLOW });
    expect((await api.post("/api/v1/decision-flows/publish", keys.publisher, { id: f.body.id })).status).toBe(200);
    const r = await api.post("/api/v1/recommend", keys.operator, { customerId: "c2", decisionFlowKey: "explained", attributes: { tier: "silver", income: 40000, ageBand: "65+" } });
    expect(r.status).toBe(200);
    expect(r.body.selected).toBe(false);
    const e = await api.get(`/api/v1/decision-traces/${r.body.traceId}/explanation`, keys.auditor);
    expect(e.status, JSON.stringify(e.body)).toBe(200);
    expect(e.body.reproduced).toBe(true);
    expect(e.body.reasons.length).toBeGreaterThan(0);
  });
});
