/**
 * @module test/e2e/worker-deadline
 * The store deadline on Workers (`@libsql/client/web` in real workerd): a
 * tenant whose region's sqld is frozen with SIGSTOP gets 503 store_unavailable
 * within FAIRGATE_STORE_TIMEOUT_MS while a tenant in another region is served,
 * and the scheduled work run over the HTTP cron route (the expiry sweep: with
 * wrangler.toml's queue bound the recheck is enqueued instead, see
 * worker-queue.test.ts) reports only the frozen tenant failed.
 * sqld is always continued and stopped in afterAll.
 */
import { join, resolve } from "node:path";
import { unstable_startWorker } from "wrangler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFaultTenant, type FaultTenant, recommend } from "../../scripts/faults/fixture.js";
import { generateSeed } from "../../worker/domain/chain-sign.js";
import { startSqld, type SqldServer } from "../helpers/sqld.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DEADLINE_MS = 1000;
const adminToken = "worker-deadline-admin-" + crypto.randomUUID();
const cronSecret = "worker-deadline-cron-" + crypto.randomUUID();
let control: SqldServer;
let okRegion: SqldServer;
let stuckRegion: SqldServer;
let worker: Awaited<ReturnType<typeof unstable_startWorker>>;
let origin: string;
let stuck: FaultTenant;
let fine: FaultTenant;
let stopped = false;

beforeAll(async () => {
  process.env.WRANGLER_SEND_METRICS = "false";
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  [control, okRegion, stuckRegion] = await Promise.all([startSqld(), startSqld(), startSqld()]);
  const text = (value: string) => ({ type: "plain_text" as const, value });
  const secret = (value: string) => ({ type: "secret_text" as const, value });
  worker = await unstable_startWorker({
    config: join(ROOT, "wrangler.toml"),
    bindings: {
      FAIRGATE_CONTROL_DB_URL: secret(control.url),
      FAIRGATE_ADMIN_TOKEN: secret(adminToken),
      FAIRGATE_CRON_SECRET: secret(cronSecret),
      FAIRGATE_EVIDENCE_SIGNING_KEY: secret(generateSeed()),
      FAIRGATE_REGIONS: text(JSON.stringify({ ok: { url: okRegion.url }, stuck: { url: stuckRegion.url } })),
      FAIRGATE_DEFAULT_REGION: text("ok"),
      FAIRGATE_STORE_TIMEOUT_MS: text(String(DEADLINE_MS)),
      FAIRGATE_LOG_LEVEL: text("warn"),
    },
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, persist: false, logLevel: "warn" },
  });
  origin = (await worker.url).origin;
  stuck = await createFaultTenant(origin, adminToken, "stuck-tenant", "stuck");
  fine = await createFaultTenant(origin, adminToken, "fine-tenant", "ok");
  for (const t of [stuck, fine]) expect((await recommend(origin, t)).status).toBe(200);
});

afterAll(async () => {
  if (stopped && stuckRegion?.pid) process.kill(stuckRegion.pid, "SIGCONT");
  await worker?.dispose();
  await Promise.all([control?.stop(), okRegion?.stop(), stuckRegion?.stop()]);
});

describe("[worker] a frozen tenant database server", () => {
  it("answers 503 within the deadline and serves the other region's tenant", async () => {
    process.kill(stuckRegion.pid!, "SIGSTOP");
    stopped = true;
    const [r, other] = await Promise.all([recommend(origin, stuck), recommend(origin, fine)]);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: "store_unavailable" });
    expect(r.ms).toBeLessThan(DEADLINE_MS + 2000);
    expect(other.status).toBe(200);

    const res = await fetch(origin + "/api/v1/cron/fairness-recheck?job=expiry-sweep", { headers: { authorization: `Bearer ${cronSecret}` } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as { tenants: { tenantId: string; status: string; error?: string }[]; failedTenants: number };
    expect(report.failedTenants).toBe(1);
    const byId = new Map(report.tenants.map((t) => [t.tenantId, t]));
    expect(byId.get(stuck.id)).toMatchObject({ status: "failed", error: "store_unavailable" });
    expect(byId.get(fine.id)?.status).not.toBe("failed");
  });
});
