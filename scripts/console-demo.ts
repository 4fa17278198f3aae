/**
 * @module scripts/console-demo
 * The real app for the console's bench and screenshots: built as the Node server builds
 * it (config, libSQL files in a fresh temp directory, Wasm kernels, the control store's
 * signed chain anchors) and served over real HTTP by @hono/node-server on a loopback
 * port, with helpers to call its API and to sign a person in to the console. Scripts may
 * not import test helpers, so this is the scripts' own small copy of them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { generateSeed } from "../worker/domain/chain-sign.js";
import { loadWasmKernelsFromFile } from "../worker/engine/kernels/wasm-node.js";
import { createApp } from "../worker/http/app.js";
import type { AppDeps } from "../worker/http/types.js";
import { createLogger } from "../worker/observability/logger.js";
import { buildDeps } from "../worker/runtime/build-deps.js";
import { parseEnv, regionsOf, serverEnvSchema } from "../worker/runtime/config.js";
import { loadMigrationsFromDisk, loadOrCreateSecretFile, openLibsql, readDocsBundleFromDisk } from "../worker/runtime/node-files.js";
import type { TenantStore } from "../worker/store/tenant-store.js";

export interface DemoServer {
  baseUrl: string;
  deps: AppDeps;
  adminToken: string;
  cronSecret: string;
  /** Calls the API; throws with the body on an unexpected status. */
  api(method: string, path: string, token: string, body?: unknown, expect?: number[]): Promise<any>;
  /** The tenant's store, as the app opens it (chained writes anchored in the control store). */
  store(tenantId: string): Promise<TenantStore>;
  close(): Promise<void>;
}

export async function startDemoServer(opts: { clock?: () => Date; onLog?: (line: string) => void } = {}): Promise<DemoServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "fairgate-console-demo-"));
  const adminToken = "demo-admin-" + crypto.randomUUID();
  const cronSecret = "demo-cron-" + crypto.randomUUID();
  const config = parseEnv(serverEnvSchema, {
    FAIRGATE_DATA_DIR: dataDir,
    FAIRGATE_ADMIN_TOKEN: adminToken,
    FAIRGATE_CRON_SECRET: cronSecret,
    // Seeding makes thousands of calls; admission control is not what is measured.
    FAIRGATE_RATE_LIMIT_PER_SECOND: "0",
    FAIRGATE_BULK_RATE_LIMIT_PER_MINUTE: "0",
  });
  const regions = regionsOf(config);
  const controlClient = await openLibsql("file:control.db", undefined, dataDir, config.FAIRGATE_FILE_DRIVER);
  const deps = await buildDeps({
    config,
    regions,
    controlClient,
    openTenantClient: (t) => openLibsql(t.dbUrl, regions[t.region]?.authToken, dataDir, config.FAIRGATE_FILE_DRIVER),
    migrations: loadMigrationsFromDisk(),
    docsBundle: () => readDocsBundleFromDisk(),
    kernels: await loadWasmKernelsFromFile(),
    logger: createLogger({ sink: (l) => opts.onLog?.(l) }),
    embeddedDbUrl: (id, region) => (region === "default" ? `file:tenants/${id}.db` : `file:regions/${region}/tenants/${id}.db`),
    clock: opts.clock,
    loadOrCreateEvidenceKey: () => loadOrCreateSecretFile(join(dataDir, "evidence-signing.key"), generateSeed),
  });
  const app = createApp(deps, { alertDelivery: "off" });
  const server: ServerType = await new Promise((ok) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => ok(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    deps,
    adminToken,
    cronSecret,
    async api(method, path, token, body, expect = [200, 201]) {
      const res = await fetch(baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${token}`, "x-requested-with": "XMLHttpRequest", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await res.text();
      if (!expect.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
      return text ? JSON.parse(text) : null;
    },
    async store(tenantId) {
      const record = await deps.tenants.recordOf(tenantId);
      if (!record) throw new Error(`no tenant ${tenantId}`);
      return (await deps.tenants.get(record)).store;
    },
    async close() {
      await new Promise<void>((ok) => server.close(() => ok()));
      await deps.tenants.close();
      controlClient.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a tenant with one key per `people` entry (principal → roles); returns its id and the keys. */
export async function demoTenant(s: DemoServer, name: string, people: Record<string, string[]>): Promise<{ id: string; keys: Record<string, string> }> {
  const t = await s.api("POST", "/api/v1/admin/tenants", s.adminToken, { name });
  const keys: Record<string, string> = {};
  for (const [principal, roles] of Object.entries(people)) keys[principal] = (await s.api("POST", `/api/v1/admin/tenants/${t.id}/api-keys`, s.adminToken, { principal, roles })).key;
  return { id: t.id, keys };
}

/** Signs in to the console with `key` as the sign-in form does; returns the session cookie header. */
export async function consoleCookie(baseUrl: string, key: string): Promise<string> {
  const res = await fetch(`${baseUrl}/console/sign-in`, { method: "POST", body: new URLSearchParams({ apiKey: key }), redirect: "manual", headers: { origin: baseUrl } });
  const cookie = res.headers.get("set-cookie");
  if (res.status !== 303 || !cookie) throw new Error(`sign-in failed: ${res.status}`);
  return cookie.split(";")[0]!;
}
