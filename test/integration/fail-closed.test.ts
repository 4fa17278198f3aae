/**
 * Fail closed: a store failure while the gate evaluates or while it commits its
 * effects gives 503 and leaves the flow exactly as it was; the recheck reports
 * the failing tenant and changes nothing there.
 */
import { createClient as createLibsqlClient } from "@libsql/client";
import type { Client } from "../../worker/store/sql.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failingBatches } from "../helpers/failing-client.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { PLATINUM_FLOW } from "../e2e/story.case.js";

let app: InProcessApp;
let http: ReturnType<typeof inProcessClient>;
let failBatches = false;
let admin = "", pub = "", tenantId = "", flowId = "";

const faulty = (c: Client): Client => failingBatches(c, () => failBatches);

beforeAll(async () => {
  app = await createInProcessApp({ wrapTenantClient: faulty, env: {} });
  http = inProcessClient(app);
  const t = await http.request("POST", "/api/v1/admin/tenants", { token: app.adminToken, body: { name: "t" } });
  tenantId = t.body.id;
  const key = async (roles: string[], principal: string) =>
    (await http.request("POST", `/api/v1/admin/tenants/${tenantId}/api-keys`, { token: app.adminToken, body: { principal, roles } })).body.key as string;
  admin = await key(["admin", "auditor"], "a");
  pub = await key(["publisher", "operator"], "p");
  await http.request("PUT", "/api/v1/tenant-settings", {
    token: admin,
    body: { fairnessPolicy: { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 10, continuousRecheck: true } },
  });
  flowId = (await http.request("POST", "/api/v1/decision-flows", { token: pub, body: { key: "f", name: "F", definition: PLATINUM_FLOW } })).body.id;
  expect((await http.request("POST", "/api/v1/decision-flows/publish", { token: pub, body: { id: flowId } })).status).toBe(200);
  await http.request("PUT", `/api/v1/decision-flows/${flowId}`, { token: pub, body: { definition: { ...PLATINUM_FLOW, maxOffers: 1 } } });
});
afterAll(async () => app?.close());

const flowState = async () => (await http.request("GET", `/api/v1/decision-flows/${flowId}`, { token: pub })).body;
const auditCount = async () => (await http.request("GET", "/api/v1/audit-log?limit=500", { token: admin })).body.items.length;

describe("fail closed", () => {
  it("a store failure while reading the window → 503, flow unchanged, nothing written", async () => {
    const direct = createLibsqlClient({ url: `file:${app.dataDir}/tenants/${tenantId}.db`, intMode: "number" });
    const before = await flowState();
    const audits = await auditCount();
    await direct.execute("ALTER TABLE decision_traces RENAME TO decision_traces_away");
    try {
      const r = await http.request("POST", "/api/v1/decision-flows/publish", { token: pub, body: { id: flowId } });
      expect(r.status).toBe(503);
      expect(r.contentType).toContain("application/problem+json");
      expect(r.body.code).toBe("store_unavailable");
      expect(JSON.stringify(r.body)).not.toMatch(/SQLITE|SELECT|decision_traces/);
      expect(await flowState()).toEqual(before);
      expect(await auditCount()).toBe(audits);

      // The recheck reports the tenant as failed and leaves its active flow alone.
      const rc = await http.request("GET", "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${app.cronSecret}` } });
      expect(rc.status).toBe(200);
      expect(rc.body.tenants.find((t: { tenantId: string }) => t.tenantId === tenantId)).toMatchObject({ status: "failed", error: "store_unavailable" });
      expect(await flowState()).toEqual(before);
    } finally {
      await direct.execute("ALTER TABLE decision_traces_away RENAME TO decision_traces");
      direct.close();
    }
  });

  it("a store failure while committing the gate's effects → 503, flow unchanged", async () => {
    const before = await flowState();
    const audits = await auditCount();
    failBatches = true;
    try {
      const r = await http.request("POST", "/api/v1/decision-flows/publish", { token: pub, body: { id: flowId } });
      expect(r.status).toBe(503);
      expect(r.body.code).toBe("store_unavailable");
    } finally {
      failBatches = false;
    }
    expect(await flowState()).toEqual(before);
    expect(await auditCount()).toBe(audits);
    // And once the store is back, the same publish goes through.
    const ok = await http.request("POST", "/api/v1/decision-flows/publish", { token: pub, body: { id: flowId } });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
  });
});
