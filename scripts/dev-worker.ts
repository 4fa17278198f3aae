/**
 * @module scripts/dev-worker
 * `npm run dev:worker`: the gateway on the local Workers runtime (wrangler dev)
 * against local libSQL servers. Starts two sqld processes (one database each:
 * the control store and the "default" region's tenant database) with their
 * files under $FAIRGATE_DATA_DIR/worker-dev, then `wrangler dev` on $PORT
 * (default 8787) with --test-scheduled, so GET /__scheduled fires the cron.
 *
 * FAIRGATE_ADMIN_TOKEN and FAIRGATE_CRON_SECRET are passed through from the
 * environment (a platform token is generated and printed when none is set).
 * FAIRGATE_CONTROL_DB_URL or FAIRGATE_REGIONS, when set, replace the local
 * servers. Variables reach the Worker through a 0600 env file, not argv.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { prepareDevEdge } from "./dev-edge.js";

const ROOT = resolve(import.meta.dirname, "..");
const env = process.env;
const port = env.PORT || "8787";

const { dataDir, controlUrl, regions, adminToken, evidenceKey, servers } = await prepareDevEdge(env, ROOT, "worker-dev");

const vars: Record<string, string | undefined> = {
  FAIRGATE_CONTROL_DB_URL: controlUrl,
  FAIRGATE_CONTROL_DB_AUTH_TOKEN: env.FAIRGATE_CONTROL_DB_AUTH_TOKEN,
  FAIRGATE_REGIONS: regions,
  FAIRGATE_DEFAULT_REGION: env.FAIRGATE_DEFAULT_REGION,
  FAIRGATE_ADMIN_TOKEN: adminToken,
  FAIRGATE_CRON_SECRET: env.FAIRGATE_CRON_SECRET,
  FAIRGATE_EVIDENCE_SIGNING_KEY: evidenceKey,
  FAIRGATE_LOG_LEVEL: env.FAIRGATE_LOG_LEVEL,
};
const envFile = join(dataDir, "wrangler-dev.env");
mkdirSync(dataDir, { recursive: true });
writeFileSync(
  envFile,
  Object.entries(vars)
    .filter(([, v]) => v)
    // Single quotes: dotenv keeps the value literally (JSON's double quotes survive).
    .map(([k, v]) => {
      if (/['\n]/.test(v!)) throw new Error(`${k} must not contain a single quote or newline`);
      return `${k}='${v}'`;
    })
    .join("\n") + "\n",
  { mode: 0o600 },
);

const wrangler = spawn(
  join(ROOT, "node_modules/.bin/wrangler"),
  ["dev", "--ip", env.HOST || "127.0.0.1", "--port", port, "--test-scheduled", "--env-file", envFile, "--persist-to", join(dataDir, "wrangler-state")],
  // Miniflare would fetch a Request.cf sample from Cloudflare first; the placeholder is fine locally.
  { cwd: ROOT, stdio: "inherit", env: { ...env, CLOUDFLARE_CF_FETCH_ENABLED: env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false" } },
);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  if (wrangler.exitCode === null) {
    const exited = new Promise((ok) => wrangler.once("exit", ok));
    wrangler.kill("SIGTERM");
    await exited;
  }
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(envFile, { force: true });
  process.exit(code);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 1));
