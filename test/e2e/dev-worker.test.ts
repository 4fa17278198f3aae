/**
 * `npm run dev:worker` (scripts/dev-worker.ts) end to end: local sqld servers plus
 * `wrangler dev` on PORT, the platform token and cron secret passed through from
 * the environment, the cron fired through wrangler's test-scheduled route, and
 * everything stopped on SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../helpers/client.js";
import { freePort } from "../helpers/sqld.js";

const ROOT = resolve(import.meta.dirname, "../..");
let proc: ChildProcess | undefined;
const output: string[] = [];

afterAll(() => {
  // A failed run never sent SIGTERM: kill the script's whole process group, so its sqld
  // servers and wrangler do not outlive the test (SIGKILL of the script alone orphans them).
  if (proc?.pid && proc.exitCode === null) process.kill(-proc.pid, "SIGKILL");
});

describe("[worker] npm run dev:worker", () => {
  it("[worker] serves on PORT with the given tokens, fires the cron, and stops cleanly", async () => {
    const port = await freePort();
    const adminToken = "dev-admin-token-" + crypto.randomUUID();
    const cronSecret = "dev-cron-secret-" + crypto.randomUUID();
    proc = spawn(process.execPath, ["--import", "tsx", "scripts/dev-worker.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), FAIRGATE_DATA_DIR: mkdtempSync(join(tmpdir(), "fairgate-devw-")), FAIRGATE_ADMIN_TOKEN: adminToken, FAIRGATE_CRON_SECRET: cronSecret, WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group (see afterAll).
      detached: true,
    });
    proc.stdout!.on("data", (d: Buffer) => output.push(d.toString()));
    proc.stderr!.on("data", (d: Buffer) => output.push(d.toString()));
    const base = `http://127.0.0.1:${port}`;
    const http = createClient(base);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await fetch(base + "/readyz").catch(() => null);
      if (r?.status === 200) break;
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error("dev:worker did not become ready:\n" + output.join(""));
      await new Promise((ok) => setTimeout(ok, 250));
    }
    expect((await http.post("/api/v1/admin/tenants", adminToken, { name: "dev" })).status).toBe(201);
    const sched = await fetch(`${base}/__scheduled?cron=${encodeURIComponent("0 3 * * *")}`);
    expect(sched.status).toBe(200);
    const cron = await http.request("GET", "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${cronSecret}` } });
    expect(cron.status).toBe(200);
    // wrangler.toml binds the recheck queue (wrangler dev runs it locally): the route enqueues, as the trigger does.
    expect(cron.body).toEqual({ runKey: expect.any(String), enqueued: 1 });
    expect(output.join("")).not.toContain(adminToken);

    const exited = new Promise<number | null>((ok) => proc!.once("exit", ok));
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await fetch(base + "/healthz").catch(() => "refused")).toBe("refused");
  });
});
