/**
 * The shared Node/Deno server lifecycle (worker/runtime/server-lifecycle.ts)
 * with real stores (libSQL files in a temp dir) and a runtime whose serve and
 * cron primitives are recorded instead of real: both schedules are registered
 * with their expressions, shutdown stops them, waits for a job that is in
 * flight before closing the stores, and a job never starts once shutdown began.
 * (The real primitives are exercised by test/e2e/node-lifecycle.test.ts and
 * test/e2e/deno.test.ts.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createServerLifecycle, type RuntimeIo } from "../../worker/runtime/server-lifecycle.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function recordingRuntime(env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "fairgate-lifecycle-"));
  dirs.push(dataDir);
  const logs: { msg: string; [k: string]: unknown }[] = [];
  const jobs = new Map<string, { cron: string; fn: () => Promise<void> }>();
  const stopped: string[] = [];
  let closed = 0;
  const io: RuntimeIo = {
    runtime: "node",
    env: { FAIRGATE_DATA_DIR: dataDir, FAIRGATE_ADMIN_TOKEN: "lifecycle-admin-token-0123456789", FAIRGATE_KERNELS: "reference", PORT: "0", ...env },
    stdout: (line) => logs.push(JSON.parse(line)),
    stderr: () => {},
    serve: async () => ({ port: 4321, close: async () => void closed++ }),
    schedule: (name, cron, fn) => {
      jobs.set(name, { cron, fn });
      return { stop: () => stopped.push(name) };
    },
  };
  return { io, logs, jobs, stopped, closedCount: () => closed, index: (msg: string) => logs.findIndex((l) => l.msg === msg) };
}

describe("server lifecycle", () => {
  it("registers the recheck and the expiry sweep with their cron expressions and logs them", async () => {
    const rt = recordingRuntime({ FAIRGATE_RECHECK_CRON: "0 4 * * *" });
    const lc = await createServerLifecycle(rt.io);
    try {
      expect([...rt.jobs].map(([name, j]) => [name, j.cron])).toEqual([
        ["fairness-recheck", "0 4 * * *"],
        ["override-expiry-sweep", "*/15 * * * *"],
      ]);
      expect(lc.port).toBe(4321);
      expect(rt.logs.find((l) => l.msg === "listening")).toMatchObject({ port: 4321, runtime: "node", recheckCron: "0 4 * * *", expirySweepCron: "*/15 * * * *", kernels: "reference" });
    } finally {
      await lc.shutdown();
    }
  });

  it("'off' registers no schedule", async () => {
    const rt = recordingRuntime({ FAIRGATE_RECHECK_CRON: "off", FAIRGATE_EXPIRY_SWEEP_CRON: "off" });
    const lc = await createServerLifecycle(rt.io);
    await lc.shutdown();
    expect([...rt.jobs.keys()]).toEqual([]);
  });

  it("shutdown stops the schedules, waits for the job in flight, then closes; no job starts afterwards", async () => {
    const rt = recordingRuntime();
    const lc = await createServerLifecycle(rt.io);
    const running = rt.jobs.get("fairness-recheck")!.fn();
    await lc.shutdown("SIGTERM");
    await running;
    expect(rt.stopped.sort()).toEqual(["fairness-recheck", "override-expiry-sweep"]);
    expect(rt.closedCount()).toBe(1);
    // The job finished (recheck, then its outbox drain) before the stores were closed.
    expect(rt.index("fairness recheck ran")).toBeGreaterThan(-1);
    expect(rt.index("alert outbox drained")).toBeGreaterThan(rt.index("fairness recheck ran"));
    expect(rt.index("stopped")).toBeGreaterThan(rt.index("alert outbox drained"));
    expect(rt.logs.find((l) => l.msg === "stopped")).toMatchObject({ signal: "SIGTERM", result: "closed" });
    expect(rt.logs.some((l) => l.msg.endsWith("failed"))).toBe(false);
    // A schedule that still fires after shutdown began (a runtime's timer racing stop()) does nothing.
    await rt.jobs.get("override-expiry-sweep")!.fn();
    expect(rt.index("override expiry sweep ran")).toBe(-1);
    // Shutdown is one shutdown, however often it is called.
    await lc.shutdown("SIGINT");
    expect(rt.logs.filter((l) => l.msg === "stopped")).toHaveLength(1);
  });
});
