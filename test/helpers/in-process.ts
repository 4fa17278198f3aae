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
import { readResult, requestInit, type RequestOptions } from "./client.js";
import { createLogger } from "../../worker/observability/logger.js";
import { buildDeps } from "../../worker/runtime/build-deps.js";
import { parseEnv, regionsOf, serverEnvSchema } from "../../worker/runtime/config.js";
import { loadMigrationsFromDisk, openLibsql, loadOrCreateSecretFile, readDocsBundleFromDisk } from "../../worker/runtime/node-files.js";
import { generateSeed } from "../../worker/domain/chain-sign.js";

export interface InProcessApp {
  deps: AppDeps;
  dataDir: string;
  adminToken: string;
  cronSecret: string;
  logs: string[];
  /** Same shape as fetch(): path relative to the app root. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The app's route table (method + full path), for route-coverage checks. */
  routes: readonly { method: string; path: string }[];
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
    /** "off": no background alert loop (tests of the cron and Worker drains). */
    alertDelivery?: "background" | "off";
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
    docsBundle: () => readDocsBundleFromDisk(),
    kernels: opts.kernels === "reference" ? createReferenceKernels() : await loadWasmKernelsFromFile(),
    logger: createLogger({ sink: (l) => logs.push(l) }),
    embeddedDbUrl: (id, region) => (region === "default" ? `file:tenants/${id}.db` : `file:regions/${region}/tenants/${id}.db`),
    clock: opts.clock,
    loadOrCreateEvidenceKey: () => loadOrCreateSecretFile(join(dataDir, "evidence-signing.key"), generateSeed),
  });
  if (opts.wrap) deps = opts.wrap(deps);
  const app = createApp(deps, { alertDelivery: opts.alertDelivery });
  return {
    deps,
    dataDir,
    adminToken,
    cronSecret,
    logs,
    fetch: async (path, init) => app.request(path, init),
    routes: app.routes,
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
    async request(method: string, path: string, opts: RequestOptions = {}) {
      return readResult(await app.fetch(path, requestInit(method, opts)));
    },
  };
}
