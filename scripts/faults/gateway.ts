/**
 * @module scripts/faults/gateway
 * Starts the real Node gateway (`node --import tsx worker/runtime/node.ts`) as a
 * child process on a free loopback port for the fault scenarios, on a given or
 * fresh data directory, and stops it with a signal (SIGKILL included). Scripts
 * may not import test helpers, so this is the bench's own small copy.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { NODE_HEAP_FLAGS } from "../../worker/runtime/node-heap.js";

const ROOT = resolve(import.meta.dirname, "../..");
const START_TIMEOUT_MS = 30_000;

export interface BenchGateway {
  baseUrl: string;
  dataDir: string;
  adminToken: string;
  cronSecret: string;
  proc: ChildProcess;
  /** Sends `signal` (SIGTERM by default) and resolves once the process exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns the gateway; resolves once it logs "listening". Its logs are kept only for the failure message.
 * `nodeArgs` go before the entry point (e.g. `--cpu-prof`, which NODE_OPTIONS may not carry).
 */
export async function startGateway(env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<BenchGateway> {
  const dataDir = env.FAIRGATE_DATA_DIR ?? mkdtempSync(join(tmpdir(), "fairgate-faults-"));
  const adminToken = env.FAIRGATE_ADMIN_TOKEN ?? "faults-admin-token-" + crypto.randomUUID();
  const cronSecret = env.FAIRGATE_CRON_SECRET ?? "faults-cron-secret-" + crypto.randomUUID();
  const proc = spawn(process.execPath, [...NODE_HEAP_FLAGS, ...nodeArgs, "--import", "tsx", "worker/runtime/node.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      FAIRGATE_RECHECK_CRON: "off",
      FAIRGATE_EXPIRY_SWEEP_CRON: "off",
      // The scenarios measure isolation, not admission control.
      FAIRGATE_RATE_LIMIT_PER_SECOND: "0",
      FAIRGATE_BULK_RATE_LIMIT_PER_MINUTE: "0",
      ...env,
      FAIRGATE_DATA_DIR: dataDir,
      FAIRGATE_ADMIN_TOKEN: adminToken,
      FAIRGATE_CRON_SECRET: cronSecret,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const exited = new Promise<void>((ok) => proc.once("exit", () => ok()));
  const port = await new Promise<number>((ok, fail) => {
    let buf = "";
    const timer = setTimeout(() => fail(new Error("gateway did not start:\n" + logs.join("\n"))), START_TIMEOUT_MS);
    let listening = false;
    proc.stdout!.on("data", (d: Buffer) => {
      // After start-up the request logs are only drained: parsing them would take CPU from the gateway under test.
      if (listening) return;
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (logs.length < 200) logs.push(line);
        try {
          const j = JSON.parse(line) as { msg?: string; port?: number };
          if (j.msg === "listening" && j.port) {
            listening = true;
            clearTimeout(timer);
            ok(j.port);
          }
        } catch {
          /* not JSON */
        }
      }
    });
    proc.stderr!.on("data", (d: Buffer) => logs.length < 200 && logs.push("[stderr] " + d.toString()));
    proc.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`gateway exited with ${code}:\n${logs.join("\n")}`));
    });
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    adminToken,
    cronSecret,
    proc,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}
