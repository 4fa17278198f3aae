/**
 * @module scripts/bench-recheck
 * `npm run bench:recheck -- [--tenants 1000] [--flows 5] [--traces 10000] [--days 7]
 * [--concurrency 1,4,8] [--driver thread]`: the daily run (services/scheduled: every
 * tenant's recheck, drift check and retention through the bounded pool, then the outbox
 * drain) over `tenants` embedded tenant databases with `flows` active flows of `traces`
 * packed traces each (fair traffic, so every run evaluates every flow and pauses none),
 * once per concurrency value. Prints one JSON object per run; the last line is
 * `{tenants, evaluations, wallMs, tenantP50Ms, tenantP99Ms, concurrency, setupMs, runs}`
 * with the figures of the last concurrency value at the top level.
 *
 * Setup, fast and through the real code: a template tenant gets its traces through the
 * trace store and packed into segments by the real packer; every tenant (the template
 * included) is created like POST /admin/tenants (a copy of an empty migrated database
 * file, then the registry's provision and the control store), gets its policy and its
 * flows created and published through the services (audit chain and anchors as in
 * production), and then the template's segment rows (columns, summaries, deltas) copied
 * in one ATTACH + INSERT … SELECT per table with its own tenant id — segments without
 * their source trace rows, which the gate does not read.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateSeed } from "../worker/domain/chain-sign.js";
import { flowDefinitionSchema } from "../worker/domain/flow.js";
import { fairnessPolicySchema } from "../worker/domain/policy.js";
import { loadWasmKernelsFromFile } from "../worker/engine/kernels/wasm-node.js";
import type { AppDeps } from "../worker/http/types.js";
import { createLogger } from "../worker/observability/logger.js";
import { buildDeps } from "../worker/runtime/build-deps.js";
import { parseEnv, regionsOf, serverEnvSchema } from "../worker/runtime/config.js";
import { loadMigrationsFromDisk, openLibsql, readDocsBundleFromDisk } from "../worker/runtime/node-files.js";
import type { Actor } from "../worker/services/context.js";
import { createFlow } from "../worker/services/flows.js";
import { putSettings } from "../worker/services/governance.js";
import { packTraces } from "../worker/services/pack.js";
import { publishFlow } from "../worker/services/publish.js";
import { runPool } from "../worker/services/recheck-pool.js";
import { runScheduledWork } from "../worker/services/scheduled.js";
import type { TenantRecord } from "../worker/services/store-types.js";
import { migrate } from "../worker/store/sql.js";
import { mixHash as mix } from "./seeded-random.js";

const { values: args } = parseArgs({
  options: {
    tenants: { type: "string", default: "1000" },
    flows: { type: "string", default: "5" },
    traces: { type: "string", default: "10000" },
    days: { type: "string", default: "7" },
    concurrency: { type: "string", default: "1,4,8" },
    driver: { type: "string", default: "thread" },
  },
});
const TENANTS = Number(args.tenants);
const FLOWS = Number(args.flows);
const TRACES = Number(args.traces);
const DAYS = Number(args.days);
const CONCURRENCY = args.concurrency!.split(",").map(Number);
const DAY_MS = 86_400_000;
const BANDS = ["18-24", "25-44", "45-64", "65+"];
const REGIONS = ["north", "south", "east", "west"];
const ACTOR: Actor = { name: "bench@fairgate.test", keyId: null };
const SEGMENT_TABLE = /^(trace_segments|segment_.+)$/;

const log = (msg: string, fields: Record<string, unknown> = {}) => process.stderr.write(`${msg} ${JSON.stringify(fields)}\n`);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const policy = fairnessPolicySchema.parse({
  enabled: true,
  sensitiveAttributes: ["ageBand", "region"],
  thresholds: { disparateImpactRatio: 0.8 },
  minSampleSize: 30,
  windowDays: DAYS + 1,
  continuousRecheck: true,
});
const definition = flowDefinitionSchema.parse({
  offers: [{ id: "card", eligibility: [], model: { intercept: 0, numeric: {}, categorical: {} }, minPropensity: 0.5 }],
  maxOffers: 1,
});

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "fairgate-bench-recheck-"));
  const config = parseEnv(serverEnvSchema, {
    FAIRGATE_DATA_DIR: dataDir,
    FAIRGATE_ADMIN_TOKEN: "bench-admin-token-0123456789",
    FAIRGATE_EVIDENCE_SIGNING_KEY: generateSeed(),
    FAIRGATE_FILE_DRIVER: args.driver,
    FAIRGATE_LOG_LEVEL: "error",
    // The setup's control-store writes queue behind each other (every chained write advances the
    // tenant's anchor there); on a loaded machine the default 5 s deadline fails some of them.
    FAIRGATE_STORE_TIMEOUT_MS: "60000",
  });
  const regions = regionsOf(config);
  const open = (url: string) => openLibsql(url, undefined, dataDir, config.FAIRGATE_FILE_DRIVER);
  const migrations = loadMigrationsFromDisk();
  const deps: AppDeps = await buildDeps({
    config,
    regions,
    controlClient: await open("file:control.db"),
    openTenantClient: (t) => open(t.dbUrl),
    migrations,
    docsBundle: () => readDocsBundleFromDisk(),
    kernels: await loadWasmKernelsFromFile(),
    logger: createLogger({ level: "error", sink: (l) => process.stderr.write(l + "\n") }),
    embeddedDbUrl: (id) => `file:tenants/${id}.db`,
  });
  try {
    const setupStarted = performance.now();
    mkdirSync(join(dataDir, "tenants"), { recursive: true });
    // An empty database with every tenant migration applied: each tenant starts as a copy of it.
    const emptyPath = join(dataDir, "empty-tenant.db");
    const empty = await open("file:empty-tenant.db");
    await migrate(empty, migrations.tenant);
    empty.close();

    const now = Date.now();
    const createTenant = async (i: number): Promise<TenantRecord> => {
      const id = crypto.randomUUID();
      const tenant: TenantRecord = { id, name: `bench-${i}`, region: "default", dbUrl: `file:tenants/${id}.db`, createdAt: new Date().toISOString() };
      copyFileSync(emptyPath, join(dataDir, "tenants", `${id}.db`));
      await deps.tenants.provision(tenant);
      await deps.control.createTenant(tenant);
      const { store } = await deps.tenants.get(tenant);
      await putSettings(deps, store, ACTOR, policy);
      for (let f = 0; f < FLOWS; f++) {
        const flow = await createFlow(deps, store, ACTOR, { key: `flow-${f}`, name: `Flow ${f}`, definition });
        // Published before its traces exist: the gate skips, the flow is active.
        await publishFlow(deps, store, ACTOR, flow.id);
      }
      return tenant;
    };

    // The template: real traces through the trace store, packed by the real packer.
    const template = await createTenant(0);
    const templateStore = (await deps.tenants.get(template)).store;
    for (let f = 0; f < FLOWS; f++) {
      const batch = [];
      for (let j = 0; j < TRACES; j++) {
        const k = f * TRACES + j;
        // Spread over the last `days` complete UTC days, so the packer takes them all.
        const day = Math.floor(now / DAY_MS) - 1 - (j % DAYS);
        batch.push({
          trace: {
            id: crypto.randomUUID(),
            flowKey: `flow-${f}`,
            version: 1,
            customerId: `c-${k}`,
            attributes: { ageBand: BANDS[mix(k, 1) & 3]!, region: REGIONS[mix(k, 2) & 3]! },
            // Fair: the same 40 % selection rate in every group.
            selected: mix(k, 3) % 100 < 40,
            score: (mix(k, 6) % 1000) / 1000,
            offers: null,
            converted: mix(k, 4) % 5 === 0 ? mix(k, 5) % 10 < 4 : null,
            source: "bulk" as const,
            createdAt: day * DAY_MS + (mix(k, 7) % DAY_MS),
          },
          alongside: [],
        });
      }
      await templateStore.traces.commit(batch);
    }
    const packed = await packTraces(deps, templateStore);
    const templateMs = Math.round(performance.now() - setupStarted);
    log("template packed", { ...packed, templateMs });

    // The segment tables the template has (whatever migrations are applied), and their columns.
    const Database = createRequire(import.meta.url)("libsql") as new (path: string) => {
      prepare(sql: string): { all(...a: unknown[]): Record<string, unknown>[]; run(...a: unknown[]): unknown };
      exec(sql: string): void;
      close(): void;
    };
    const templatePath = join(dataDir, "tenants", `${template.id}.db`);
    const probe = new Database(templatePath);
    const tables = probe
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((r) => String(r.name))
      .filter((n) => SEGMENT_TABLE.test(n))
      // Parents before the rows that reference them.
      .sort((a, b) => Number(b === "trace_segments") - Number(a === "trace_segments"));
    const columns = new Map(tables.map((t) => [t, probe.prepare(`PRAGMA table_info("${t}")`).all().map((c) => String(c.name))]));
    probe.close();
    const copySegments = (tenantId: string) => {
      const db = new Database(join(dataDir, "tenants", `${tenantId}.db`));
      try {
        db.exec("PRAGMA busy_timeout = 10000");
        db.exec(`ATTACH DATABASE '${templatePath.replaceAll("'", "''")}' AS tpl`);
        db.exec("BEGIN IMMEDIATE");
        for (const t of tables) {
          const cols = columns.get(t)!;
          const select = cols.map((c) => (c === "tenant_id" ? "?" : `"${c}"`)).join(", ");
          db.prepare(`INSERT INTO main."${t}" (${cols.map((c) => `"${c}"`).join(", ")}) SELECT ${select} FROM tpl."${t}"`).run(tenantId);
        }
        db.exec("COMMIT");
        db.exec("DETACH DATABASE tpl");
      } finally {
        db.close();
      }
    };

    const others = Array.from({ length: TENANTS - 1 }, (_, i) => i + 1);
    let done = 1;
    const created = await runPool(others, { concurrency: 4, budgetMs: null }, async (i) => {
      const t = await createTenant(i);
      copySegments(t.id);
      if (++done % 100 === 0) log("tenants set up", { done, ms: Math.round(performance.now() - setupStarted) });
      return t;
    });
    const failed = created.filter((o) => o.kind !== "done");
    if (failed.length) throw new Error(`${failed.length} tenants failed to set up: ${String(failed[0]!.kind === "error" ? failed[0]!.error : "timed out")}`);
    const setupMs = Math.round(performance.now() - setupStarted);
    log("setup done", { tenants: TENANTS, flows: FLOWS, traces: TRACES, templateMs, setupMs, tables });

    const runs = [];
    for (const concurrency of CONCURRENCY) {
      const runDeps: AppDeps = { ...deps, recheckPool: { concurrency, budgetMs: 600_000 } };
      const started = performance.now();
      const report = await runScheduledWork(runDeps, new Date(), runDeps.logger, { trigger: "bench" });
      const wallMs = Math.round(performance.now() - started);
      const evaluations = report.tenants.reduce((n, t) => n + t.flowsChecked, 0);
      const paused = report.tenants.reduce((n, t) => n + t.paused.length, 0);
      if (report.failedTenants || evaluations !== TENANTS * FLOWS || paused)
        throw new Error(`run at concurrency ${concurrency}: ${report.failedTenants} failed tenants, ${evaluations} evaluations, ${paused} paused`);
      const times = report.tenants.map((t) => t.elapsedMs ?? 0).sort((a, b) => a - b);
      const run = { tenants: TENANTS, evaluations, wallMs, tenantP50Ms: quantile(times, 0.5), tenantP99Ms: quantile(times, 0.99), concurrency };
      runs.push(run);
      console.log(JSON.stringify(run));
    }
    const last = runs[runs.length - 1]!;
    console.log(JSON.stringify({ ...last, flows: FLOWS, tracesPerFlow: TRACES, setupMs, templateMs, driver: config.FAIRGATE_FILE_DRIVER, runs }));
  } finally {
    await deps.tenants.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
// The control store's thread would keep the process alive.
process.exit(0);
