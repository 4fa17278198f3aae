/**
 * The acceptance story against the gateway on the real Workers runtime (workerd,
 * via wrangler's unstable_startWorker with this repository's wrangler.toml),
 * backed by two real libSQL servers (sqld): one for the control store, one for
 * the "default" region's tenant databases. The daily recheck and the
 * override-expiry sweep are fired through the Worker's scheduled() handler, as
 * their cron triggers would (it dispatches on the trigger's cron expression).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createClient as createLibsqlClient } from "@libsql/client";
import { unstable_startWorker } from "wrangler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../helpers/client.js";
import { startSqld, type SqldServer } from "../helpers/sqld.js";
import { generateSeed } from "../../worker/domain/chain-sign.js";
import { startWebhookReceiver } from "../helpers/webhook-receiver.js";
import { acceptanceStory, PLATINUM_FLOW, type StoryTarget } from "./story.case.js";
import { DOCS_BUNDLE_PATH, DOCS_INIT_PATH } from "../../worker/http/openapi/docs-page.js";

const ROOT = resolve(import.meta.dirname, "../..");
const adminToken = "worker-admin-token-" + crypto.randomUUID();
const cronSecret = "worker-cron-secret-" + crypto.randomUUID();

let control: SqldServer;
let region: SqldServer;
let worker: Awaited<ReturnType<typeof unstable_startWorker>>;
let target: StoryTarget;
let scheduledRuns = 0;

const text = (value: string) => ({ type: "plain_text" as const, value });
const secret = (value: string) => ({ type: "secret_text" as const, value });

const evidenceKey = generateSeed();

function bindings() {
  return {
    FAIRGATE_CONTROL_DB_URL: secret(control.url),
    FAIRGATE_ADMIN_TOKEN: secret(adminToken),
    FAIRGATE_CRON_SECRET: secret(cronSecret),
    FAIRGATE_EVIDENCE_SIGNING_KEY: secret(evidenceKey),
    FAIRGATE_REGIONS: text(JSON.stringify({ default: { url: region.url } })),
    FAIRGATE_LOG_LEVEL: text("warn"),
    // wrangler.toml binds the recheck queue; this suite covers the deployment without one
    // (scheduled() rechecks every tenant in its own invocation). worker-queue.test.ts covers the queue.
    RECHECK_QUEUE: text("unbound"),
  };
}

const DAILY_CRON = "0 3 * * *";
const SWEEP_CRON = "*/15 * * * *";

/** Fires scheduled() like a cron trigger; miniflare answers once the handler and its waitUntil work are done. */
async function fireScheduled(origin: string, time = Date.now(), cron = DAILY_CRON) {
  const r = await fetch(`${origin}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(cron)}&time=${time}`);
  expect(r.status, await r.clone().text()).toBe(200);
}

beforeAll(async () => {
  process.env.WRANGLER_SEND_METRICS = "false";
  // Miniflare would otherwise fetch a Request.cf sample from Cloudflare (no network here) on the first request.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  [control, region] = await Promise.all([startSqld(), startSqld()]);
  worker = await unstable_startWorker({
    config: join(ROOT, "wrangler.toml"),
    bindings: bindings(),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, persist: false, logLevel: "warn", testScheduled: true },
  });
  const url = await worker.url;
  target = {
    baseUrl: url.origin,
    adminToken,
    cronSecret,
    // What the cron trigger does: invoke the Worker's scheduled() handler (wrangler dev's test-scheduled endpoint).
    triggerRecheck: async () => {
      await fireScheduled(url.origin);
      scheduledRuns++;
    },
  };
});

afterAll(async () => {
  await worker?.dispose();
  await Promise.all([control?.stop(), region?.stop()]);
});

acceptanceStory("worker", () => target);

