/**
 * Node process lifecycle: config errors are one line naming the variable; a
 * graceful shutdown finishes in-flight requests, and every trace that got a 200
 * is on disk afterwards.
 */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { createClient as createLibsqlClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { createClient } from "../helpers/client.js";
import { spawnNodeServer } from "../helpers/server.js";
import { PLATINUM_FLOW } from "./story.case.js";

const ROOT = resolve(import.meta.dirname, "../..");

describe("[node] configuration", () => {
  for (const [name, value] of [
    ["PORT", "eighty"],
    ["FAIRGATE_RECHECK_CRON", "every day"],
    ["FAIRGATE_REGIONS", "{not json"],
    ["FAIRGATE_ADMIN_TOKEN", "short"],
  ]) {
    it(`refuses a bad ${name} with one line naming it`, () => {
      const r = spawnSync(process.execPath, ["--import", "tsx", "worker/runtime/node.ts"], {
        cwd: ROOT,
        env: { ...process.env, FAIRGATE_DATA_DIR: "/tmp/fairgate-never", [name!]: value },
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(r.status).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^Invalid configuration: ${name}: `));
    });
  }
});

describe("[node] graceful shutdown", () => {
  it("finishes in-flight recommendations; every 200 trace is durable", async () => {
    const srv = await spawnNodeServer();
    const http = createClient(srv.baseUrl);
    const t = await http.post("/api/v1/admin/tenants", srv.adminToken, { name: "shutdown" });
    const key = (await http.post(`/api/v1/admin/tenants/${t.body.id}/api-keys`, srv.adminToken, { principal: "ops", roles: ["operator", "publisher"] })).body.key;
    const flow = await http.post("/api/v1/decision-flows", key, { key: "f", name: "F", definition: PLATINUM_FLOW });
    expect((await http.post("/api/v1/decision-flows/publish", key, { id: flow.body.id })).status).toBe(200);

    const inflight = Array.from({ length: 200 }, (_, i) =>
      http.post("/api/v1/recommend", key, { customerId: `c${i}`, decisionFlowKey: "f", attributes: { tier: "gold", income: 90_000 } }).catch(() => null),
    );
    await new Promise((r) => setTimeout(r, 15));
    const exited = srv.stop("SIGTERM");
    const results = await Promise.all(inflight);
    expect(await exited).toBe(0);
    const ok = results.filter((r) => r?.status === 200);
    // Everything either completed or was refused cleanly; nothing hung or half-finished.
    for (const r of results) if (r) expect([200, 503]).toContain(r.status);
    expect(ok.length).toBeGreaterThan(0);
    const db = createLibsqlClient({ url: `file:${srv.dataDir}/tenants/${t.body.id}.db`, intMode: "number" });
    const rows = await db.execute("SELECT id FROM decision_traces");
    const stored = new Set(rows.rows.map((r) => String(r.id)));
    for (const r of ok) expect(stored.has(r!.body.traceId)).toBe(true);
    db.close();
    expect(srv.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });
});

describe("[node] in-process scheduler", () => {
  it("runs the recheck on FAIRGATE_RECHECK_CRON and the expiry sweep on FAIRGATE_EXPIRY_SWEEP_CRON (croner, UTC)", async () => {
    // A six-field expression fires every second, so the test need not wait for 03:00 or a quarter hour.
    const srv = await spawnNodeServer({ FAIRGATE_RECHECK_CRON: "* * * * * *", FAIRGATE_EXPIRY_SWEEP_CRON: "* * * * * *" });
    const ran = (msg: string) => srv.logs.some((l) => l.includes(`"msg":"${msg}"`) && l.includes('"trigger":"schedule"'));
    try {
      const deadline = Date.now() + 15_000;
      while (!(ran("fairness recheck ran") && ran("override expiry sweep ran")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(ran("fairness recheck ran")).toBe(true);
      expect(ran("override expiry sweep ran")).toBe(true);
    } finally {
      expect(await srv.stop()).toBe(0);
    }
    const listening = srv.logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).find((l) => l.msg === "listening");
    expect(listening).toMatchObject({ runtime: "node", recheckCron: "* * * * * *", expirySweepCron: "* * * * * *" });
  });
});
