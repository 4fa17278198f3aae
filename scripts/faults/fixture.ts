/**
 * @module scripts/faults/fixture
 * What the fault scenarios (bench:faults) and the isolation tests share: a
 * tenant with an active flow over real HTTP, an exclusive lock held on a
 * database file by another process, and a bounded latency sampler. Every call
 * goes to a loopback gateway; nothing here retries.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/** A flow that always makes an offer to gold customers, whatever else the request says. */
export const ALWAYS_FLOW = {
  offers: [{ id: "card", eligibility: [{ attribute: "tier", op: "eq", value: "gold" }], model: { intercept: 2 }, minPropensity: 0.5 }],
  maxOffers: 1,
};

export interface FaultTenant {
  id: string;
  /** One key with operator, publisher and admin roles. */
  key: string;
  flowKey: string;
}

async function call(baseUrl: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "x-requested-with": "XMLHttpRequest", ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: parsed };
}

/** Creates a tenant (optionally in `region`), a key, and a published flow `offers`. Throws on any unexpected status. */
export async function createFaultTenant(baseUrl: string, adminToken: string, name: string, region?: string): Promise<FaultTenant> {
  const expectStatus = (r: { status: number; body: unknown }, s: number, what: string) => {
    if (r.status !== s) throw new Error(`${what}: expected ${s}, got ${r.status} ${JSON.stringify(r.body)}`);
  };
  const t = await call(baseUrl, "POST", "/api/v1/admin/tenants", adminToken, region ? { name, region } : { name });
  expectStatus(t, 201, "create tenant");
  const k = await call(baseUrl, "POST", `/api/v1/admin/tenants/${t.body.id}/api-keys`, adminToken, { principal: `ops@${name}.test`, roles: ["operator", "publisher", "admin"] });
  expectStatus(k, 201, "create key");
  const f = await call(baseUrl, "POST", "/api/v1/decision-flows", k.body.key, { key: "offers", name: "Offers", definition: ALWAYS_FLOW });
  expectStatus(f, 201, "create flow");
  const p = await call(baseUrl, "POST", "/api/v1/decision-flows/publish", k.body.key, { id: f.body.id });
  expectStatus(p, 200, "publish");
  return { id: t.body.id, key: k.body.key, flowKey: "offers" };
}

/** One recommend for `t`; resolves with status, elapsed ms and the body. */
export async function recommend(baseUrl: string, t: FaultTenant): Promise<{ status: number; ms: number; body: any }> {
  const id = crypto.randomUUID();
  const t0 = performance.now();
  const r = await call(baseUrl, "POST", "/api/v1/recommend", t.key, {
    customerId: `c-${id.slice(0, 8)}`,
    decisionFlowKey: t.flowKey,
    attributes: { tier: "gold", ageBand: id.charCodeAt(0) % 2 ? "65+" : "25-34" },
  });
  return { status: r.status, ms: performance.now() - t0, body: r.body };
}

/** GET `path` without credentials; resolves with status, elapsed ms and the body. */
export async function probe(baseUrl: string, path: string): Promise<{ status: number; ms: number; body: any }> {
  const t0 = performance.now();
  const res = await fetch(baseUrl + path);
  const text = await res.text();
  return { status: res.status, ms: performance.now() - t0, body: text ? JSON.parse(text) : null };
}

/** A process holding `BEGIN EXCLUSIVE` on a database file until released (or `maxMs` passed). */
export interface HeldLock {
  release(): Promise<void>;
}

/** Starts another process that takes an exclusive lock on `dbPath`; resolves once the lock is held. */
export async function holdExclusiveLock(dbPath: string, maxMs: number): Promise<HeldLock> {
  const code = `
    const Database = require("libsql");
    const db = new Database(process.argv[1]);
    db.exec("PRAGMA busy_timeout = 10000");
    db.exec("BEGIN EXCLUSIVE");
    process.stdout.write("locked\\n");
    const end = () => { try { db.exec("ROLLBACK"); } catch {} process.exit(0); };
    process.stdin.on("data", end);
    process.stdin.on("end", end);
    setTimeout(end, Number(process.argv[2]));
  `;
  const proc: ChildProcess = spawn(process.execPath, ["-e", code, dbPath, String(maxMs)], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("lock holder did not take the lock: " + err)), 15_000);
    proc.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("locked")) {
        clearTimeout(timer);
        ok();
      }
    });
    proc.once("exit", (c) => {
      clearTimeout(timer);
      fail(new Error(`lock holder exited (${c}): ${err}`));
    });
  });
  const exited = new Promise<void>((ok) => (proc.exitCode !== null ? ok() : proc.once("exit", () => ok())));
  return {
    async release() {
      if (proc.exitCode === null) proc.stdin!.end("release\n");
      await exited;
    },
  };
}

/** Latency summary of a sample run. */
export interface LatencySummary {
  requests: number;
  statuses: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs `fn` from `concurrency` loops until `durationMs` passes (or `stop()` resolves) and summarises latencies. */
export async function sampleLatency(
  fn: () => Promise<{ status: number; ms: number }>,
  opts: { durationMs: number; concurrency: number; until?: Promise<unknown> },
): Promise<LatencySummary> {
  const ms: number[] = [];
  const statuses: Record<string, number> = {};
  let done = false;
  const timer = setTimeout(() => (done = true), opts.durationMs);
  void opts.until?.then(() => (done = true));
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (!done) {
        try {
          const r = await fn();
          ms.push(r.ms);
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        } catch {
          statuses.error = (statuses.error ?? 0) + 1;
        }
      }
    }),
  );
  clearTimeout(timer);
  ms.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { requests: ms.length, statuses, p50Ms: round(percentile(ms, 50)), p99Ms: round(percentile(ms, 99)), maxMs: round(ms.at(-1) ?? NaN) };
}
