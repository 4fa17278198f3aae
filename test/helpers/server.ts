/**
 * Starts the real Node gateway as a child process (`tsx worker/runtime/node.ts`)
 * on a free port with a fresh data directory, and stops it with SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface SpawnedServer {
  baseUrl: string;
  dataDir: string;
  adminToken: string;
  cronSecret: string;
  logs: string[];
  proc: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const ROOT = resolve(import.meta.dirname, "../..");

/** Spawns the Node gateway and resolves once it logs "listening". */
export function spawnNodeServer(env: Record<string, string> = {}): Promise<SpawnedServer> {
  return spawnGateway(process.execPath, ["--import", "tsx", "worker/runtime/node.ts"], env);
}

/** Spawns `command args…` (any runtime's entry point) from the repo root and resolves once it logs "listening". */
export async function spawnGateway(command: string, args: string[], env: Record<string, string> = {}): Promise<SpawnedServer> {
  const dataDir = env.FAIRGATE_DATA_DIR ?? mkdtempSync(join(tmpdir(), "fairgate-e2e-"));
  const adminToken = env.FAIRGATE_ADMIN_TOKEN ?? "test-admin-token-" + crypto.randomUUID();
  const cronSecret = env.FAIRGATE_CRON_SECRET ?? "test-cron-secret-" + crypto.randomUUID();
  const proc = spawn(command, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      FAIRGATE_DATA_DIR: dataDir,
      FAIRGATE_ADMIN_TOKEN: adminToken,
      FAIRGATE_CRON_SECRET: cronSecret,
      FAIRGATE_RECHECK_CRON: "off",
      // Scheduled jobs fire only where a test asks for them, so what a test triggers is all that runs.
      FAIRGATE_EXPIRY_SWEEP_CRON: "off",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const port = await new Promise<number>((ok, fail) => {
    let buf = "";
    const timer = setTimeout(() => fail(new Error("server did not start:\n" + logs.join("\n"))), 30_000);
    proc.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        try {
          const j = JSON.parse(line) as { msg?: string; port?: number };
          if (j.msg === "listening" && j.port) {
            clearTimeout(timer);
            ok(j.port);
          }
        } catch {
          /* not JSON: keep it in logs */
        }
      }
    });
    proc.stderr!.on("data", (d: Buffer) => logs.push("[stderr] " + d.toString()));
    proc.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code}:\n${logs.join("\n")}`));
    });
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    adminToken,
    cronSecret,
    logs,
    proc,
    stop(signal = "SIGTERM") {
      if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
      return new Promise((ok) => {
        proc.once("exit", (code) => ok(code));
        proc.kill(signal);
      });
    },
  };
}
