/**
 * @module runtime/deno-deploy
 * Deno Deploy entry point (`deployctl deploy --entrypoint worker/runtime/deno-deploy.ts`;
 * locally `npm run dev:deno-deploy` or `deno task deploy:local`). The same Hono app as
 * every other runtime, under Deploy's restrictions: no native code (no FFI, no
 * Node-API addon: libSQL through `@libsql/client/web` over HTTP, the kernels from
 * the .wasm file's bytes), no file writes (control store and tenant databases by
 * URL, admin token and evidence signing key from the environment), no
 * subprocesses. Proven by running it with `--deny-ffi --deny-write --deny-run`
 * (test/e2e/deno-deploy.test.ts).
 *
 * `Deno.cron` is registered while the module is evaluated, before anything is
 * awaited: Deploy discovers schedules there. The daily recheck uses
 * FAIRGATE_RECHECK_CRON, the override-expiry sweep FAIRGATE_EXPIRY_SWEEP_CRON
 * ("off" registers none). SIGTERM/SIGINT stop a local run gracefully; Deploy
 * has no signals and stops isolates itself.
 */
import { ConfigError } from "./config.js";
import { createDenoDeployRuntime, type DenoDeployRuntime, type DeployFiles } from "./deno-deploy-deps.js";

const files: DeployFiles = {
  readBytes: (url) => Deno.readFile(url),
  readText: (url) => Deno.readTextFile(url),
  async list(url) {
    const names: string[] = [];
    for await (const e of Deno.readDir(url)) if (e.isFile) names.push(e.name);
    return names;
  },
};

/** Registers both schedules; a schedule Deno.cron refuses (e.g. six fields) is a one-line configuration error. */
function registerCrons(runtime: DenoDeployRuntime, signal: AbortSignal): void {
  const jobs = [
    ["fairness-recheck", "FAIRGATE_RECHECK_CRON", runtime.config.FAIRGATE_RECHECK_CRON, runtime.recheck],
    ["override-expiry-sweep", "FAIRGATE_EXPIRY_SWEEP_CRON", runtime.config.FAIRGATE_EXPIRY_SWEEP_CRON, runtime.sweep],
  ] as const;
  for (const [name, variable, cron, run] of jobs) {
    if (cron === "off") continue;
    try {
      Deno.cron(name, cron, { signal }, async () => {
        await run();
      });
    } catch (e) {
      throw new ConfigError(`Invalid configuration: ${variable}: Deno.cron refused "${cron}" (${(e as Error).message})`);
    }
  }
}

function start(): void {
  let runtime: DenoDeployRuntime;
  const crons = new AbortController();
  try {
    runtime = createDenoDeployRuntime({ env: Deno.env.toObject(), files, stdout: (line) => console.log(line) });
    registerCrons(runtime, crons.signal);
  } catch (e) {
    const msg = e instanceof ConfigError ? e.message : `Fairgate failed to start: ${(e as Error).message}`;
    // One line: in Deploy's logs, or on stderr locally.
    console.error(msg);
    // Nothing is served or scheduled, so the process ends with this code (Deploy reports the failed start).
    crons.abort();
    Deno.exitCode = e instanceof ConfigError ? 2 : 1;
    return;
  }
  const { config, regions, logger } = runtime;

  const server = Deno.serve(
    {
      port: config.PORT,
      hostname: config.HOST,
      onListen: ({ port }) => {
        // Logged once the isolate's state is built, so "listening" means requests are served, not queued.
        runtime.start().then(
          (s) =>
            logger.info("listening", {
              port,
              host: config.HOST,
              regions: Object.keys(regions),
              kernels: s.deps.kernels.name,
              recheckCron: config.FAIRGATE_RECHECK_CRON,
              expirySweepCron: config.FAIRGATE_EXPIRY_SWEEP_CRON,
              runtime: "deno-deploy",
            }),
          // Logged by the runtime; the next request tries again.
          () => {},
        );
      },
    },
    (req) => runtime.fetch(req),
  );

  let stopping: Promise<void> | null = null;
  const stop = (signal: string) =>
    (stopping ??= (async () => {
      crons.abort();
      await runtime.shutdown(signal, () => server.shutdown());
    })());
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    try {
      Deno.addSignalListener(sig, () => {
        stop(sig).then(
          () => Deno.exit(0),
          () => Deno.exit(1),
        );
      });
    } catch {
      // Deploy offers no signal listeners: it stops isolates itself.
    }
  }
}

start();
