/**
 * The console is served by the same app on Deno (`deno task start`) and on the
 * Workers runtime (workerd through wrangler's unstable_startWorker, this repository's
 * wrangler.toml, control and tenant stores on real sqld servers): sign-in page and
 * assets from the app itself, sign-in over a form post, the Flows and Overrides
 * screens, a publish through the console with its CSRF token, then the Evaluations,
 * Audit log (a filtered page, the chain badges) and Remediations screens. (Chromium runs
 * against Node in the other console tests; these are plain HTTP.)
 */
import { join, resolve } from "node:path";
import { unstable_startWorker } from "wrangler";
import { afterAll, describe, expect, it } from "vitest";
import { csrfTokenOf } from "../../worker/console/session.js";
import { generateSeed } from "../../worker/domain/chain-sign.js";
import { createClient } from "../helpers/client.js";
import { spawnDenoServer } from "../helpers/deno.js";
import { startSqld, type SqldServer } from "../helpers/sqld.js";
import { PLATINUM_FLOW } from "../integration/_support.js";

const ROOT = resolve(import.meta.dirname, "../..");

/** Walks the console over HTTP against `base`. */
async function consoleRoundTrip(base: string, adminToken: string) {
  const api = createClient(base);
  const signInPage = await fetch(`${base}/console/sign-in`);
  expect(signInPage.status).toBe(200);
  expect(signInPage.headers.get("content-security-policy")).toContain("default-src 'self'");
  const html = await signInPage.text();
  expect(html).toContain('<label for="api-key">API key</label>');
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  for (const [path, type] of [["/console/assets/console.css", "text/css"], ["/console/assets/console.js", "text/javascript"]] as const) {
    const r = await fetch(base + path);
    expect(r.status, path).toBe(200);
    expect(r.headers.get("content-type")).toContain(type);
    expect((await r.text()).length).toBeGreaterThan(100);
  }

  const tenant = await api.post("/api/v1/admin/tenants", adminToken, { name: `con-rt-${crypto.randomUUID().slice(0, 8)}` });
  expect(tenant.status).toBe(201);
  const key = await api.post(`/api/v1/admin/tenants/${tenant.body.id}/api-keys`, adminToken, { principal: "bob@rt.test", roles: ["publisher"] });
  expect(key.status).toBe(201);
  const flow = await api.post("/api/v1/decision-flows", key.body.key, { key: "rt-flow", name: "Runtime flow", definition: PLATINUM_FLOW });
  expect(flow.status).toBe(201);

  const signIn = await fetch(`${base}/console/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
    body: new URLSearchParams({ apiKey: key.body.key }),
    redirect: "manual",
  });
  expect(signIn.status).toBe(303);
  expect(signIn.headers.get("location")).toBe("/console/flows");
  const setCookie = signIn.headers.get("set-cookie") ?? "";
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  const id = /fairgate_session=([^;]+)/.exec(setCookie)![1]!;
  const cookie = `fairgate_session=${id}`;

  const flows = await fetch(`${base}/console/flows`, { headers: { cookie } });
  expect(flows.status).toBe(200);
  expect(await flows.text()).toContain('data-flow-key="rt-flow"');
  expect((await fetch(`${base}/console/overrides`, { headers: { cookie } })).status).toBe(200);
  const pub = await fetch(`${base}/console/flows/${flow.body.id}/publish`, {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded", origin: base },
    body: new URLSearchParams({ _csrf: await csrfTokenOf(id) }),
  });
  expect(pub.status).toBe(200);
  expect(await pub.text()).toMatch(/<span class="badge badge-skip">skip<\/span> Published version 1; the gate skipped: no fairness policy configured/);
  expect((await api.get(`/api/v1/decision-flows/${flow.body.id}`, key.body.key)).body.status).toBe("active");
  // The evidence screens on this runtime's store (migration 0013's indexes included): the publish's evaluation, audit rows, intact chains.
  const evaluations = await fetch(`${base}/console/evaluations`, { headers: { cookie } });
  expect(evaluations.status).toBe(200);
  expect(await evaluations.text()).toMatch(/<span class="badge badge-skip">skip<\/span>/);
  const audit = await fetch(`${base}/console/audit-log?action=publish`, { headers: { cookie } });
  expect(audit.status).toBe(200);
  expect(await audit.text()).toContain('data-action="publish"');
  const chains = await (await fetch(`${base}/console/audit-log/verify`, { headers: { cookie } })).text();
  expect(chains).toContain('data-chain="audit" data-chain-ok="true"');
  expect(chains).toContain('data-chain="evaluation" data-chain-ok="true"');
  expect((await fetch(`${base}/console/remediations`, { headers: { cookie } })).status).toBe(200);
  const out = await fetch(`${base}/console/sign-out`, { headers: { cookie }, redirect: "manual" });
  expect(out.status).toBe(303);
  expect((await fetch(`${base}/console/flows`, { headers: { cookie }, redirect: "manual" })).headers.get("location")).toBe("/console/sign-in");
}

describe("[deno] console", () => {
  let server: Awaited<ReturnType<typeof spawnDenoServer>> | undefined;
  afterAll(async () => {
    await server?.stop();
  });
  it("[deno] serves the console: sign-in, assets, screens, a publish", async () => {
    server = await spawnDenoServer();
    await consoleRoundTrip(server.baseUrl, server.adminToken);
  });
});

describe("[worker] console", () => {
  let stores: SqldServer[] = [];
  let worker: Awaited<ReturnType<typeof unstable_startWorker>> | undefined;
  afterAll(async () => {
    await worker?.dispose();
    await Promise.all(stores.map((s) => s.stop()));
  });
  it("[worker] serves the console: sign-in, assets, screens, a publish", async () => {
    process.env.WRANGLER_SEND_METRICS = "false";
    process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
    stores = await Promise.all([startSqld(), startSqld()]);
    const [control, region] = stores as [SqldServer, SqldServer];
    const adminToken = "worker-admin-token-" + crypto.randomUUID();
    const secret = (value: string) => ({ type: "secret_text" as const, value });
    worker = await unstable_startWorker({
      config: join(ROOT, "wrangler.toml"),
      bindings: {
        FAIRGATE_CONTROL_DB_URL: secret(control.url),
        FAIRGATE_ADMIN_TOKEN: secret(adminToken),
        FAIRGATE_EVIDENCE_SIGNING_KEY: secret(generateSeed()),
        FAIRGATE_REGIONS: { type: "plain_text", value: JSON.stringify({ default: { url: region.url } }) },
        FAIRGATE_LOG_LEVEL: { type: "plain_text", value: "warn" },
      },
      dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, persist: false, logLevel: "warn" },
    });
    await consoleRoundTrip((await worker.url).origin, adminToken);
  });
});
