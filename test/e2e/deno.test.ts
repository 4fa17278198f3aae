/**
 * The acceptance story against the real Deno gateway (`deno task start`: Deno.serve,
 * native libSQL files, Wasm kernels) over real HTTP, plus graceful shutdown.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../helpers/client.js";
import { spawnDenoServer } from "../helpers/deno.js";
import type { SpawnedServer } from "../helpers/server.js";
import { acceptanceStory } from "./story.case.js";

const ROOT = resolve(import.meta.dirname, "../..");

let server: SpawnedServer;
beforeAll(async () => {
  // A real schedule, so Deno.cron is registered (and aborted on shutdown); the story fires the recheck over HTTP.
  server = await spawnDenoServer({ FAIRGATE_RECHECK_CRON: "0 3 * * *" });
});
afterAll(async () => {
  await server?.stop();
});

acceptanceStory("deno", () => server);

describe("[deno] docs", () => {
  it("[deno] /docs: the page and Scalar's bundle, read from node_modules, served by the app", async () => {
    const page = await fetch(`${server.baseUrl}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('src="/docs/assets/scalar.js"');
    const bundle = await fetch(`${server.baseUrl}/docs/assets/scalar.js`);
    expect(bundle.status).toBe(200);
    expect(await bundle.text()).toBe(readFileSync(join(ROOT, "node_modules/@scalar/api-reference/dist/browser/standalone.js"), "utf8"));
  });
});

describe("[deno] operational basics", () => {
  it("[deno] logs JSON lines without secrets and stops gracefully on SIGTERM", async () => {
    const http = createClient(server.baseUrl);
    const r = await http.request("GET", "/healthz", { headers: { "x-request-id": "req-deno-12345" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-request-id")).toBe("req-deno-12345");
    const code = await server.stop("SIGTERM");
    expect(code).toBe(0);
    const lines = server.logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    expect(lines.some((l) => l.requestId === "req-deno-12345" && l.msg === "request")).toBe(true);
    expect(lines.find((l) => l.msg === "listening")).toMatchObject({ runtime: "deno", recheckCron: "0 3 * * *", kernels: "wasm" });
    expect(lines.find((l) => l.msg === "stopped")).toMatchObject({ signal: "SIGTERM", result: "closed" });
    const all = server.logs.join("\n");
    expect(all).not.toContain(server.adminToken);
    expect(all).not.toContain("fgk_");
    expect(all).not.toContain("65+");
  });
});

describe("[deno] Deno.cron", () => {
  it("[deno] fires the scheduled recheck and the expiry sweep (every-minute schedules; waits for the next minute)", async () => {
    // Deno.cron's finest granularity is a minute, so this waits up to ~60 s (in parallel with other files).
    const srv = await spawnDenoServer({ FAIRGATE_RECHECK_CRON: "* * * * *", FAIRGATE_EXPIRY_SWEEP_CRON: "* * * * *" });
    try {
      const ran = (msg: string) => srv.logs.some((l) => l.includes(`"msg":"${msg}"`) && l.includes('"trigger":"schedule"'));
      const fired = () => ran("fairness recheck ran") && ran("override expiry sweep ran");
      const deadline = Date.now() + 75_000;
      while (!fired() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(ran("fairness recheck ran")).toBe(true);
      expect(ran("override expiry sweep ran")).toBe(true);
    } finally {
      expect(await srv.stop("SIGTERM")).toBe(0);
    }
  }, 90_000);
});
