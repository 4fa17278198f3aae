/**
 * The daily recheck fanned out over a real Cloudflare Queue binding, on the
 * real Workers runtime (workerd through Miniflare, the version wrangler 4.86
 * pins), with the Worker bundled by `wrangler deploy --dry-run` and configured
 * from this repository's wrangler.toml (its queue producer, consumer and
 * dead-letter queue; only batch timing is shortened). Tenants live on real
 * libSQL servers (sqld): region "eu" stays up, region "down" is stopped after
 * its tenant is set up.
 *
 * A scheduled event enqueues one message per tenant; the consumer rechecks each
 * tenant (the breaching flow's auto-pause is visible over the HTTP API); a
 * redelivered message changes nothing; the tenant whose store is down is
 * retried with backoff and ends in the dead-letter queue, read here by a small
 * second Worker that consumes it, while the other tenants succeed. The sweep's
 * cron trigger enqueues one intraday-pack message per tenant on the same queue;
 * the consumer packs a tenant's traces older than the lag into a segment (read
 * straight from its sqld database), a redelivery packs nothing new, and the
 * unreachable tenant's pack message ends in the dead-letter queue too. The
 * secret-guarded HTTP cron route fans both jobs out the same way.
 *
 * `miniflare` is wrangler's own runtime package (wrangler 4.86.0 pins it exactly),
 * used directly because a second Worker (the dead-letter reader) is needed beside
 * the gateway, which `unstable_startWorker` does not offer.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createClient as createLibsqlClient } from "@libsql/client";
import { Miniflare, type WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSeed } from "../../worker/domain/chain-sign.js";
import { INTRADAY_LAG_MS, INTRADAY_MIN_ROWS } from "../../worker/services/pack.js";
import { createClient, type TestClient } from "../helpers/client.js";
import { startSqld, type SqldServer } from "../helpers/sqld.js";
import { PLATINUM_FLOW } from "./story.case.js";

const ROOT = resolve(import.meta.dirname, "../..");
const adminToken = "queue-admin-token-" + crypto.randomUUID();
const cronSecret = "queue-cron-secret-" + crypto.randomUUID();
const QUEUE = "fairgate-recheck";
const DLQ = "fairgate-recheck-dlq";
const DAILY_CRON = "0 3 * * *";
/** FAIRGATE_EXPIRY_SWEEP_CRON's default, wrangler.toml's second trigger. */
const SWEEP_CRON = "*/15 * * * *";

let eu: SqldServer;
let down: SqldServer;
let control: SqldServer;
let mf: Miniflare;
let bundleDir: string;
let http: TestClient;

interface Tenant {
  id: string;
  key: string;
  flowId: string;
}
const t: Record<"breach" | "fair" | "unreachable", Tenant> = {} as never;

