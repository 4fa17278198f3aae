/**
 * The Node runtime loads @libsql/client only for a database opened through it (a libsql
 * server or Turso URL, or the "client" file driver). The embedded default — a file on its
 * database thread — must not load it: it costs every gateway and gate ~10 MiB of RSS for an
 * HTTP/WebSocket stack it never uses (bench:gate, docs/scaling.md). A real node process with
 * a module resolve hook records what the main thread loads.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const HOOK = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  port.postMessage(r.url);
  return r;
}`;

const SCRIPT = (files: string) => `
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
const { port1, port2 } = new MessageChannel();
const seen = [];
port1.on("message", (u) => seen.push(u));
port1.unref();
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(HOOK)}), { data: { port: port2 }, transferList: [port2] });
const { openLibsql } = await import(${JSON.stringify(join(ROOT, "worker/runtime/node-files.ts"))});
const loaded = () => new Promise((ok) => setTimeout(() => ok(seen.some((u) => u.includes("/@libsql/client/"))), 50));
const thread = await openLibsql("file:a.db", undefined, ${JSON.stringify(files)}, "thread");
await thread.execute("SELECT 1");
const afterThread = await loaded();
thread.close();
const client = await openLibsql("file:b.db", undefined, ${JSON.stringify(files)}, "client");
await client.execute("SELECT 1");
const afterClient = await loaded();
client.close();
console.log(JSON.stringify({ afterThread, afterClient }));
`;

describe("node runtime: @libsql/client is loaded on demand", () => {
  it("an embedded file on its thread does not load it; the client driver does", () => {
    const dir = mkdtempSync(join(tmpdir(), "fairgate-lazy-client-"));
    const script = join(dir, "probe.mjs");
    writeFileSync(script, SCRIPT(dir));
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split("\n").pop()!)).toEqual({ afterThread: false, afterClient: true });
  }, 60_000);
});
