/**
 * @module scripts/dev-deno-deploy
 * `npm run dev:deno-deploy`: the Deno Deploy entry (worker/runtime/deno-deploy.ts)
 * under Deploy's restrictions, against local libSQL servers. Starts two sqld
 * processes (the control store and the "default" region's tenant database) with
 * their files under $FAIRGATE_DATA_DIR/deno-deploy-dev, then `deno task
 * deploy:local` (deno.json: --deny-ffi --deny-write --deny-run --allow-net
 * --allow-env --allow-read=<repo>) listening on $PORT (default 8787).
 *
 * FAIRGATE_ADMIN_TOKEN and FAIRGATE_CRON_SECRET are passed through (a platform
 * token is generated and printed when none is set, since the entry itself
 * requires one); FAIRGATE_EVIDENCE_SIGNING_KEY likewise (a fresh key for the
 * session when unset). FAIRGATE_CONTROL_DB_URL or FAIRGATE_REGIONS, when set,
 * replace the local servers. Variables reach the entry through its environment,
 * never argv. SIGINT/SIGTERM stop the entry gracefully, then the servers.
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { prepareDevEdge } from "./dev-edge.js";

const ROOT = resolve(import.meta.dirname, "..");
const env = process.env;

const { controlUrl, regions, adminToken, evidenceKey, servers } = await prepareDevEdge(env, ROOT, "deno-deploy-dev");

const entry = spawn(join(ROOT, "node_modules/.bin/deno"), ["task", "deploy:local"], {
  cwd: ROOT,
  stdio: "inherit",
  env: {
    ...env,
    PORT: env.PORT || "8787",
    FAIRGATE_CONTROL_DB_URL: controlUrl,
    FAIRGATE_REGIONS: regions,
    FAIRGATE_ADMIN_TOKEN: adminToken,
    FAIRGATE_EVIDENCE_SIGNING_KEY: evidenceKey,
  },
});

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  if (entry.exitCode === null && entry.signalCode === null) {
    const exited = new Promise((ok) => entry.once("exit", ok));
    entry.kill("SIGTERM");
    await exited;
  }
  await Promise.all(servers.map((s) => s.stop()));
  process.exit(code);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void stop(0));
entry.on("exit", (code) => void stop(code ?? 1));
