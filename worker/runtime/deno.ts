/**
 * @module runtime/deno
 * Deno entry point (`npm run start:deno`, or `deno task start`): the same app
 * and environment variables as the Node runtime, served with `Deno.serve`, the
 * recheck scheduled with `Deno.cron` (needs --unstable-cron, set in deno.json),
 * and the native libSQL file driver (`@libsql/client` through Deno's npm
 * support, which loads the same Node-API addon as Node). Files are read through
 * node-files.ts and wasm-node.ts, which run unchanged on Deno's node: modules.
 */
import { resolve } from "node:path";
import { createReferenceKernels } from "../engine/kernels/reference.js";
import type { Kernels } from "../engine/kernels/types.js";
import { loadWasmKernelsFromFile } from "../engine/kernels/wasm-node.js";
import { createApp } from "../http/app.js";
import { createLogger, errorFields } from "../observability/logger.js";
import { runScheduledWork } from "../services/scheduled.js";
import { buildDeps } from "./build-deps.js";
import { ConfigError, parseEnv, regionsOf, serverEnvSchema } from "./config.js";
import { loadMigrationsFromDisk, openLibsql } from "./node-files.js";

async function main(): Promise<void> {
  const config = parseEnv(serverEnvSchema, Deno.env.toObject());
  const encoder = new TextEncoder();
  const logger = createLogger({ level: config.FAIRGATE_LOG_LEVEL, sink: (l) => Deno.stdout.writeSync(encoder.encode(l + "\n")) });
  const dataDir = resolve(config.FAIRGATE_DATA_DIR);
  const regions = regionsOf(config);
  const kernels: Kernels = config.FAIRGATE_KERNELS === "wasm" ? await loadWasmKernelsFromFile() : createReferenceKernels();
  const controlClient = await openLibsql(config.FAIRGATE_CONTROL_DB_URL ?? "file:control.db", config.FAIRGATE_CONTROL_DB_AUTH_TOKEN, dataDir);

  const deps = await buildDeps({
    config,
    regions,
    controlClient,
    openTenantClient: (t) => openLibsql(t.dbUrl, regions[t.region]?.authToken, dataDir),
    migrations: loadMigrationsFromDisk(),
    kernels,
    logger,
    // Same layout as the Node runtime, so either runtime can serve the same data directory.
    embeddedDbUrl: (id, region) => (region === "default" ? `file:tenants/${id}.db` : `file:regions/${region}/tenants/${id}.db`),
    onGeneratedAdminToken: (token) =>
      Deno.stderr.writeSync(encoder.encode(`\nFairgate generated a platform admin token. It is shown only once; store it now:\n\n  ${token}\n\n`)),
  });

  let shuttingDown = false;
  const app = createApp(deps, { isShuttingDown: () => shuttingDown });

  const stopCron = new AbortController();
  let recheckRunning: Promise<unknown> | null = null;
  if (config.FAIRGATE_RECHECK_CRON !== "off") {
    // Deno.cron schedules are UTC. It does not pass the scheduled time, so the run is keyed by the minute it fired in.
    Deno.cron("fairness-recheck", config.FAIRGATE_RECHECK_CRON, { signal: stopCron.signal }, async () => {
      const scheduled = new Date();
      scheduled.setUTCSeconds(0, 0);
      // The recheck, then a drain of every tenant's alert outbox: it retries what a restart's lost timers would not.
      recheckRunning = runScheduledWork(deps, scheduled, logger, { trigger: "schedule" }).catch((e) => logger.error("fairness recheck failed", errorFields(e)));
      await recheckRunning;
      recheckRunning = null;
    });
  }

  const listening = Promise.withResolvers<number>();
  const server = Deno.serve({ port: config.PORT, hostname: config.HOST, onListen: ({ port }) => listening.resolve(port) }, app.fetch);
  const port = await listening.promise;
  logger.info("listening", { port, host: config.HOST, dataDir, regions: Object.keys(regions), kernels: kernels.name, recheckCron: config.FAIRGATE_RECHECK_CRON, runtime: "deno" });

  let done: Promise<void> | null = null;
  const shutdown = (signal: string) =>
    (done ??= (async () => {
      shuttingDown = true;
      logger.info("shutting down", { signal });
      stopCron.abort();
      // Stop accepting; in-flight requests finish (their trace writes are awaited by the handlers).
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((ok) => (timer = setTimeout(() => ok("timeout"), config.FAIRGATE_SHUTDOWN_TIMEOUT_MS)));
      const r = await Promise.race([Promise.all([server.shutdown(), recheckRunning]).then(() => "closed" as const), timeout]);
      clearTimeout(timer);
      await deps.tenants.close();
      controlClient.close();
      logger.info("stopped", { signal, result: r });
    })());
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(sig, () => {
      shutdown(sig).then(
        () => Deno.exit(0),
        () => Deno.exit(1),
      );
    });
  }
}

main().catch((e) => {
  const msg = e instanceof ConfigError ? e.message : `Fairgate failed to start: ${(e as Error).message}`;
  Deno.stderr.writeSync(new TextEncoder().encode(msg + "\n"));
  Deno.exit(e instanceof ConfigError ? 2 : 1);
});
