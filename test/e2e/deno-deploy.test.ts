/**
 * The acceptance story against the Deno Deploy entry (worker/runtime/deno-deploy.ts)
 * run under Deploy's restrictions: `deno task deploy:local`, i.e. `deno run
 * --deny-ffi --deny-write --deny-run --allow-net --allow-env --allow-read=<repo>`,
 * backed by two real libSQL servers (sqld): the control store and the "default"
 * region's tenant databases. The story fires the recheck through the cron route
 * (recheck under an override, auto-pause after its expiry, a third run). Also:
 * data placement, Deno.cron firing both jobs, graceful SIGTERM, one-line
 * configuration errors, and a control run showing the flags do bite (the
 * native-driver entry cannot start under them).
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createClient as createLibsqlClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSeed } from "../../worker/domain/chain-sign.js";
import { createClient } from "../helpers/client.js";
import { denoBinary } from "../helpers/deno.js";
import { spawnGateway, spawnNodeServer, type SpawnedServer } from "../helpers/server.js";
import { freePort, startSqld, type SqldServer } from "../helpers/sqld.js";
import { acceptanceStory, PLATINUM_FLOW } from "./story.case.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DENY_FLAGS = ["--deny-ffi", "--deny-write", "--deny-run", "--allow-net", "--allow-env", "--allow-read=."];

let control: SqldServer;
let region: SqldServer;
let server: SpawnedServer;
const evidenceKey = generateSeed();

/** The entry's environment: URLs only, secrets given (spawnGateway adds PORT=0, the tokens and crons off). */
const deployEnv = (extra: Record<string, string> = {}) => ({
  FAIRGATE_CONTROL_DB_URL: control.url,
  FAIRGATE_REGIONS: JSON.stringify({ default: { url: region.url } }),
  FAIRGATE_EVIDENCE_SIGNING_KEY: evidenceKey,
  ...extra,
});

/** `deno task deploy:local`: the restricted run deno.json defines (and `npm run dev:deno-deploy` uses). */
const spawnDeploy = (env: Record<string, string> = {}) => spawnGateway(denoBinary(), ["task", "deploy:local"], deployEnv(env));

