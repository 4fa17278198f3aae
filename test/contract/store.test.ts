/**
 * Runs the storage contract against every transport the runtimes use.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll } from "vitest";
import { createNativeLibsqlClient } from "../../worker/runtime/libsql-native.js";
import { startSqld, type SqldServer } from "../helpers/sqld.js";
import { storeContract } from "./store.case.js";

const dir = mkdtempSync(join(tmpdir(), "fairgate-store-"));
let sqld: SqldServer;
beforeAll(async () => {
  sqld = await startSqld();
});
afterAll(async () => sqld?.stop());

storeContract("native file (libsql)", async () => createNativeLibsqlClient(join(dir, `${crypto.randomUUID()}.db`)));
storeContract("@libsql/client file", async () => createClient({ url: `file:${join(dir, `${crypto.randomUUID()}.db`)}`, intMode: "number" }));
storeContract("@libsql/client memory", async () => createClient({ url: ":memory:", intMode: "number" }));
storeContract("@libsql/client → sqld (http)", async () => createClient({ url: sqld.url, intMode: "number" }));