describe("[worker] edge specifics", () => {
  it("[worker] tenant data lives in the region's database, tenants and keys in the control database", async () => {
    const http = createClient(target.baseUrl);
    const ten = await http.post("/api/v1/admin/tenants", adminToken, { name: "placement-check" });
    expect(ten.status).toBe(201);
    const key = (await http.post(`/api/v1/admin/tenants/${ten.body.id}/api-keys`, adminToken, { principal: "p@x.test", roles: ["publisher"] })).body.key;
    const flow = await http.post("/api/v1/decision-flows", key, { key: "placement", name: "Placement", definition: PLATINUM_FLOW });
    expect(flow.status).toBe(201);

    const c = createLibsqlClient({ url: control.url });
    const r = createLibsqlClient({ url: region.url });
    try {
      const row = (await c.execute({ sql: "SELECT region, db_url FROM tenants WHERE id = ?", args: [ten.body.id] })).rows[0];
      expect(row).toMatchObject({ region: "default", db_url: region.url });
      const flows = await r.execute({ sql: "SELECT count(*) AS n FROM decision_flows WHERE tenant_id = ?", args: [ten.body.id] });
      expect(Number(flows.rows[0]!.n)).toBe(1);
      const controlTables = (await c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")).rows.map((x) => String(x.name));
      expect(controlTables).not.toContain("audit_log");
    } finally {
      c.close();
      r.close();
    }
  });

  it("[worker] wrangler.toml carries both cron triggers", () => {
    const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
    expect(toml).toContain(`crons = ${JSON.stringify([DAILY_CRON, SWEEP_CRON]).replace('","', '", "')}`);
  });

  it("[worker] another scheduled run the same day pauses nothing twice", async () => {
    // The story fired three same-day rechecks (under the override, after its expiry, again).
    expect(scheduledRuns).toBe(3);
    await fireScheduled(target.baseUrl);
    const db = createLibsqlClient({ url: region.url });
    try {
      const pauses = await db.execute("SELECT count(*) AS n FROM audit_log WHERE action = 'auto_pause'");
      expect(Number(pauses.rows[0]!.n)).toBe(1);
    } finally {
      db.close();
    }
  });

  it("[worker] a webhook on 127.0.0.1 gets the block alert (after-response drain, scheduled drain as backstop)", async () => {
    const receiver = await startWebhookReceiver((res) => res.writeHead(204).end());
    const events = () => receiver.received.map((r) => String(r.headers["fairgate-event"]));
    try {
      const http = createClient(target.baseUrl);
      const ten = await http.post("/api/v1/admin/tenants", adminToken, { name: "alerts-on-workers" });
      const key = (await http.post(`/api/v1/admin/tenants/${ten.body.id}/api-keys`, adminToken, { principal: "a@x.test", roles: ["admin", "publisher", "operator"] })).body.key;
      const webhookUrl = receiver.url;
      const put = await http.put("/api/v1/tenant-settings", key, {
        fairnessPolicy: { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 10, windowDays: 7 },
        alerts: { webhookUrl, secret: "whsec-worker-0123456789", minTier: "block" },
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const flow = await http.post("/api/v1/decision-flows", key, { key: "alerting", name: "Alerting", definition: PLATINUM_FLOW });
      const lines = Array.from({ length: 12 }, (_, i) => [
        { decisionFlowKey: "alerting", customerId: `o-${i}`, attributes: { ageBand: "65+" }, selected: false, converted: true },
        { decisionFlowKey: "alerting", customerId: `y-${i}`, attributes: { ageBand: "25-34" }, selected: true, converted: true },
      ]).flat();
      const bulk = await http.request("POST", "/api/v1/decision-traces/bulk", { token: key, raw: lines.map((l) => JSON.stringify(l)).join("\n"), contentType: "application/x-ndjson" });
      expect(bulk.status, JSON.stringify(bulk.body)).toBe(201);
      expect((await http.post("/api/v1/decision-flows/publish", key, { id: flow.body.id })).status).toBe(422);
      await fireScheduled(target.baseUrl);
      const deadline = Date.now() + 10_000;
      while (!events().includes("block") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(events()).toContain("block");
    } finally {
      await receiver.close();
    }
  });

  it("[worker] the sweep's cron trigger runs the override-expiry sweep: the flow pauses once its override expires", async () => {
    const http = createClient(target.baseUrl);
    const ten = await http.post("/api/v1/admin/tenants", adminToken, { name: "sweep-on-workers" });
    const mk = async (principal: string, roles: string[]) => (await http.post(`/api/v1/admin/tenants/${ten.body.id}/api-keys`, adminToken, { principal, roles })).body.key as string;
    const key = await mk("a@x.test", ["admin", "publisher", "operator"]);
    const approver = await mk("b@x.test", ["approver"]);
    const put = await http.put("/api/v1/tenant-settings", key, {
      fairnessPolicy: { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 10, windowDays: 7, continuousRecheck: true },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const flow = await http.post("/api/v1/decision-flows", key, { key: "swept", name: "Swept", definition: PLATINUM_FLOW });
    const lines = Array.from({ length: 12 }, (_, i) => [
      { decisionFlowKey: "swept", customerId: `o-${i}`, attributes: { ageBand: "65+" }, selected: false, converted: true },
      { decisionFlowKey: "swept", customerId: `y-${i}`, attributes: { ageBand: "25-34" }, selected: true, converted: true },
    ]).flat();
    expect((await http.request("POST", "/api/v1/decision-traces/bulk", { token: key, raw: lines.map((l) => JSON.stringify(l)).join("\n"), contentType: "application/x-ndjson" })).status).toBe(201);
    const expiresAt = new Date(Date.now() + 3_000).toISOString();
    const o = await http.post("/api/v1/fairness-overrides", key, { reason: "Short pilot", expiresAt, flowId: flow.body.id });
    expect((await http.post(`/api/v1/fairness-overrides/${o.body.id}/approve`, approver)).status).toBe(200);
    expect((await http.post("/api/v1/decision-flows/publish", key, { id: flow.body.id })).body.evaluation.verdict).toBe("bypass");
    // Before expiry the sweep has nothing to do; the daily trigger is not what pauses here.
    await fireScheduled(target.baseUrl, Date.now(), SWEEP_CRON);
    expect((await http.get(`/api/v1/decision-flows/${flow.body.id}`, key)).body.status).toBe("active");
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now() + 200)));
    await fireScheduled(target.baseUrl, Date.now(), SWEEP_CRON);
    expect((await http.get(`/api/v1/decision-flows/${flow.body.id}`, key)).body.status).toBe("paused");
    const audit = (await http.get(`/api/v1/audit-log?entityType=decision_flow&entityId=${flow.body.id}`, key)).body.items.filter((a: { action: string }) => a.action === "auto_pause");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ reason: "fairness_recheck_drift", details: { trigger: "override_expiry_sweep", overrideIds: [o.body.id] } });
    // Swept once: a further sweep finds nothing ended.
    await fireScheduled(target.baseUrl, Date.now(), SWEEP_CRON);
    const again = (await http.get(`/api/v1/audit-log?entityType=decision_flow&entityId=${flow.body.id}`, key)).body.items.filter((a: { action: string }) => a.action === "auto_pause");
    expect(again).toHaveLength(1);
  });

  it("[worker] /docs: Scalar's bundle is bundled as text and served by the Worker itself", async () => {
    const page = await fetch(`${target.baseUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain(`src="${DOCS_BUNDLE_PATH}"`);
    const bundle = await fetch(`${target.baseUrl}${DOCS_BUNDLE_PATH}`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/^text\/javascript/);
    // The very file in node_modules, byte for byte (a Text module, not re-bundled as code).
    expect(await bundle.text()).toBe(readFileSync(join(ROOT, "node_modules/@scalar/api-reference/dist/browser/standalone.js"), "utf8"));
    const init = await fetch(`${target.baseUrl}${DOCS_INIT_PATH}`);
    expect(await init.text()).toContain("Scalar.createApiReference");
  });

  it("[worker] the bundle module lists every migration file", () => {
    const src = readFileSync(join(ROOT, "worker/runtime/cloudflare-bundle.ts"), "utf8");
    for (const kind of ["control", "tenant"]) {
      for (const f of readdirSync(join(ROOT, "worker/store/migrations", kind)).filter((x) => x.endsWith(".sql")))
        expect(src, `${kind}/${f} is not imported by cloudflare-bundle.ts`).toContain(`../store/migrations/${kind}/${f}`);
    }
  });
});