/** The Worker as `wrangler deploy` would upload it: the bundle and its Text/CompiledWasm modules. */
function bundleWorker(): { dir: string; modules: WorkerOptions["modules"] } {
  const dir = mkdtempSync(join(tmpdir(), "fairgate-queue-bundle-"));
  const r = spawnSync(join(ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", dir], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  if (r.status !== 0) throw new Error("wrangler deploy --dry-run failed:\n" + r.stdout + r.stderr);
  const modules = readdirSync(dir)
    .filter((f) => !f.endsWith(".map") && f !== "README.md")
    .map((f) => {
      const path = join(dir, f);
      if (f === "cloudflare.js") return { type: "ESModule" as const, path };
      if (f.endsWith(".wasm")) return { type: "CompiledWasm" as const, path };
      return { type: "Text" as const, path };
    })
    // The entry module first: Miniflare runs the first module.
    .sort((a, b) => Number(b.type === "ESModule") - Number(a.type === "ESModule"));
  return { dir, modules };
}

/** Reads the dead-letter queue through the observer Worker's KV namespace. */
async function deadLetters(): Promise<{ tenantId: string; job: string; attempts: number }[]> {
  const kv = await mf.getKVNamespace("DEAD", "dlq-observer");
  const keys = await kv.list();
  return Promise.all(keys.keys.map(async (k) => JSON.parse((await kv.get(k.name))!) as { tenantId: string; job: string; attempts: number }));
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 45_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

const POLICY = { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 10, windowDays: 7, continuousRecheck: true };

/** A tenant in `region` with a published flow and 12 traces per group (breaching: "65+" never selected). */
async function setUpTenant(name: string, region: string, breaching: boolean): Promise<Tenant> {
  const ten = await http.post("/api/v1/admin/tenants", adminToken, { name, region });
  expect(ten.status, JSON.stringify(ten.body)).toBe(201);
  const key = (await http.post(`/api/v1/admin/tenants/${ten.body.id}/api-keys`, adminToken, { principal: `a@${name}.test`, roles: ["admin", "publisher", "operator", "auditor"] })).body.key as string;
  expect((await http.put("/api/v1/tenant-settings", key, { fairnessPolicy: POLICY })).status).toBe(200);
  const flow = await http.post("/api/v1/decision-flows", key, { key: "card", name: "Card", definition: PLATINUM_FLOW });
  // No traces yet: the publish gate skips, so the flow is active before the traffic that breaches.
  expect((await http.post("/api/v1/decision-flows/publish", key, { id: flow.body.id })).body.evaluation.verdict).toBe("skip");
  const lines = Array.from({ length: 12 }, (_, i) => [
    { decisionFlowKey: "card", customerId: `o-${i}`, attributes: { ageBand: "65+" }, selected: breaching ? false : i % 2 === 0, converted: true },
    { decisionFlowKey: "card", customerId: `y-${i}`, attributes: { ageBand: "25-34" }, selected: breaching ? true : i % 2 === 0, converted: true },
  ]).flat();
  const bulk = await http.request("POST", "/api/v1/decision-traces/bulk", { token: key, raw: lines.map((l) => JSON.stringify(l)).join("\n"), contentType: "application/x-ndjson" });
  expect(bulk.status, JSON.stringify(bulk.body)).toBe(201);
  return { id: ten.body.id, key, flowId: flow.body.id };
}

const flowOf = async (x: Tenant) => (await http.get(`/api/v1/decision-flows/${x.flowId}`, x.key)).body;
const evaluationsOf = async (x: Tenant) => (await http.get(`/api/v1/fairness-evaluations?flowId=${x.flowId}&limit=100`, x.key)).body.items as { trigger: string; verdict: string }[];
const auditOf = async (x: Tenant) => (await http.get(`/api/v1/audit-log?entityType=decision_flow&entityId=${x.flowId}`, x.key)).body.items as { action: string }[];

beforeAll(async () => {
  process.env.WRANGLER_SEND_METRICS = "false";
  [control, eu, down] = await Promise.all([startSqld(), startSqld(), startSqld()]);
  const bundle = bundleWorker();
  bundleDir = bundle.dir;
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
  const consumer = workerOptions.queueConsumers as Record<string, { maxRetries?: number; deadLetterQueue?: string; maxBatchSize?: number }>;
  mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    workers: [
      {
        ...workerOptions,
        name: "fairgate",
        modulesRules: undefined,
        modules: bundle.modules,
        modulesRoot: bundle.dir,
        bindings: {
          ...workerOptions.bindings,
          FAIRGATE_CONTROL_DB_URL: control.url,
          FAIRGATE_ADMIN_TOKEN: adminToken,
          FAIRGATE_CRON_SECRET: cronSecret,
          FAIRGATE_EVIDENCE_SIGNING_KEY: generateSeed(),
          FAIRGATE_REGIONS: JSON.stringify({ eu: { url: eu.url }, down: { url: down.url } }),
          FAIRGATE_DEFAULT_REGION: "eu",
          FAIRGATE_LOG_LEVEL: "error",
          // Backoff of 1 s, 2 s, … instead of 30 s, 60 s, …; the store deadline short so the dead region fails fast.
          FAIRGATE_RECHECK_RETRY_DELAY_SECONDS: "1",
          FAIRGATE_STORE_TIMEOUT_MS: "2000",
        },
        // wrangler.toml's consumer (batch size, dead-letter queue) with a 1 s batch window and 2 retries.
        queueConsumers: { [QUEUE]: { ...consumer[QUEUE], maxBatchTimeout: 1, maxRetries: 2 } },
      },
      {
        name: "dlq-observer",
        modules: true,
        compatibilityDate: workerOptions.compatibilityDate,
        script: `export default { async queue(batch, env) {
          for (const m of batch.messages) { await env.DEAD.put(m.id, JSON.stringify({ tenantId: m.body.tenantId, job: m.body.job, attempts: m.attempts })); m.ack(); }
        } };`,
        kvNamespaces: ["DEAD"],
        queueConsumers: { [DLQ]: { maxBatchTimeout: 1 } },
      },
    ],
  });
  const url = await mf.ready;
  http = createClient(url.origin);
  t.breach = await setUpTenant("queue-breach", "eu", true);
  t.fair = await setUpTenant("queue-fair", "eu", false);
  t.unreachable = await setUpTenant("queue-down", "down", true);
  // The region's server goes away: its tenant's store is down from here on.
  await down.stop();
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  await Promise.all([control?.stop(), eu?.stop(), down?.stop().catch(() => {})]);
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

describe("[worker] the daily recheck over a Cloudflare Queue", () => {
  it("wrangler.toml binds the producer and a consumer with retries and a dead-letter queue", () => {
    const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
    expect(workerOptions.queueProducers).toMatchObject({ RECHECK_QUEUE: { queueName: QUEUE } });
    expect(workerOptions.queueConsumers).toMatchObject({ [QUEUE]: { deadLetterQueue: DLQ, maxRetries: expect.any(Number), maxBatchSize: expect.any(Number) } });
  });

  it("a scheduled event enqueues a message per tenant; each is rechecked, the unreachable one retried into the DLQ", async () => {
    const worker = await mf.getWorker("fairgate");
    const fired = await worker.scheduled({ cron: DAILY_CRON, scheduledTime: new Date() });
    expect(fired.outcome).toBe("ok");
    // The scheduled invocation only enqueues: nothing was evaluated by it.
    expect((await evaluationsOf(t.fair)).filter((e) => e.trigger === "recheck")).toHaveLength(0);

    // The consumer: the breaching flow is auto-paused, visible through the API.
    await until("the breaching flow's auto-pause", async () => (await flowOf(t.breach)).status === "paused");
    expect((await auditOf(t.breach)).filter((a) => a.action === "auto_pause")).toHaveLength(1);
    // The fair tenant was rechecked too, and stays active.
    await until("the fair tenant's recheck", async () => (await evaluationsOf(t.fair)).some((e) => e.trigger === "recheck"));
    expect((await flowOf(t.fair)).status).toBe("active");

    // The tenant whose store is down: retried (2 retries, 1 s then 2 s), then dead-lettered.
    const dead = await until("the dead letter", async () => {
      const d = await deadLetters();
      return d.length ? d : null;
    });
    expect(dead.map((d) => d.tenantId)).toEqual([t.unreachable.id]);
    // Only that one: the others were acked.
    await new Promise((ok) => setTimeout(ok, 1_500));
    expect((await deadLetters()).map((d) => d.tenantId)).toEqual([t.unreachable.id]);
  });

  it("a redelivered message is a no-op by effect: acked, no second pause, no new alert or audit", async () => {
    const worker = await mf.getWorker("fairgate");
    const db = createLibsqlClient({ url: eu.url });
    const effects = async () => {
      const q = async (sql: string, args: string[]) => Number((await db.execute({ sql, args })).rows[0]!.n);
      return {
        autoPauses: await q("SELECT count(*) AS n FROM audit_log WHERE tenant_id = ? AND action = 'auto_pause'", [t.breach.id]),
        outbox: await q("SELECT count(*) AS n FROM alert_outbox WHERE tenant_id IN (?, ?)", [t.breach.id, t.fair.id]),
        nonEvaluationAudit: await q("SELECT count(*) AS n FROM audit_log WHERE tenant_id IN (?, ?) AND action NOT LIKE 'evaluation%'", [t.breach.id, t.fair.id]),
      };
    };
    try {
      const before = await effects();
      const fairEvaluations = (await evaluationsOf(t.fair)).length;
      const scheduledTime = new Date().toISOString();
      // The same messages delivered again (a second attempt, as after a lost ack), straight into the consumer.
      const result = await worker.queue(QUEUE, [
        { id: "redelivered-breach", timestamp: new Date(), attempts: 2, body: { v: 1, job: "fairness-recheck", tenantId: t.breach.id, scheduledTime } },
        { id: "redelivered-fair", timestamp: new Date(), attempts: 2, body: { v: 1, job: "fairness-recheck", tenantId: t.fair.id, scheduledTime } },
      ]);
      expect(result.outcome).toBe("ok");
      expect([...result.explicitAcks].sort()).toEqual(["redelivered-breach", "redelivered-fair"]);
      expect(result.retryMessages).toEqual([]);
      // It ran (the fair flow was evaluated again) and changed nothing else.
      expect((await evaluationsOf(t.fair)).length).toBe(fairEvaluations + 1);
      expect(await effects()).toEqual(before);
      expect(before.autoPauses).toBe(1);
      expect((await flowOf(t.breach)).status).toBe("paused");
      expect((await flowOf(t.fair)).status).toBe("active");
    } finally {
      db.close();
    }
  });

  it("a message for an unreachable tenant is retried with exponential backoff; a malformed one is dropped", async () => {
    const worker = await mf.getWorker("fairgate");
    const body = { v: 1, job: "fairness-recheck", tenantId: t.unreachable.id, scheduledTime: new Date().toISOString() };
    const first = await worker.queue(QUEUE, [{ id: "down-1", timestamp: new Date(), attempts: 1, body }]);
    const third = await worker.queue(QUEUE, [{ id: "down-3", timestamp: new Date(), attempts: 3, body }]);
    expect(first.retryMessages).toEqual([{ msgId: "down-1", delaySeconds: 1 }]);
    expect(third.retryMessages).toEqual([{ msgId: "down-3", delaySeconds: 4 }]);
    expect(first.explicitAcks).toEqual([]);
    const junk = await worker.queue(QUEUE, [{ id: "junk", timestamp: new Date(), attempts: 1, body: { job: "something-else" } }]);
    expect(junk.explicitAcks).toEqual(["junk"]);
  });

  it("the sweep trigger enqueues a pack message per tenant; the consumer packs a tenant's traces; the unreachable one is dead-lettered", async () => {
    const ten = await http.post("/api/v1/admin/tenants", adminToken, { name: "queue-pack", region: "eu" });
    expect(ten.status, JSON.stringify(ten.body)).toBe(201);
    const key = (await http.post(`/api/v1/admin/tenants/${ten.body.id}/api-keys`, adminToken, { principal: "a@queue-pack.test", roles: ["admin", "publisher", "operator"] })).body.key as string;
    expect((await http.post("/api/v1/decision-flows", key, { key: "card", name: "Card", definition: PLATINUM_FLOW })).status).toBe(201);
    // Enough traces for an intraday segment, stamped twice the lag ago (back-filled): packable by this sweep.
    const n = INTRADAY_MIN_ROWS + 76;
    const timestamp = new Date(Date.now() - 2 * INTRADAY_LAG_MS).toISOString();
    const lines = Array.from({ length: n }, (_, i) => ({ decisionFlowKey: "card", customerId: `p-${i}`, attributes: { ageBand: i % 2 ? "65+" : "25-34" }, selected: i % 3 === 0, converted: true, timestamp }));
    const bulk = await http.request("POST", "/api/v1/decision-traces/bulk", { token: key, raw: lines.map((l) => JSON.stringify(l)).join("\n"), contentType: "application/x-ndjson" });
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(201);

    const db = createLibsqlClient({ url: eu.url });
    // One statement, so one snapshot: the consumer may commit between two.
    const packed = async () => {
      const r = (
        await db.execute({
          sql: `SELECT (SELECT count(*) FROM trace_segments WHERE tenant_id = ?1) AS segments,
                       (SELECT coalesce(sum(row_count), 0) FROM trace_segments WHERE tenant_id = ?1) AS segmentRows,
                       (SELECT count(*) FROM decision_traces WHERE tenant_id = ?1 AND segment_id IS NOT NULL) AS packedTraces`,
          args: [ten.body.id],
        })
      ).rows[0]!;
      return { segments: Number(r.segments), segmentRows: Number(r.segmentRows), packedTraces: Number(r.packedTraces) };
    };
    try {
      expect(await packed()).toEqual({ segments: 0, segmentRows: 0, packedTraces: 0 });
      const worker = await mf.getWorker("fairgate");
      const fired = await worker.scheduled({ cron: SWEEP_CRON, scheduledTime: new Date() });
      expect(fired.outcome).toBe("ok");

      // The consumer packed the tenant's traces into one segment of today.
      const after = await until("the tenant's intraday segment", async () => {
        const p = await packed();
        return p.packedTraces > 0 ? p : null;
      });
      expect(after).toEqual({ segments: 1, segmentRows: n, packedTraces: n });
      // The tenant whose store is down: its pack message retried, then dead-lettered (only that one).
      const dead = await until("the pack message's dead letter", async () => {
        const d = (await deadLetters()).filter((x) => x.job === "intraday-pack");
        return d.length ? d : null;
      });
      expect(dead.map((d) => d.tenantId)).toEqual([t.unreachable.id]);

      // A redelivery (as after a lost ack) is acked and packs nothing new.
      const body = { v: 1, job: "intraday-pack", tenantId: ten.body.id, scheduledTime: new Date().toISOString() };
      const again = await worker.queue(QUEUE, [{ id: "pack-again", timestamp: new Date(), attempts: 2, body }]);
      expect(again.outcome).toBe("ok");
      expect(again.explicitAcks).toEqual(["pack-again"]);
      expect(again.retryMessages).toEqual([]);
      expect(await packed()).toEqual(after);
      // A pack message for the unreachable tenant is retried with the recheck's backoff.
      const down1 = await worker.queue(QUEUE, [{ id: "pack-down", timestamp: new Date(), attempts: 1, body: { ...body, tenantId: t.unreachable.id } }]);
      expect(down1.retryMessages).toEqual([{ msgId: "pack-down", delaySeconds: 1 }]);
      expect((await deadLetters()).filter((x) => x.job === "intraday-pack").map((d) => d.tenantId)).toEqual([t.unreachable.id]);
    } finally {
      db.close();
    }
  });
  it("the secret-guarded cron route fans out as the triggers do: the recheck and the packs are enqueued, the consumer runs them", async () => {
    const fairRechecks = (await evaluationsOf(t.fair)).filter((e) => e.trigger === "recheck").length;
    const tenants = (await http.get("/api/v1/admin/tenants", adminToken)).body.items.length as number;
    const recheck = await http.request("GET", "/api/v1/cron/fairness-recheck", { token: cronSecret });
    expect(recheck.status, JSON.stringify(recheck.body)).toBe(200);
    // Enqueued, not run in the request: the report is the count, and nothing was evaluated by it.
    expect(recheck.body).toEqual({ runKey: expect.any(String), enqueued: tenants });
    expect((await evaluationsOf(t.fair)).filter((e) => e.trigger === "recheck")).toHaveLength(fairRechecks);
    await until("the consumer's recheck of the fair tenant", async () => (await evaluationsOf(t.fair)).filter((e) => e.trigger === "recheck").length > fairRechecks);
    const sweep = await http.request("GET", "/api/v1/cron/fairness-recheck?job=expiry-sweep", { token: cronSecret });
    expect(sweep.status, JSON.stringify(sweep.body)).toBe(200);
    // The expiry sweep itself ran here (the unreachable tenant's failed); the packs were enqueued.
    expect(sweep.body).toMatchObject({ packed: null, packEnqueued: tenants, failedTenants: 1 });
    // Without the secret the route refuses.
    expect((await http.request("GET", "/api/v1/cron/fairness-recheck", { token: "wrong" })).status).toBe(401);
  });
});
