/**
 * @module scripts/bench-recommend
 * `npm run bench:recommend`: the live decision path under load, end to end. Starts
 * the real Node gateway (embedded libSQL, a fresh temp data directory), creates a
 * tenant, an API key, a fairness policy and a published flow over HTTP, drives
 * `POST /api/v1/recommend` with autocannon (a distinct customerId per request),
 * then `GET /healthz` of the same server in the same run as the ceiling of what
 * the HTTP stack alone serves, stops the gateway and counts the trace rows it
 * persisted. Every acknowledged (2xx) trace must be on disk: the bench exits 1
 * when `persisted` differs from `acknowledged`.
 *
 * Runs a fixed number of requests (`--amount`), not a duration, so nothing is in
 * flight when the count is taken. A short warm-up on a second flow of the same
 * tenant (JIT, statement caches, the tenant's database thread) is not counted.
 * The rate limiter stays on, with a limit above the load, so its cost is measured.
 *
 *   npm run bench:recommend -- [--connections 10] [--amount 30000] [--warmup 3000] [--profile DIR]
 *
 * `--profile DIR` starts the gateway under `node --cpu-prof` and leaves its
 * .cpuprofile files in DIR (read them with scripts/cpuprofile-top.ts).
 * Progress goes to stderr; the last line on stdout is one JSON object.
 */
import autocannon from "autocannon";
import Database from "libsql";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { positiveInt } from "./bench-args.js";
import { startGateway } from "./faults/gateway.js";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "10" },
    amount: { type: "string", default: "30000" },
    warmup: { type: "string", default: "3000" },
    profile: { type: "string" },
  },
});

const connections = positiveInt("connections", values.connections, 1_000);
const amount = positiveInt("amount", values.amount, 10_000_000);
const warmup = positiveInt("warmup", values.warmup, 1_000_000);
const log = (msg: string) => process.stderr.write(msg + "\n");

/** A flow with a rule, a numeric and a categorical weight: what a real one executes per request. */
const FLOW = {
  offers: [
    {
      id: "platinum-card",
      eligibility: [{ attribute: "tier", op: "in", value: ["gold", "platinum"] }],
      model: { intercept: -1.0, numeric: { income: 0.00004 }, categorical: { ageBand: { "65+": -0.5 } } },
      minPropensity: 0.3,
    },
    { id: "travel-card", eligibility: [{ attribute: "tier", op: "neq", value: "basic" }], model: { intercept: 0.5 }, minPropensity: 0.5 },
  ],
  maxOffers: 1,
};
const POLICY = {
  enabled: true,
  sensitiveAttribute: "ageBand",
  thresholds: { disparateImpactRatio: 0.8, demographicParityGap: 0.2 },
  minSampleSize: 100,
  windowDays: 7,
  continuousRecheck: true,
  onInsufficientSamples: "skip",
};
const AGE_BANDS = ["18-24", "25-34", "35-49", "50-64", "65+"];

async function call(baseUrl: string, method: string, path: string, token: string, body?: unknown): Promise<any> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "x-requested-with": "XMLHttpRequest", "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The request body of the i-th recommend: a customer of its own, attributes varying with i. */
function recommendBody(flowKey: string, i: number): string {
  return JSON.stringify({
    customerId: `bench-${i}`,
    decisionFlowKey: flowKey,
    attributes: { tier: i % 7 === 0 ? "basic" : "gold", ageBand: AGE_BANDS[i % AGE_BANDS.length], income: 20_000 + ((i * 7919) % 80_000) },
  });
}

/**
 * CPU time (ms) the gateway process has used so far, in total and on its main thread (the
 * event loop: its time per request bounds what one process can serve). Linux /proc only;
 * unlike throughput it barely moves when other work shares the machine.
 */
function cpuMs(pid: number | undefined): { total: number; main: number } | null {
  if (pid === undefined) return null;
  const ticks = (statPath: string) => {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const f = readFileSync(statPath, "utf8").split(") ")[1]!.split(" ");
    return Number(f[11]) + Number(f[12]);
  };
  try {
    // USER_HZ is 100 on Linux: one tick is 10 ms.
    return { total: ticks(`/proc/${pid}/stat`) * 10, main: ticks(`/proc/${pid}/task/${pid}/stat`) * 10 };
  } catch {
    return null;
  }
}

/**
 * Latency of a durable commit on this disk right now (WAL, synchronous=FULL, as the gateway
 * commits): 200 small transactions on a scratch file in the data directory. Every acknowledged
 * recommend waits for at least one such commit (its group-commit batch), and on average for
 * part of the one in flight before it, so at N connections throughput is at most about
 * N / (1.5 × commit time) whatever the CPU does.
 */
function commitLatency(dir: string): { p50Ms: number; p99Ms: number } {
  const db = new Database(join(dir, "commit-probe.db"));
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("CREATE TABLE t (v TEXT)");
  const ins = db.prepare("INSERT INTO t VALUES (?)");
  const ms: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    db.transaction(() => ins.run("x".repeat(300))).immediate();
    ms.push(performance.now() - t0);
  }
  db.close();
  ms.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return { p50Ms: round(ms[100]!), p99Ms: round(ms[198]!) };
}

/**
 * One autocannon run and its wall time, from the start to the last response. autocannon's
 * own `duration` ends on its next one-second tick after the last response, so a fixed
 * amount of requests reads as a whole number of seconds and the rate as a lower bound.
 */
