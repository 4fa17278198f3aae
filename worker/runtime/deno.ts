/**
 * @module runtime/deno
 * Deno entry point (`npm run start:deno`, or `deno task start`). Everything a
 * long-running server shares with Node (config, kernels, deps, scheduled jobs,
 * graceful shutdown) is in server-lifecycle.ts, whose file and Wasm loading run
 * unchanged on Deno's node: modules; this file holds only what is Deno's own:
 * `Deno.serve`, `Deno.cron` (needs --unstable-cron, set in deno.json), the
 * stdout/stderr writers and signal hookup.
 */
import { ConfigError } from "./config.js";
import { createServerLifecycle, type RuntimeIo } from "./server-lifecycle.js";

const encoder = new TextEncoder();

const denoServe: RuntimeIo["serve"] = async (fetch, port, hostname) => {
  const listening = Promise.withResolvers<number>();
  const server = Deno.serve({ port, hostname, onListen: ({ port }) => listening.resolve(port) }, fetch);
  return { port: await listening.promise, close: () => server.shutdown() };
};

/** Deno.cron schedules are UTC; aborting the signal unregisters the schedule. */
const denoSchedule: RuntimeIo["schedule"] = (name, cron, fn) => {
  const stop = new AbortController();
  Deno.cron(name, cron, { signal: stop.signal }, fn);
  return { stop: () => stop.abort() };
};

async function main(): Promise<void> {
  const running = await createServerLifecycle({
    runtime: "deno",
    env: Deno.env.toObject(),
    stdout: (line) => Deno.stdout.writeSync(encoder.encode(line + "\n")),
    stderr: (text) => Deno.stderr.writeSync(encoder.encode(text)),
    serve: denoServe,
    schedule: denoSchedule,
  });
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(sig, () => {
      running.shutdown(sig).then(
        () => Deno.exit(0),
        () => Deno.exit(1),
      );
    });
  }
}

main().catch((e) => {
  const msg = e instanceof ConfigError ? e.message : `Fairgate failed to start: ${(e as Error).message}`;
  Deno.stderr.writeSync(encoder.encode(msg + "\n"));
  Deno.exit(e instanceof ConfigError ? 2 : 1);
});
