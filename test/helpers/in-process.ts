/**
 * Builds the real app in-process (real libSQL files in a temp dir, real Wasm
 * kernels) for tests that need many requests fast (fuzzing, cross-tenant sweeps).
 * Requests go through `app.request()`, the same fetch handler the servers use.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadWasmKernelsFromFile } from "../../worker/engine/kernels/wasm-node.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { createApp } from "../../worker/http/app.js";
import type { AppDeps } from "../../worker/http/types.js";
import type { Client } from "../../worker/store/sql.js";
import { createLogger } from "../../worker/observability/logger.js";
import { buildDeps } from "../../worker/runtime/build-deps.js";
import { parseEnv, regionsOf, serverEnvSchema } from "../../worker/runtime/config.js";
import { loadMigrationsFromDisk, openLibsql } from "../../worker/runtime/node-files.js";

export interface InProcessApp {
  deps: AppDeps;
  dataDir: string;
  adminToken: string;
  cronSecret: string;
  logs: string[];
  /** Same shape as fetch(): path relative to the app root. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function createInProcessApp(
  opts: {
    env?: Record<string, string>;
    clock?: () => Date;
    kernels?: "wasm" | "reference";
    wrap?: (deps: AppDeps) => AppDeps;
    /** Wraps each tenant client (fault injection beside the real client). */
    wrapTenantClient?: (c: Client) => Client;
  } = {},
): Promise<InProcessApp> {
  const dataDir = mkdtempSync(join(tmpdir(), "fairgate-it-"));
  const adminToken = "it-admin-token-" + crypto.randomUUID();
  const cronSecret = "it-cron-secret-" + crypto.randomUUID();
  const config = parseEnv(serverEnvSchema, { FAIRGATE_DATA_DIR: dataDir, FAIRGATE_ADMIN_TOKEN: adminToken, FAIRGATE_CRON_SECRET: cronSecret, ...opts.env });
  const logs: string[] = [];
  const regions = regionsOf(config);
  const controlClient = await openLibsql("file:control.db", undefined, dataDir, config.FAIRGATE_FILE_DRIVER);
  let deps = await buildDeps({
    config,
    regions,
    controlClient,
    openTenantClient: async (t) => {
      const c = await openLibsql(t.dbUrl, regions[t.region]?.authToken, dataDir, config.FAIRGATE_FILE_DRIVER);
      return opts.wrapTenantClient ? opts.wrapTenantClient(c) : c;
    },
    migrations: loadMigrationsFromDisk(),
    kernels: opts.kernels === "reference" ? createReferenceKernels() : await loadWasmKernelsFromFile(),
    logger: createLogger({ sink: (l) => logs.push(l) }),
    embeddedDbUrl: (id, region) => (region === "default" ? `file:tenants/${id}.db` : `file:regions/${region}/tenants/${id}.db`),
    clock: opts.clock,
  });
  if (opts.wrap) deps = opts.wrap(deps);
  const app = createApp(deps);
  return {
    deps,
    dataDir,
    adminToken,
    cronSecret,
    logs,
    fetch: async (path, init) => app.request(path, init),
    async close() {
      await deps.tenants.close();
      controlClient.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A TestClient-compatible client over an in-process app. */
export function inProcessClient(app: InProcessApp) {
  return {
    async request(method: string, path: string, opts: { token?: string; body?: unknown; raw?: string; contentType?: string; csrf?: boolean; headers?: Record<string, string> } = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.csrf !== false) headers["x-requested-with"] = "XMLHttpRequest";
      let body: string | undefined;
      if (opts.raw !== undefined) {
        body = opts.raw;
        headers["content-type"] = opts.contentType ?? "application/json";
      } else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers["content-type"] = opts.contentType ?? "application/json";
      }
      const res = await app.fetch(path, { method, headers, body });
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* text */
      }
      return { status: res.status, body: parsed, contentType: res.headers.get("content-type") ?? "", headers: res.headers };
    },
  };
}
