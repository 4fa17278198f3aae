/**
 * @module runtime/deno-deploy-deps
 * Builds the gateway for Deno Deploy without native code and without writing a
 * file: configuration parsed once (URL-only, secrets required), every database
 * through `@libsql/client/web` over HTTP, the Wasm kernels compiled from the
 * bytes of wasm-core/build/kernels.wasm, the migrations and the /docs renderer
 * bundle read as text (reading the deployed files is allowed on Deploy; writing
 * is not). It takes the file reads it needs as functions, so it carries no Deno types and the main
 * typecheck covers it; the entry point (deno-deploy.ts) wires it to `Deno.serve`,
 * `Deno.cron` and the signals.
 *
 * Unlike a Worker isolate, a Deploy isolate keeps running between requests, so
 * the Node/Deno behaviour is kept: trace writes share the group commit and
 * alerts are delivered in the background (the scheduled drain is the backstop
 * for an isolate that is stopped while idle).
 */
import { createClient } from "@libsql/client/web";
import { PROBLEM_TYPE_BASE } from "../http/problem.js";
import { createWasmKernels } from "../engine/kernels/wasm.js";
import { createApp } from "../http/app.js";
import type { AppDeps } from "../http/types.js";
import { createLogger, errorFields, type Logger } from "../observability/logger.js";
import { reconcileAllAnchors } from "../services/evidence-anchors.js";
import { runScheduledSweep, runScheduledWork, type ScheduledReport, type ScheduledSweepReport } from "../services/scheduled.js";
import { type Client, type Migration, parseMigrations } from "../store/sql.js";
import { buildDeps } from "./build-deps.js";
import { deployTransportUrl, parseDenoDeployEnv, type DenoDeployConfig } from "./deno-deploy-config.js";

/** The read-only file access the entry needs (Deno.readFile, Deno.readDir on Deploy). */
export interface DeployFiles {
  readBytes(url: URL): Promise<Uint8Array<ArrayBuffer>>;
  readText(url: URL): Promise<string>;
  /** Names of the entries of a directory. */
  list(url: URL): Promise<string[]>;
}

export interface DenoDeployIo {
  env: Record<string, string | undefined>;
  files: DeployFiles;
  /** One JSON log line; console.log when absent (Deploy's log stream). */
  stdout?: (line: string) => void;
}

/** What one isolate has built: the app and its dependencies. */
export interface DeployState {
  deps: AppDeps;
  app: ReturnType<typeof createApp>;
  controlClient: Client;
}

/** The repository's kernels, relative to this source file (Deploy serves the files read-only). */
export const KERNELS_WASM_URL = new URL("../../wasm-core/build/kernels.wasm", import.meta.url);
/** Scalar's standalone browser bundle, the /docs renderer (Deploy serves node_modules read-only with the code). */
export const DOCS_BUNDLE_URL = new URL("../../node_modules/@scalar/api-reference/dist/browser/standalone.js", import.meta.url);
/** worker/store/migrations/{control,tenant}/*.sql */
export const MIGRATIONS_URL = new URL("../store/migrations/", import.meta.url);

/** Reads every migration as text (no bundler on Deploy: the .sql files are part of the deployment). */
export async function readMigrations(files: DeployFiles, dir: URL = MIGRATIONS_URL): Promise<{ control: Migration[]; tenant: Migration[] }> {
  const load = async (sub: "control" | "tenant") => {
    const base = new URL(`${sub}/`, dir);
    const names = (await files.list(base)).filter((f) => f.endsWith(".sql")).sort();
    return parseMigrations(Object.fromEntries(await Promise.all(names.map(async (f) => [f, await files.readText(new URL(f, base))] as const))));
  };
  return { control: await load("control"), tenant: await load("tenant") };
}

function openHttpClient(url: string, authToken: string | undefined): Client {
  // intMode is explicit: every integer we store fits in a JS number.
  return createClient({ url: deployTransportUrl(url), authToken, intMode: "number" });
}

/** A problem+json answer while the isolate cannot build its state (control store down): the next request tries again. */
function notReady(): Response {
  return Response.json(
    { type: PROBLEM_TYPE_BASE + "not-ready", title: "Service unavailable", status: 503, code: "not_ready", detail: "The gateway could not start; see the logs." },
    { status: 503, headers: { "content-type": "application/problem+json" } },
  );
}

/**
 * The Deploy gateway for one isolate. Parsing the configuration is synchronous
 * and throws ConfigError, so the entry can register `Deno.cron` at the top level
 * of its module (where Deploy discovers schedules) before anything is awaited;
 * the state (migrations, token hash, Wasm instance) is built on `start()` or the
 * first request, and a failed build is retried by the next.
 */
