/**
 * What recommend may and may not cache, across processes: two real Node gateways
 * on the same data directory (the same libSQL files), as two instances behind a
 * load balancer would be. Each keeps its own cache of flow definitions; neither may
 * serve a flow's status or active version stale. A publish of a new version in one
 * process is served by the other's very next request, and a pause by the daily
 * recheck in one process refuses the other's very next request (409).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type TestClient } from "../helpers/client.js";
import { spawnNodeServer, type SpawnedServer } from "../helpers/server.js";
import { breachingLines, ndjson } from "../integration/_support.js";

const dataDir = mkdtempSync(join(tmpdir(), "fairgate-serving-"));
const env = {
  FAIRGATE_DATA_DIR: dataDir,
  FAIRGATE_ADMIN_TOKEN: "serving-admin-" + crypto.randomUUID(),
  FAIRGATE_CRON_SECRET: "serving-cron-" + crypto.randomUUID(),
};
let a: SpawnedServer;
let b: SpawnedServer;
let apiA: TestClient;
let apiB: TestClient;

beforeAll(async () => {
  // One after the other: the first creates the control database and the evidence key the second reuses.
  a = await spawnNodeServer(env);
  b = await spawnNodeServer(env);
  apiA = createClient(a.baseUrl);
  apiB = createClient(b.baseUrl);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  rmSync(dataDir, { recursive: true, force: true });
});

const offer = (id: string) => ({ offers: [{ id, eligibility: [], model: { intercept: 2 }, minPropensity: 0.5 }], maxOffers: 1 });

describe("two gateways on the same files", () => {
  it("serve a new active version at once, and refuse at once after the other paused the flow", async () => {
    const t = await apiA.post("/api/v1/admin/tenants", env.FAIRGATE_ADMIN_TOKEN, { name: "serving" });
    expect(t.status).toBe(201);
    const k = await apiA.post(`/api/v1/admin/tenants/${t.body.id}/api-keys`, env.FAIRGATE_ADMIN_TOKEN, { principal: "ops@serving.test", roles: ["operator", "publisher", "admin"] });
    const key = k.body.key as string;
    const policy = { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 10, windowDays: 7, continuousRecheck: true, onInsufficientSamples: "skip" };
    expect((await apiA.put("/api/v1/tenant-settings", key, { fairnessPolicy: policy })).status).toBe(200);
    const f = await apiA.post("/api/v1/decision-flows", key, { key: "offers", name: "Offers", definition: offer("first") });
    expect(f.status).toBe(201);
    expect((await apiA.post("/api/v1/decision-flows/publish", key, { id: f.body.id })).status).toBe(200);

    const recommend = (api: TestClient) => api.post("/api/v1/recommend", key, { customerId: `c-${crypto.randomUUID()}`, decisionFlowKey: "offers", attributes: { ageBand: "65+" } });
    // Both processes serve version 1 (and now hold its definition).
    for (const api of [apiA, apiB]) {
      const r = await recommend(api);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ version: 1, offers: [{ id: "first" }] });
    }

    // A publishes version 2: B's very next request runs it.
    expect((await apiA.put(`/api/v1/decision-flows/${f.body.id}`, key, { definition: offer("second") })).status).toBe(200);
    expect((await apiA.post("/api/v1/decision-flows/publish", key, { id: f.body.id })).status).toBe(200);
    const v2 = await recommend(apiB);
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    expect(v2.body).toMatchObject({ version: 2, offers: [{ id: "second" }] });

    // Breaching traffic, then A's daily recheck pauses the flow: B's very next request is refused.
    const bulk = await apiA.request("POST", "/api/v1/decision-traces/bulk", { token: key, raw: ndjson(breachingLines("offers")), contentType: "application/x-ndjson" });
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(201);
    const run = await apiA.get("/api/v1/cron/fairness-recheck", env.FAIRGATE_CRON_SECRET);
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect((await apiA.get(`/api/v1/decision-flows/${f.body.id}`, key)).body.status).toBe("paused");
    const refused = await recommend(apiB);
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect(refused.body.code).toBe("flow_not_active");
    // And A, which paused it, refuses too.
    expect((await recommend(apiA)).status).toBe(409);
  }, 60_000);
});