/** Runs `deno run <flags> <entry>` to its exit (for entries that must not start); resolves code and output. */
function runToExit(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok, fail) => {
    const p = spawn(denoBinary(), args, { cwd: ROOT, env: { ...process.env, PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      fail(new Error(`did not exit:\n${stdout}\n${stderr}`));
    }, 30_000);
    p.on("exit", (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  [control, region] = await Promise.all([startSqld(), startSqld()]);
  // A real schedule, so Deno.cron is registered (and aborted on shutdown); the story fires the recheck over HTTP.
  server = await spawnDeploy({ FAIRGATE_RECHECK_CRON: "0 3 * * *" });
});
afterAll(async () => {
  await server?.stop();
  await Promise.all([control?.stop(), region?.stop()]);
});

acceptanceStory("deno-deploy", () => server);

describe("[deno-deploy] under Deploy's restrictions", () => {
  it("[deno-deploy] deno.json's deploy:local task is the restricted run (no FFI, no writes, no subprocesses, reads only the repository)", () => {
    const task = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).tasks["deploy:local"] as string;
    const args = task.split(/\s+/);
    for (const flag of DENY_FLAGS) expect(args).toContain(flag);
    expect(args.some((a) => /^--allow-(ffi|write|run|all|sys)\b/.test(a) || a === "-A")).toBe(false);
    expect(args.at(-1)).toBe("worker/runtime/deno-deploy.ts");
  });

  it("[deno-deploy] tenant data lives in the region's database, tenants and keys in the control database", async () => {
    const http = createClient(server.baseUrl);
    const ten = await http.post("/api/v1/admin/tenants", server.adminToken, { name: "placement-check" });
    expect(ten.status).toBe(201);
    const key = (await http.post(`/api/v1/admin/tenants/${ten.body.id}/api-keys`, server.adminToken, { principal: "p@x.test", roles: ["publisher"] })).body.key;
    expect((await http.post("/api/v1/decision-flows", key, { key: "placement", name: "Placement", definition: PLATINUM_FLOW })).status).toBe(201);
    const c = createLibsqlClient({ url: control.url });
    const r = createLibsqlClient({ url: region.url });
    try {
      expect((await c.execute({ sql: "SELECT region, db_url FROM tenants WHERE id = ?", args: [ten.body.id] })).rows[0]).toMatchObject({ region: "default", db_url: region.url });
      expect(Number((await r.execute({ sql: "SELECT count(*) AS n FROM decision_flows WHERE tenant_id = ?", args: [ten.body.id] })).rows[0]!.n)).toBe(1);
      // Every migration file was read from disk and applied (none bundled, none skipped).
      const applied = async (db: typeof c) => (await db.execute("SELECT version FROM schema_migrations ORDER BY version")).rows.map((x) => Number(x.version));
      const onDisk = (kind: string) => readdirSync(join(ROOT, "worker/store/migrations", kind)).filter((f) => f.endsWith(".sql")).map((f) => Number(f.split("_")[0])).sort((a, b) => a - b);
      expect(await applied(c)).toEqual(onDisk("control"));
      expect(await applied(r)).toEqual(onDisk("tenant"));
    } finally {
      c.close();
      r.close();
    }
  });

  it("[deno-deploy] the evidence public key is the one from FAIRGATE_EVIDENCE_SIGNING_KEY (nothing generated)", async () => {
    const { createEvidenceSigner } = await import("../../worker/domain/chain-sign.js");
    const http = createClient(server.baseUrl);
    const ten = await http.post("/api/v1/admin/tenants", server.adminToken, { name: "public-key-check" });
    const key = (await http.post(`/api/v1/admin/tenants/${ten.body.id}/api-keys`, server.adminToken, { principal: "a@x.test", roles: ["auditor"] })).body.key;
    const r = await http.get("/api/v1/evidence/public-key", key);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(JSON.stringify(r.body)).toContain((await createEvidenceSigner(evidenceKey)).publicKey);
  });

  it("[deno-deploy] /docs: the page and Scalar's bundle, read from node_modules, served by the app", async () => {
    const page = await fetch(`${server.baseUrl}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('src="/docs/assets/scalar.js"');
    const bundle = await fetch(`${server.baseUrl}/docs/assets/scalar.js`);
    expect(bundle.status).toBe(200);
    expect(await bundle.text()).toBe(readFileSync(join(ROOT, "node_modules/@scalar/api-reference/dist/browser/standalone.js"), "utf8"));
  });

  it("[deno-deploy] logs JSON lines without secrets and stops gracefully on SIGTERM", async () => {
    const http = createClient(server.baseUrl);
    const r = await http.request("GET", "/healthz", { headers: { "x-request-id": "req-deploy-12345" } });
    expect(r.status).toBe(200);
    expect(await server.stop("SIGTERM")).toBe(0);
    const lines = server.logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    expect(lines.some((l) => l.requestId === "req-deploy-12345" && l.msg === "request")).toBe(true);
    expect(lines.find((l) => l.msg === "listening")).toMatchObject({ runtime: "deno-deploy", recheckCron: "0 3 * * *", kernels: "wasm", regions: ["default"] });
    expect(lines.find((l) => l.msg === "stopped")).toMatchObject({ signal: "SIGTERM", result: "closed" });
    const all = server.logs.join("\n");
    expect(all).not.toContain(server.adminToken);
    expect(all).not.toContain(evidenceKey);
    expect(all).not.toContain("fgk_");
    expect(all).not.toContain("65+");
    // No permission was ever requested and refused (a write or FFI attempt would say NotCapable / PermissionDenied).
    expect(all).not.toMatch(/NotCapable|PermissionDenied|Requires (write|ffi|run) access/);
  });
});

describe("[deno-deploy] Deno.cron", () => {
  it("[deno-deploy] fires the scheduled recheck and the expiry sweep (every-minute schedules; waits for the next minute)", async () => {
    // Deno.cron's finest granularity is a minute, so this waits up to ~60 s.
    const srv = await spawnDeploy({ FAIRGATE_RECHECK_CRON: "* * * * *", FAIRGATE_EXPIRY_SWEEP_CRON: "* * * * *" });
    try {
      const ran = (msg: string) => srv.logs.some((l) => l.includes(`"msg":"${msg}"`) && l.includes('"trigger":"schedule"'));
      const deadline = Date.now() + 75_000;
      while (!(ran("fairness recheck ran") && ran("override expiry sweep ran")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(ran("fairness recheck ran"), srv.logs.join("\n")).toBe(true);
      expect(ran("override expiry sweep ran"), srv.logs.join("\n")).toBe(true);
    } finally {
      expect(await srv.stop("SIGTERM")).toBe(0);
    }
  }, 90_000);
});

describe("[deno-deploy] control store down at start", () => {
  it("[deno-deploy] answers 503 not_ready while the control store is unreachable, then serves once it is up", async () => {
    const [port, controlPort] = await Promise.all([freePort(), freePort()]);
    const adminToken = "deploy-admin-token-" + crypto.randomUUID();
    const p = spawn(denoBinary(), ["task", "deploy:local"], {
      cwd: ROOT,
      env: { ...process.env, ...deployEnv({ FAIRGATE_CONTROL_DB_URL: `http://127.0.0.1:${controlPort}` }), PORT: String(port), FAIRGATE_ADMIN_TOKEN: adminToken, FAIRGATE_RECHECK_CRON: "off", FAIRGATE_EXPIRY_SWEEP_CRON: "off" },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: `deno task` runs the entry as a child, which a SIGKILL of the task
      // alone would leave running after the suite.
      detached: true,
    });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const late = await (async () => {
      const base = `http://127.0.0.1:${port}`;
      const until = async (ok: () => Promise<boolean>, what: string) => {
        const deadline = Date.now() + 30_000;
        while (!(await ok().catch(() => false))) {
          if (Date.now() > deadline || p.exitCode !== null) throw new Error(`${what}:\n${out}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      await until(async () => out.includes('"msg":"gateway failed to start"'), "no start failure logged");
      const down = await fetch(base + "/readyz");
      expect(down.status).toBe(503);
      expect(down.headers.get("content-type")).toContain("application/problem+json");
      expect(((await down.json()) as { code: string }).code).toBe("not_ready");
      // The failed build is not cached: once the control store is up, the next request builds and is served.
      const sqld = await startSqld({ port: controlPort });
      try {
        await until(async () => (await fetch(base + "/readyz")).status === 200, "never became ready");
        expect((await createClient(base).post("/api/v1/admin/tenants", adminToken, { name: "late-control" })).status).toBe(201);
      } finally {
        await sqld.stop();
      }
      return out;
    })().finally(() => process.kill(-p.pid!, "SIGKILL"));
    expect(late).not.toContain(adminToken);
  });
});

describe("[deno-deploy] a control store shared with a Node gateway", () => {
  it("[deno-deploy] a tenant the Node gateway placed in embedded files answers 503 store_unavailable; the file: URL is named in the log", async () => {
    const node = await spawnNodeServer({ FAIRGATE_CONTROL_DB_URL: control.url, FAIRGATE_EVIDENCE_SIGNING_KEY: evidenceKey });
    let key: string;
    try {
      const http = createClient(node.baseUrl);
      const ten = await http.post("/api/v1/admin/tenants", node.adminToken, { name: "embedded-on-node" });
      expect(ten.status).toBe(201);
      key = (await http.post(`/api/v1/admin/tenants/${ten.body.id}/api-keys`, node.adminToken, { principal: "p@x.test", roles: ["publisher"] })).body.key;
      expect((await http.get("/api/v1/decision-flows", key)).status).toBe(200);
    } finally {
      await node.stop();
    }
    const deploy = await spawnDeploy({ FAIRGATE_ADMIN_TOKEN: node.adminToken });
    try {
      const r = await createClient(deploy.baseUrl).get("/api/v1/decision-flows", key);
      expect(r.status).toBe(503);
      expect(r.body.code).toBe("store_unavailable");
      expect(deploy.logs.join("\n")).toContain("file: URLs cannot work on Deno Deploy");
    } finally {
      expect(await deploy.stop("SIGTERM")).toBe(0);
    }
  });
});

describe("[deno-deploy] configuration", () => {
  const entry = ["run", ...DENY_FLAGS, "worker/runtime/deno-deploy.ts"];
  const base = () => ({ ...deployEnv(), FAIRGATE_ADMIN_TOKEN: "deploy-admin-token-0123456789" });
  const cases: [string, (env: Record<string, string>) => Record<string, string>, RegExp][] = [
    ["no admin token", ({ FAIRGATE_ADMIN_TOKEN: _, ...env }) => env, /^Invalid configuration: FAIRGATE_ADMIN_TOKEN: is required on Deno Deploy/],
    ["no evidence signing key", ({ FAIRGATE_EVIDENCE_SIGNING_KEY: _, ...env }) => env, /^Invalid configuration: FAIRGATE_EVIDENCE_SIGNING_KEY: is required on Deno Deploy/],
    ["a file: control store", (env) => ({ ...env, FAIRGATE_CONTROL_DB_URL: "file:control.db" }), /^Invalid configuration: FAIRGATE_CONTROL_DB_URL: file: URLs cannot work on Deno Deploy/],
    ["a region without url", (env) => ({ ...env, FAIRGATE_REGIONS: '{"eu":{}}' }), /^Invalid configuration: FAIRGATE_REGIONS: region "eu" needs a "url" on Deno Deploy/],
    ["a schedule Deno.cron refuses", (env) => ({ ...env, FAIRGATE_RECHECK_CRON: "0 0 3 * * *" }), /^Invalid configuration: FAIRGATE_RECHECK_CRON: Deno.cron refused "0 0 3 \* \* \*"/],
  ];
  for (const [what, change, message] of cases)
    it(`[deno-deploy] ${what}: exit 2 with one line naming the variable`, async () => {
      const r = await runToExit(entry, change(base()));
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(r.stdout).toBe("");
    });

  it("[deno-deploy] control: --deny-ffi refuses the native libSQL addon, so the native-driver Deno entry cannot start", async () => {
    // If the flags did not bite, this would start (and the proof above would prove nothing). --allow-sys lets
    // the addon loader get past its libc probe, so what stops it is the FFI refusal itself.
    const r = await runToExit(["run", "--allow-sys", ...DENY_FLAGS, "worker/runtime/deno.ts"], { ...base(), FAIRGATE_DATA_DIR: "/nonexistent-fairgate-deploy-check" });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('"msg":"listening"');
    expect(r.stderr).toMatch(/Requires ffi access to "[^"]*libsql[^"]*\.node"/);
  });
});