function drive(opts: autocannon.Options): Promise<{ r: autocannon.Result; wallS: number }> {
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    let last = t0;
    const run = autocannon(opts, (err, r) => (err ? fail(err) : ok({ r, wallS: (last - t0) / 1000 })));
    run.on("response", () => {
      last = performance.now();
    });
  });
}

function recommendLoad(baseUrl: string, key: string, flowKey: string, n: number, start: number): Promise<{ r: autocannon.Result; wallS: number }> {
  let i = start;
  return drive({
    url: baseUrl,
    connections,
    amount: n,
    requests: [
      {
        method: "POST",
        path: "/api/v1/recommend",
        headers: { authorization: `Bearer ${key}`, "x-requested-with": "XMLHttpRequest", "content-type": "application/json" },
        setupRequest: (req) => ({ ...req, body: recommendBody(flowKey, i++) }),
      },
    ],
  });
}

const dataDir = mkdtempSync(join(tmpdir(), "fairgate-bench-recommend-"));
const env: Record<string, string> = {
  FAIRGATE_DATA_DIR: dataDir,
  // Above the load, so every request pays for the limiter and none is refused by it.
  FAIRGATE_RATE_LIMIT_PER_SECOND: "1000000",
  FAIRGATE_RATE_LIMIT_BURST: "1000000",
};
const nodeArgs: string[] = [];
if (values.profile) {
  const dir = resolve(values.profile);
  mkdirSync(dir, { recursive: true });
  nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${dir}`);
}

const loadBefore = loadavg()[0]!;
const commit = commitLatency(dataDir);
const gw = await startGateway(env, nodeArgs);
let exitCode = 0;
try {
  const tenant = await call(gw.baseUrl, "POST", "/api/v1/admin/tenants", gw.adminToken, { name: "bench-recommend" });
  const { key } = await call(gw.baseUrl, "POST", `/api/v1/admin/tenants/${tenant.id}/api-keys`, gw.adminToken, {
    principal: "bench@bench-recommend.test",
    roles: ["operator", "publisher", "admin"],
  });
  await call(gw.baseUrl, "PUT", "/api/v1/tenant-settings", key, { fairnessPolicy: POLICY });
  for (const flowKey of ["offers", "warmup"]) {
    const f = await call(gw.baseUrl, "POST", "/api/v1/decision-flows", key, { key: flowKey, name: flowKey, definition: FLOW });
    await call(gw.baseUrl, "POST", "/api/v1/decision-flows/publish", key, { id: f.id });
  }

  log(`warm-up: ${warmup} recommends on flow "warmup" (not counted)`);
  await recommendLoad(gw.baseUrl, key, "warmup", warmup, 0);
  log(`load: ${amount} recommends, ${connections} connections`);
  const cpu0 = cpuMs(gw.proc.pid);
  const { r, wallS } = await recommendLoad(gw.baseUrl, key, "offers", amount, warmup);
  const cpu1 = cpuMs(gw.proc.pid);
  log(`healthz: ${amount} requests, ${connections} connections`);
  const { r: h, wallS: healthzWallS } = await drive({ url: gw.baseUrl + "/healthz", connections, amount });
  const cpu2 = cpuMs(gw.proc.pid);
  await gw.stop();

  const db = new Database(join(dataDir, "tenants", `${tenant.id}.db`), { readonly: true });
  const persisted = Number((db.prepare("SELECT count(*) AS n FROM decision_traces WHERE flow_key = 'offers'").get() as { n: number }).n);
  db.close();
  const acknowledged = r["2xx"];
  if (persisted !== acknowledged) exitCode = 1;
  const result = {
    bench: "recommend",
    reqPerSec: Math.round(r.requests.total / wallS),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    non2xx: r.non2xx + r.errors + r.timeouts,
    acknowledged,
    persisted,
    healthzReqPerSec: Math.round(h.requests.total / healthzWallS),
    // Gateway CPU per recommend (all threads; the main thread alone): robust to a busy machine.
    cpuMsPerRequest: cpu0 && cpu1 ? Math.round(((cpu1.total - cpu0.total) / r.requests.total) * 1000) / 1000 : null,
    mainThreadCpuMsPerRequest: cpu0 && cpu1 ? Math.round(((cpu1.main - cpu0.main) / r.requests.total) * 1000) / 1000 : null,
    healthzMainThreadCpuMsPerRequest: cpu1 && cpu2 ? Math.round(((cpu2.main - cpu1.main) / h.requests.total) * 1000) / 1000 : null,
    healthzP99Ms: h.latency.p99,
    // A durable commit on this disk at the start (see commitLatency).
    commitP50Ms: commit.p50Ms,
    commitP99Ms: commit.p99Ms,
    connections,
    amount,
    durationS: Math.round(wallS * 1000) / 1000,
    node: process.version,
    cpus: cpus().length,
    loadAvg1mBefore: Math.round(loadBefore * 100) / 100,
    loadAvg1mAfter: Math.round(loadavg()[0]! * 100) / 100,
  };
  process.stdout.write(JSON.stringify(result) + "\n");
} catch (e) {
  exitCode = 1;
  log(`bench failed: ${(e as Error).stack ?? e}`);
} finally {
  await gw.stop("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
