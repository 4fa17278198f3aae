/**
 * @module test/contract/store-thread
 * The storage contract over the transports that carry the store deadline: the
 * embedded file in its own worker thread (the Node/Deno default), bare and
 * behind withDeadline, and @libsql/client → sqld behind withDeadline. Same
 * result shapes, same error mapping (constraints → 409, guard and chain aborts).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll } from "vitest";
import { openLibsql } from "../../worker/runtime/node-files.js";
import { withDeadline } from "../../worker/store/sql.js";
import { startSqld, type SqldServer } from "../helpers/sqld.js";
import { storeContract } from "./store.case.js";

const dir = mkdtempSync(join(tmpdir(), "fairgate-store-thread-"));
let sqld: SqldServer;
beforeAll(async () => {
  sqld = await startSqld();
});
afterAll(async () => sqld?.stop());

const file = () => `file:${crypto.randomUUID()}.db`;
storeContract("worker-thread file", async () => openLibsql(file(), undefined, dir, "thread"));
storeContract("worker-thread file + deadline", async () => withDeadline(await openLibsql(file(), undefined, dir, "thread"), 10_000));
storeContract("@libsql/client → sqld (http) + deadline", async () => withDeadline(createClient({ url: sqld.url, intMode: "number" }), 10_000));
