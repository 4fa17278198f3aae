/**
 * @module test/e2e/remote-deadline
 * A tenant whose libSQL server hangs instead of refusing (a real sqld stopped
 * with SIGSTOP: connections are accepted, nothing answers) gets 503
 * store_unavailable within the store deadline, a write that timed out is never
 * a success, the other tenant is served meanwhile, and the recheck reports the
 * hung tenant failed and finishes the others. sqld is always continued and
 * stopped in afterAll.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFaultTenant, type FaultTenant, probe, recommend } from "../../scripts/faults/fixture.js";
import { spawnNodeServer, type SpawnedServer } from "../helpers/server.js";
import { startSqld, type SqldServer } from "../helpers/sqld.js";

const DEADLINE_MS = 1000;
let sqld: SqldServer;
let server: SpawnedServer;
let hung: FaultTenant;
let local: FaultTenant;
let stopped = false;

const signalSqld = (sig: NodeJS.Signals) => {
  if (sqld?.pid) process.kill(sqld.pid, sig);
};

beforeAll(async () => {
  sqld = await startSqld();
  server = await spawnNodeServer({
    FAIRGATE_REGIONS: JSON.stringify({ local: {}, remote: { url: sqld.url } }),
    FAIRGATE_DEFAULT_REGION: "local",
    FAIRGATE_STORE_TIMEOUT_MS: String(DEADLINE_MS),
  });
  hung = await createFaultTenant(server.baseUrl, server.adminToken, "remote-tenant", "remote");
  local = await createFaultTenant(server.baseUrl, server.adminToken, "local-tenant");
  for (const t of [hung, local]) expect((await recommend(server.baseUrl, t)).status).toBe(200);
});

afterAll(async () => {
  if (stopped) signalSqld("SIGCONT");
  await server?.stop();
  await sqld?.stop();
  if (server) rmSync(server.dataDir, { recursive: true, force: true });
});

describe("a hung remote tenant database (sqld under SIGSTOP)", () => {
  it("answers 503 within the deadline, serves the other tenant, and the recheck marks only it failed", async () => {
    signalSqld("SIGSTOP");
    stopped = true;

    const [r, other, health] = await Promise.all([recommend(server.baseUrl, hung), recommend(server.baseUrl, local), probe(server.baseUrl, "/healthz")]);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: "store_unavailable" });
    expect(r.ms).toBeLessThan(DEADLINE_MS + 1500);
    expect(other.status).toBe(200);
    expect(health.status).toBe(200);
    expect(health.ms).toBeLessThan(DEADLINE_MS);
    expect((await probe(server.baseUrl, "/readyz")).body).toEqual({ status: "degraded", unavailableTenantStores: 1 });

    const t0 = performance.now();
    const res = await fetch(server.baseUrl + "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${server.cronSecret}` } });
    const report = (await res.json()) as { tenants: { tenantId: string; status: string; error?: string }[]; failedTenants: number };
    const took = performance.now() - t0;
    expect(res.status).toBe(200);
    const byId = new Map(report.tenants.map((t) => [t.tenantId, t]));
    expect(byId.get(hung.id)).toMatchObject({ status: "failed", error: "store_unavailable" });
    expect(byId.get(local.id)?.status).not.toBe("failed");
    expect(report.failedTenants).toBe(1);
    // A few deadlines at most (the recheck and the alert drain each meet the hung store), never the 150 s seen before.
    expect(took).toBeLessThan(8 * DEADLINE_MS + 4000);

    signalSqld("SIGCONT");
    stopped = false;
    // The server answers again: a later success clears the mark.
    let again = await recommend(server.baseUrl, hung);
    for (let i = 0; i < 20 && again.status !== 200; i++) {
      await new Promise((ok) => setTimeout(ok, 250));
      again = await recommend(server.baseUrl, hung);
    }
    expect(again.status).toBe(200);
    expect((await probe(server.baseUrl, "/readyz")).body).toEqual({ status: "ready", unavailableTenantStores: 0 });
  });
});