export function createDenoDeployRuntime(io: DenoDeployIo) {
  const { config, regions } = parseDenoDeployEnv(io.env);
  const logger = createLogger({ level: config.FAIRGATE_LOG_LEVEL, ...(io.stdout ? { sink: io.stdout } : {}) });
  let shuttingDown = false;
  let building: Promise<DeployState> | null = null;
  const inFlight = new Set<Promise<unknown>>();

  /** Runs a job unless shutdown has begun, so shutdown can wait for the ones in flight. */
  const track = async <T>(job: () => Promise<T>): Promise<T | undefined> => {
    if (shuttingDown) return undefined;
    const p = job();
    inFlight.add(p);
    try {
      return await p;
    } finally {
      inFlight.delete(p);
    }
  };

  async function build(): Promise<DeployState> {
    const controlClient = openHttpClient(config.FAIRGATE_CONTROL_DB_URL, config.FAIRGATE_CONTROL_DB_AUTH_TOKEN);
    try {
      const [migrations, kernels] = await Promise.all([
        readMigrations(io.files),
        io.files.readBytes(KERNELS_WASM_URL).then(
          (bytes) => WebAssembly.compile(bytes).then(createWasmKernels),
          (e) => {
            throw new Error(`Wasm kernels not readable at ${KERNELS_WASM_URL.href} (run \`npm run build:wasm\` before deploying): ${(e as Error).message}`, { cause: e });
          },
        ),
      ]);
      const deps = await buildDeps({
        config,
        regions,
        controlClient,
        openTenantClient: (t) => {
          try {
            return openHttpClient(t.dbUrl, regions[t.region]?.authToken);
          } catch (e) {
            // The request answers 503 store_unavailable, which names no cause; the reason (a file: URL) is logged here.
            logger.error("tenant database cannot be opened here", { tenantId: t.id, region: t.region, ...errorFields(e) });
            throw e;
          }
        },
        migrations,
        docsBundle: () => io.files.readText(DOCS_BUNDLE_URL),
        kernels,
        logger,
      });
      const app = createApp(deps, { isShuttingDown: () => shuttingDown });
      // A write that committed but died before its anchor moved is repaired now; a chain that disagrees with its anchor is logged.
      void track(() => reconcileAllAnchors(deps, logger).catch((e) => logger.error("evidence anchor reconciliation failed", errorFields(e))));
      return { deps, app, controlClient };
    } catch (e) {
      controlClient.close();
      throw e;
    }
  }

  const state = (): Promise<DeployState> => {
    if (!building) {
      const p = build();
      building = p;
      p.catch((e) => {
        if (building === p) building = null;
        logger.error("gateway failed to start", errorFields(e));
      });
    }
    return building;
  };

  // Cron runtimes pass no scheduled time (Deno.cron): the run is labelled by the minute it fired in.
  const firedAt = () => {
    const d = new Date();
    d.setUTCSeconds(0, 0);
    return d;
  };

  return {
    config,
    regions,
    logger,
    /** Builds the state now (at start rather than on the first request). */
    start: state,
    async fetch(req: Request): Promise<Response> {
      let s: DeployState;
      try {
        s = await state();
      } catch {
        return notReady();
      }
      return s.app.fetch(req);
    },
    /** The `Deno.cron` handler of the daily recheck (a failure is logged, then rethrown so Deploy shows the run as failed). */
    recheck: (): Promise<ScheduledReport | undefined> =>
      track(async () => {
        try {
          return await runScheduledWork((await state()).deps, firedAt(), logger, { trigger: "schedule", cron: config.FAIRGATE_RECHECK_CRON });
        } catch (e) {
          logger.error("fairness recheck failed", errorFields(e));
          throw e;
        }
      }),
    /** The `Deno.cron` handler of the override-expiry sweep. */
    sweep: (): Promise<ScheduledSweepReport | undefined> =>
      track(async () => {
        try {
          return await runScheduledSweep((await state()).deps, logger, { trigger: "schedule", cron: config.FAIRGATE_EXPIRY_SWEEP_CRON });
        } catch (e) {
          logger.error("override expiry sweep failed", errorFields(e));
          throw e;
        }
      }),
    /**
     * Graceful stop for a local `deno run` (Deploy stops isolates itself):
     * readiness fails and new requests get 503 at once, `closeServer` stops
     * accepting, in-flight requests and jobs finish within
     * FAIRGATE_SHUTDOWN_TIMEOUT_MS, then the clients close.
     */
    async shutdown(signal: string, closeServer: () => Promise<void>): Promise<void> {
      shuttingDown = true;
      logger.info("shutting down", { signal });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((ok) => (timer = setTimeout(() => ok("timeout"), config.FAIRGATE_SHUTDOWN_TIMEOUT_MS)));
      const finished = Promise.all([closeServer(), ...inFlight]).then(() => "closed" as const);
      const result = await Promise.race([finished, timeout]);
      clearTimeout(timer);
      const built = await building?.catch(() => null);
      if (built) {
        await built.deps.tenants.close();
        built.controlClient.close();
      }
      logger.info("stopped", { signal, result });
    },
  };
}
export type DenoDeployRuntime = ReturnType<typeof createDenoDeployRuntime>;
export type { DenoDeployConfig };
