/**
 * @module runtime/server-lifecycle
 * The life of a long-running gateway process, shared by the Node and Deno
 * entry points so they cannot drift apart: parse the environment, choose the
 * kernels, open the stores and build the dependencies, report a generated
 * platform token once, serve, run the scheduled jobs (the daily recheck and the
 * override-expiry sweep) and shut down gracefully. A runtime supplies only what
 * is truly its own: the serve primitive, the cron primitive and the writers for
 * stdout/stderr (signal hookup stays in the entry point).
 */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { createReferenceKernels } from "../engine/kernels/reference.js";
import type { Kernels } from "../engine/kernels/types.js";
import { loadWasmKernelsFromFile } from "../engine/kernels/wasm-node.js";
import { createApp } from "../http/app.js";
import type { AppDeps } from "../http/types.js";
import type { PdfRenderer } from "../report/pdf.js";
import { createLogger, errorFields, type Logger } from "../observability/logger.js";
import { runScheduledSweep, runScheduledWork } from "../services/scheduled.js";
import { buildDeps } from "./build-deps.js";
import { parseEnv, regionsOf, serverEnvSchema, type ServerConfig } from "./config.js";
import { generateSeed } from "../domain/chain-sign.js";
import { reconcileAllAnchors } from "../services/evidence-anchors.js";
import { loadMigrationsFromDisk, loadOrCreateSecretFile, openLibsql, readDocsBundleFromDisk } from "./node-files.js";

/** A listening server as the lifecycle needs it. */
export interface ServedHttp {
  port: number;
  /** Stops accepting and resolves once in-flight requests have finished. */
  close(): Promise<void>;
}

/** A registered schedule; `stop()` means no further runs start. */
export interface ScheduleHandle {
  stop(): void;
}

/** What a runtime provides. */
export interface RuntimeIo {
  /** Named in the "listening" log line. */
  runtime: "node" | "deno";
  env: Record<string, string | undefined>;
  /** One JSON log line (without its newline). */
  stdout(line: string): void;
  /** Free text for a person at the terminal (the generated token). */
  stderr(text: string): void;
  /** Serves `fetch` on host:port (port 0 = any free port); `log` is for the runtime's own connection-level events. */
  serve(fetch: (req: Request) => Response | Promise<Response>, port: number, hostname: string, log: Logger): Promise<ServedHttp>;
  /** Runs `fn` on a UTC cron expression; the runtime's scheduler guarantees nothing about overlap. */
  schedule(name: string, cron: string, fn: () => Promise<void>): ScheduleHandle;
  /** The runtime's PDF renderer (Node: headless Chromium); absent or null → report.pdf is 501. May throw ConfigError. */
  pdfRenderer?(config: ServerConfig, logger: Logger): PdfRenderer | null;
}

export interface ServerLifecycle {
  port: number;
  deps: AppDeps;
  config: ServerConfig;
  logger: Logger;
  /** Idempotent: every call returns the same shutdown. */
  shutdown(signal?: string): Promise<void>;
}

/** SHA-256 hex of a key: the same digest as WebCrypto's, without a thread-pool job and a promise per request. */
export const syncSha256Hex = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

const tokenNotice = (token: string) => `\nFairgate generated a platform admin token. It is shown only once; store it now:\n\n  ${token}\n\n`;

const evidenceKeyNotice = (publicKey: string, where: string) =>
  `\nFairgate generated an Ed25519 evidence signing key at ${where} (mode 0600). Back it up: signed chain heads can only be\nextended with it. Its public key (also at GET /api/v1/evidence/public-key):\n\n  ${publicKey}\n\n`;

