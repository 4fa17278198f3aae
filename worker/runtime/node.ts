/**
 * @module runtime/node
 * Node entry point. Everything a long-running server shares with Deno (config,
 * kernels, deps, scheduled jobs, graceful shutdown) is in server-lifecycle.ts;
 * this file holds only what is Node's own: the HTTP server (@hono/node-server),
 * the cron primitive (croner, UTC), stdout/stderr and signal hookup.
 */
import { serve } from "@hono/node-server";
import { Cron } from "croner";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "./config.js";
import { createLineBatch } from "./line-batch.js";
import { installClientErrorHandler } from "./node-client-error.js";
import { createNodePdfRenderer } from "./node-pdf.js";
import { createServerLifecycle, type RuntimeIo, type ServedHttp, type ServerLifecycle } from "./server-lifecycle.js";

export type RunningServer = ServerLifecycle;

type NodeHttpServer = ReturnType<typeof serve> & { closeIdleConnections?: () => void };

const nodeServe: RuntimeIo["serve"] = (fetch, port, hostname, log) =>
  new Promise<ServedHttp>((ok) => {
    const s: NodeHttpServer = serve({ fetch, port, hostname }, (info) =>
      ok({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            s.close(() => done());
            // Keep-alive sockets with no request in flight would otherwise hold close() open.
            s.closeIdleConnections?.();
          }),
      }),
    );
    // Parser-level rejections (oversized headers, malformed requests) answer as problem+json too.
    installClientErrorHandler(s, log);
  });

/** croner with `protect`: a run still going when the next one is due is skipped, not overlapped. */
const nodeSchedule: RuntimeIo["schedule"] = (_name, cron, fn) => {
  const job = new Cron(cron, { timezone: "UTC", protect: true }, fn);
  return { stop: () => job.stop() };
};

/** Starts the gateway from an environment map. */
export function startNodeServer(env: Record<string, string | undefined>): Promise<RunningServer> {
  const out = createLineBatch((text) => process.stdout.write(text));
  // process.exit() (shutdown, a fatal error) runs "exit" listeners synchronously: nothing queued is lost.
  process.once("exit", out.flush);
  return createServerLifecycle({
    runtime: "node",
    env,
    stdout: (line) => out.line(line),
    stderr: (text) => process.stderr.write(text),
    serve: nodeServe,
    schedule: nodeSchedule,
    pdfRenderer: createNodePdfRenderer,
  });
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
