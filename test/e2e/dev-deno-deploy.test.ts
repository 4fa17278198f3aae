/**
 * `npm run dev:deno-deploy` (scripts/dev-deno-deploy.ts) end to end: local sqld
 * servers plus the Deno Deploy entry under --deny-ffi --deny-write --deny-run on
 * PORT, the platform token and cron secret passed through from the environment,
 * the black-box demo (`npm run demo` with FAIRGATE_URL, as against `npm start`)
 * run against it unchanged, and everything stopped on SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../helpers/client.js";
import { freePort } from "../helpers/sqld.js";

const ROOT = resolve(import.meta.dirname, "../..");
let proc: ChildProcess | undefined;
const output: string[] = [];

afterAll(() => {
  if (proc && proc.exitCode === null) proc.kill("SIGKILL");
});

/** Runs the demo against `url` to its exit. */
function runDemo(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((ok) => {
    const demo = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts"], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    demo.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    demo.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    demo.on("exit", (code) => ok({ code, out }));
  });
}

describe("[deno-deploy] npm run dev:deno-deploy", () => {
  it("[deno-deploy] serves on PORT with the given tokens, runs the demo unchanged, and stops cleanly", async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "fairgate-devdd-"));
    const adminToken = "dev-admin-token-" + crypto.randomUUID();
    const cronSecret = "dev-cron-secret-" + crypto.randomUUID();
    proc = spawn(process.execPath, ["--import", "tsx", "scripts/dev-deno-deploy.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), FAIRGATE_DATA_DIR: dataDir, FAIRGATE_ADMIN_TOKEN: adminToken, FAIRGATE_CRON_SECRET: cronSecret },
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc.stdout!.on("data", (d: Buffer) => output.push(d.toString()));
    proc.stderr!.on("data", (d: Buffer) => output.push(d.toString()));
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await fetch(base + "/readyz").catch(() => null);
      if (r?.status === 200) break;
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error("dev:deno-deploy did not become ready:\n" + output.join(""));
      await new Promise((ok) => setTimeout(ok, 250));
    }
    expect(output.join("")).toContain("deno run --no-prompt --deny-ffi --deny-write --deny-run");

    const demo = await runDemo({ FAIRGATE_URL: base, FAIRGATE_ADMIN_TOKEN: adminToken, FAIRGATE_CRON_SECRET: cronSecret });
    expect(demo.code, demo.out).toBe(0);
    expect(demo.out).toContain("recommend on the paused flow → 409");
    expect(demo.out).toMatch(/"paused":\[\{"flowKey":"nbo-cards"/);
    expect(demo.out).toContain("Demo complete.");

    const cron = await createClient(base).request("GET", "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${cronSecret}` } });
    expect(cron.status).toBe(200);
    expect(cron.body.tenants).toHaveLength(1);
    expect(output.join("")).not.toContain(adminToken);
    // The entry wrote nothing: the data directory holds only the two sqld servers' directories.
    expect(readdirSync(join(dataDir, "deno-deploy-dev")).sort()).toEqual(["control", "default"]);

    const exited = new Promise<number | null>((ok) => proc!.once("exit", ok));
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output.join("")).toContain('"msg":"stopped"');
    expect(await fetch(base + "/healthz").catch(() => "refused")).toBe("refused");
  }, 120_000);
});
