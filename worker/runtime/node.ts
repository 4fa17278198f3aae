/**
 * @module runtime/node
 * Node entry point: parse env once, build dependencies (embedded libSQL files by
 * default), serve the app, run the recheck (then an alert-outbox drain) on its
 * cron schedule, and shut down gracefully (stop accepting, finish in-flight
 * requests and queued trace writes).
 */
import { serve } from "@hono/node-server";
import { Cron } from "croner";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createReferenceKernels } from "../engine/kernels/reference.js";
import type { Kernels } from "../engine/kernels/types.js";
import { loadWasmKernelsFromFile } from "../engine/kernels/wasm-node.js";
import { createApp } from "../http/app.js";
import type { AppDeps } from "../http/types.js";
import { createLogger, errorFields } from "../observability/logger.js";
import { runScheduledWork } from "../services/scheduled.js";
import { buildDeps } from "./build-deps.js";
import { ConfigError, parseEnv, regionsOf, serverEnvSchema } from "./config.js";
import { loadMigrationsFromDisk, openLibsql } from "./node-files.js";

export interface RunningServer {
  port: number;
  deps: AppDeps;
  shutdown(signal?: string): Promise<void>;
}

/** Starts the gateway from an environment map. */
export async function startNodeServer(env: Record<string, string | undefined>): Promise<RunningServer> {
  const config = parseEnv(serverEnvSchema, env);
  const logger = createLogger({ level: config.FAIRGATE_LOG_LEVEL, sink: (l) => process.stdout.write(l + "\n") });
  const dataDir = resolve(config.FAIRGATE_DATA_DIR);
  const regions = regionsOf(config);
  const kernels: Kernels = config.FAIRGATE_KERNELS === "wasm" ? await loadWasmKernelsFromFile() : createReferenceKernels();
  const controlClient = await openLibsql(config.FAIRGATE_CONTROL_DB_URL ?? "file:control.db", config.FAIRGATE_CONTROL_DB_AUTH_TOKEN, dataDir, config.FAIRGATE_FILE_DRIVER);

  const deps = await buildDeps({
    config,
    regions,
    controlClient,
    openTenantClient: (t) => openLibsql(t.dbUrl, regions[t.region]?.authToken, dataDir, config.FAIRGATE_FILE_DRIVER),
    migrations: loadMigrationsFromDisk(),
    kernels,
    logger,
    embeddedDbUrl: (id, region) => (region === "default" ? `file:tenants/${id}.db` : `file:regions/${region}/tenants/${id}.db`),
    onGeneratedAdminToken: (token) =>
      process.stderr.write(`\nFairgate generated a platform admin token. It is shown only once; store it now:\n\n  ${token}\n\n`),
  });

  let shuttingDown = false;
  const app = createApp(deps, { isShuttingDown: () => shuttingDown });

  let cron: Cron | null = null;
  let recheckRunning: Promise<unknown> | null = null;
  if (config.FAIRGATE_RECHECK_CRON !== "off") {
    cron = new Cron(config.FAIRGATE_RECHECK_CRON, { timezone: "UTC", protect: true }, async () => {
      const scheduled = new Date();
      scheduled.setUTCSeconds(0, 0);
      // The recheck, then a drain of every tenant's alert outbox: it retries what a restart's lost timers would not.
      recheckRunning = runScheduledWork(deps, scheduled, logger, { trigger: "schedule" }).catch((e) => logger.error("fairness recheck failed", errorFields(e)));
      await recheckRunning;
      recheckRunning = null;
    });
  }

  const server = await new Promise<{ port: number; close: (cb: (err?: Error) => void) => void; closeIdleConnections?: () => void }>((ok) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => ok(Object.assign(s, { port: info.port }) as never));
  });
  logger.info("listening", { port: server.port, host: config.HOST, dataDir, regions: Object.keys(regions), kernels: kernels.name, recheckCron: config.FAIRGATE_RECHECK_CRON });

  let done: Promise<void> | null = null;
  const shutdown = (signal = "shutdown") =>
    (done ??= (async () => {
      shuttingDown = true;
      logger.info("shutting down", { signal });
      cron?.stop();
      // Stop accepting; in-flight requests finish (their trace writes are awaited by the handlers).
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      server.closeIdleConnections?.();
      const timeout = new Promise<"timeout">((ok) => setTimeout(() => ok("timeout"), config.FAIRGATE_SHUTDOWN_TIMEOUT_MS).unref());
      const r = await Promise.race([Promise.all([closed, recheckRunning]).then(() => "closed" as const), timeout]);
      await deps.tenants.close();
      controlClient.close();
      logger.info("stopped", { signal, result: r });
    })());
  return { port: server.port, deps, shutdown };
}

async function main() {
  let running: RunningServer;
  try {
    running = await startNodeServer(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(e.message + "\n");
      process.exit(2);
    }
    process.stderr.write(`Fairgate failed to start: ${(e as Error).message}\n`);
    process.exit(1);
  }
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.once(sig, () => {
      running.shutdown(sig).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) void main();
