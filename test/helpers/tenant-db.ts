/**
 * A real, migrated tenant store over libSQL (in-memory or a file), for store-level tests.
 */
import { createClient } from "@libsql/client";
import { migrate } from "../../worker/store/sql.js";
import { createTenantStore } from "../../worker/store/tenant-store.js";
import { loadMigrationsFromDisk } from "../../worker/runtime/node-files.js";

export async function createTestTenantStore(url = ":memory:", tenantId = "t1") {
  const client = createClient({ url, intMode: "number" });
  await migrate(client, loadMigrationsFromDisk().tenant);
  return { client, store: createTenantStore(client, tenantId) };
}