/** Starts the gateway on a runtime; throws ConfigError for a bad environment. */
export async function createServerLifecycle(io: RuntimeIo): Promise<ServerLifecycle> {
  const config = parseEnv(serverEnvSchema, io.env);
  const logger = createLogger({ level: config.FAIRGATE_LOG_LEVEL, sink: io.stdout });
  const dataDir = resolve(config.FAIRGATE_DATA_DIR);
  const regions = regionsOf(config);
  // Before any store opens: a bad FAIRGATE_CHROMIUM_PATH stops the start like any other bad variable.
  const pdfRenderer = io.pdfRenderer?.(config, logger) ?? null;
  const kernels: Kernels = config.FAIRGATE_KERNELS === "wasm" ? await loadWasmKernelsFromFile() : createReferenceKernels();
  const open = (url: string, authToken: string | undefined) => openLibsql(url, authToken, dataDir, config.FAIRGATE_FILE_DRIVER);
  const controlClient = await open(config.FAIRGATE_CONTROL_DB_URL ?? "file:control.db", config.FAIRGATE_CONTROL_DB_AUTH_TOKEN);

  const deps = await buildDeps({
    config,
    regions,
    controlClient,
    openTenantClient: (t) => open(t.dbUrl, regions[t.region]?.authToken),
    migrations: loadMigrationsFromDisk(),
    docsBundle: () => readDocsBundleFromDisk(),
    kernels,
    logger,
    // One layout for both runtimes, so either can serve the same data directory.
    embeddedDbUrl: (id, region) => (region === "default" ? `file:tenants/${id}.db` : `file:regions/${region}/tenants/${id}.db`),
    onGeneratedAdminToken: (token) => io.stderr(tokenNotice(token)),
    loadOrCreateEvidenceKey: () => loadOrCreateSecretFile(join(dataDir, "evidence-signing.key"), generateSeed),
    onGeneratedEvidenceKey: (publicKey, where) => io.stderr(evidenceKeyNotice(publicKey, where)),
    hashApiKey: syncSha256Hex,
    pdfRenderer,
  });

  let shuttingDown = false;
  const app = createApp(deps, { isShuttingDown: () => shuttingDown });

  // Jobs in flight, so shutdown can wait for them; a job never starts once shutdown has begun.
  const inFlight = new Set<Promise<unknown>>();
  const track = (job: () => Promise<unknown>) => async () => {
    if (shuttingDown) return;
    const p = job();
    inFlight.add(p);
    try {
      await p;
    } finally {
      inFlight.delete(p);
    }
  };
  // Cron runtimes pass no scheduled time (Deno) or a drifting one: the run is labelled by the minute it fired in.
  const firedAt = () => {
    const d = new Date();
    d.setUTCSeconds(0, 0);
    return d;
  };
  const schedules: ScheduleHandle[] = [];
  if (config.FAIRGATE_RECHECK_CRON !== "off")
    schedules.push(
      io.schedule(
        "fairness-recheck",
        config.FAIRGATE_RECHECK_CRON,
        track(() => runScheduledWork(deps, firedAt(), logger, { trigger: "schedule" }).catch((e) => logger.error("fairness recheck failed", errorFields(e)))),
      ),
    );
  if (config.FAIRGATE_EXPIRY_SWEEP_CRON !== "off")
    schedules.push(
      io.schedule(
        "override-expiry-sweep",
        config.FAIRGATE_EXPIRY_SWEEP_CRON,
        track(() => runScheduledSweep(deps, logger, { trigger: "schedule" }).catch((e) => logger.error("override expiry sweep failed", errorFields(e)))),
      ),
    );

  // A write that committed but died before its anchor moved is repaired now; a chain that disagrees with its anchor is logged.
  void track(() => reconcileAllAnchors(deps, logger).catch((e) => logger.error("evidence anchor reconciliation failed", errorFields(e))))();

  const server = await io.serve(app.fetch, config.PORT, config.HOST, logger);
  logger.info("listening", {
    port: server.port,
    host: config.HOST,
    dataDir,
    regions: Object.keys(regions),
    kernels: kernels.name,
    recheckCron: config.FAIRGATE_RECHECK_CRON,
    expirySweepCron: config.FAIRGATE_EXPIRY_SWEEP_CRON,
    runtime: io.runtime,
  });

  let done: Promise<void> | null = null;
  const shutdown = (signal = "shutdown") =>
    (done ??= (async () => {
      shuttingDown = true;
      logger.info("shutting down", { signal });
      for (const s of schedules) s.stop();
      // Stop accepting; in-flight requests finish (their trace writes are awaited by the handlers), and so do running jobs.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((ok) => (timer = setTimeout(() => ok("timeout"), config.FAIRGATE_SHUTDOWN_TIMEOUT_MS)));
      const finished = Promise.all([server.close(), ...inFlight]).then(() => "closed" as const);
      const result = await Promise.race([finished, timeout]);
      clearTimeout(timer);
      await deps.tenants.close();
      await pdfRenderer?.close();
      controlClient.close();
      logger.info("stopped", { signal, result });
    })());

  return { port: server.port, deps, config, logger, shutdown };
}
