/**
 * Tenants placed in regions, against the real Node gateway process with an
 * embedded control store and two real libSQL servers (sqld) as the regions
 * "eu" and "us": data stays in its region's server; losing one region's server
 * fails only that region's tenants closed (503, nothing half-written) while the
 * other region keeps serving; the recheck reports the unreachable tenants and
 * still processes the rest.
 */
import { createClient as createLibsqlClient, type Client } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type TestClient } from "../helpers/client.js";
import { spawnNodeServer, type SpawnedServer } from "../helpers/server.js";
import { startSqld, type SqldServer } from "../helpers/sqld.js";
import { PLATINUM_FLOW } from "./story.case.js";

let eu: SqldServer;
let us: SqldServer;
let server: SpawnedServer;
let http: TestClient;

interface PlacedTenant {
  id: string;
  key: string;
  flowId: string;
}
const tenants: Record<"eu" | "us", PlacedTenant> = {} as never;

const POLICY = {
  fairnessPolicy: {
    enabled: true,
    sensitiveAttribute: "ageBand",
    thresholds: { disparateImpactRatio: 0.8, demographicParityGap: 0.2 },
    minSampleSize: 10,
    windowDays: 7,
    continuousRecheck: true,
  },
};

/** Rows per tenant_id across every table of a region database that has a tenant_id column. */
async function rowsByTenant(db: Client): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const tables = (await db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")).rows.map((r) => String(r.name));
  for (const t of tables) {
    const cols = (await db.execute(`PRAGMA table_info("${t}")`)).rows.map((r) => String(r.name));
    if (!cols.includes("tenant_id")) continue;
    for (const r of (await db.execute(`SELECT tenant_id, count(*) AS n FROM "${t}" GROUP BY tenant_id`)).rows)
      out.set(String(r.tenant_id), (out.get(String(r.tenant_id)) ?? 0) + Number(r.n));
  }
  return out;
}

async function withDb<T>(s: SqldServer, f: (db: Client) => Promise<T>): Promise<T> {
  const db = createLibsqlClient({ url: s.url });
  try {
    return await f(db);
  } finally {
    db.close();
  }
}

const recommend = (t: PlacedTenant, i: number) =>
  http.post("/api/v1/recommend", t.key, { customerId: `c-${i}`, decisionFlowKey: "nbo-cards", attributes: { ageBand: i % 2 ? "65+" : "25-34", tier: "gold", income: 90_000 } });

beforeAll(async () => {
  [eu, us] = await Promise.all([startSqld(), startSqld()]);
  server = await spawnNodeServer({
    FAIRGATE_REGIONS: JSON.stringify({ eu: { url: eu.url }, us: { url: us.url } }),
    FAIRGATE_DEFAULT_REGION: "eu",
  });
  http = createClient(server.baseUrl);
});

afterAll(async () => {
  await server?.stop();
  await Promise.all([eu?.stop(), us?.stop()]);
});

describe("[node] tenants in regions (two sqld servers)", () => {
  it("creates tenants in named regions and refuses unknown ones", async () => {
    for (const region of ["eu", "us"] as const) {
      const ten = await http.post("/api/v1/admin/tenants", server.adminToken, { name: `acme-${region}`, region });
      expect(ten.status).toBe(201);
      expect(ten.body.region).toBe(region);
      const key = await http.post(`/api/v1/admin/tenants/${ten.body.id}/api-keys`, server.adminToken, { principal: `ops@${region}.test`, roles: ["admin", "publisher", "operator"] });
      expect(key.status).toBe(201);
      expect((await http.put("/api/v1/tenant-settings", key.body.key, POLICY)).status).toBe(200);
      const flow = await http.post("/api/v1/decision-flows", key.body.key, { key: "nbo-cards", name: "Cards", definition: PLATINUM_FLOW });
      expect(flow.status).toBe(201);
      expect((await http.post("/api/v1/decision-flows/publish", key.body.key, { id: flow.body.id })).status).toBe(200);
      tenants[region] = { id: ten.body.id, key: key.body.key, flowId: flow.body.id };
      for (let i = 0; i < 6; i++) expect((await recommend(tenants[region], i)).status).toBe(200);
    }
    const list = await http.get("/api/v1/admin/tenants", server.adminToken);
    expect(list.body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: tenants.eu.id, region: "eu" }), expect.objectContaining({ id: tenants.us.id, region: "us" })]),
    );
    const bad = await http.post("/api/v1/admin/tenants", server.adminToken, { name: "nowhere", region: "mars" });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("unknown_region");
  });

  it("keeps each tenant's data in its own region's server only", async () => {
    const inEu = await withDb(eu, rowsByTenant);
    const inUs = await withDb(us, rowsByTenant);
    expect(inEu.get(tenants.eu.id)).toBeGreaterThan(6);
    expect(inUs.get(tenants.us.id)).toBeGreaterThan(6);
    expect(inEu.has(tenants.us.id)).toBe(false);
    expect(inUs.has(tenants.eu.id)).toBe(false);
    const traces = await withDb(eu, (db) => db.execute({ sql: "SELECT count(*) AS n FROM decision_traces WHERE tenant_id = ?", args: [tenants.eu.id] }));
    expect(Number(traces.rows[0]!.n)).toBe(6);
  });

  it("with the us server down: us tenants get 503 and nothing is half-written, eu tenants keep working", async () => {
    const before = await withDb(us, rowsByTenant);
    await us.stop();

    const b = tenants.us;
    const rec = await recommend(b, 100);
    expect(rec.status).toBe(503);
    expect(rec.body.code).toBe("store_unavailable");
    expect((await http.get(`/api/v1/decision-flows/${b.flowId}`, b.key)).status).toBe(503);
    expect((await http.put("/api/v1/tenant-settings", b.key, POLICY)).status).toBe(503);
    // A new tenant in the unreachable region is not created at all (its database is provisioned first).
    const ten = await http.post("/api/v1/admin/tenants", server.adminToken, { name: "late-us", region: "us" });
    expect(ten.status).toBe(503);
    const names = (await http.get("/api/v1/admin/tenants", server.adminToken)).body.items.map((t: { name: string }) => t.name);
    expect(names).not.toContain("late-us");

    const a = tenants.eu;
    for (let i = 100; i < 104; i++) expect((await recommend(a, i)).status).toBe(200);
    expect((await http.get(`/api/v1/decision-flows/${a.flowId}`, a.key)).status).toBe(200);
    expect((await http.get("/readyz")).status).toBe(200);

    // The recheck reports the unreachable tenant and still checks the reachable one.
    const r = await http.request("GET", "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${server.cronSecret}` } });
    expect(r.status).toBe(200);
    const byId = new Map(r.body.tenants.map((t: { tenantId: string }) => [t.tenantId, t]));
    expect(byId.get(b.id)).toMatchObject({ status: "failed", error: "store_unavailable" });
    expect(byId.get(a.id)).toMatchObject({ status: "checked", flowsChecked: 1 });
    expect(r.body.failedTenants).toBe(1);

    await us.restart();
    expect(await withDb(us, rowsByTenant)).toEqual(before);
    // Back up: the us tenant answers again without restarting the gateway, and the day's recheck still runs for it.
    expect((await recommend(b, 200)).status).toBe(200);
    const again = await http.request("GET", "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${server.cronSecret}` } });
    const mine = again.body.tenants.find((t: { tenantId: string }) => t.tenantId === b.id);
    expect(mine).toMatchObject({ status: "checked", flowsChecked: 1 });
  });
});
