/**
 * @module test/contract/store-thread
 * The storage contract over the transports that carry the store deadline: the
 * embedded file in its own worker thread (the Node/Deno default), bare and
 * behind withDeadline, and @libsql/client → sqld behind withDeadline. Same
 * result shapes, same error mapping (constraints → 409, guard and chain aborts).
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

describe("worker-thread file: batches larger than one message", () => {
  it("commits a many-part batch whole, and rolls it back whole when its last statement fails", async () => {
    const db = await openLibsql(file(), undefined, dir, "thread");
    try {
      await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
      const insert = (from: number) => ({ sql: `INSERT INTO t (v) VALUES ${Array.from({ length: 500 }, () => "(?)").join(", ")}`, args: Array.from({ length: 500 }, (_, i) => `v${from + i}`) });
      const stmts = Array.from({ length: 240 }, (_, k) => insert(k * 500)); // 120,000 values: several messages
      await db.batch(stmts, "write");
      expect((await db.execute("SELECT count(*) AS n FROM t")).rows[0]!.n).toBe(120_000);
      await expect(db.batch([...stmts.map((s, k) => insert(200_000 + k * 500)), insert(0)], "write")).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_CONSTRAINT/) });
      expect((await db.execute("SELECT count(*) AS n FROM t")).rows[0]!.n).toBe(120_000);
    } finally {
      db.close();
    }
  });
});

describe("worker-thread file: idle threads", () => {
  it("retires an idle thread and starts a new one on the next operation, data and pragmas intact", async () => {
    const { createThreadLibsqlClient } = await import("../../worker/runtime/libsql-thread.js");
    const path = join(dir, `${crypto.randomUUID()}.db`);
    const db = createThreadLibsqlClient(path, { idleMs: 30 });
    try {
      await db.execute("CREATE TABLE t (v TEXT)");
      await db.execute({ sql: "INSERT INTO t (v) VALUES (?)", args: ["kept"] });
      expect(existsSync(path + "-wal")).toBe(true);
      // The last connection to close checkpoints and removes the WAL: the thread's connection is gone.
      for (let i = 0; i < 40 && existsSync(path + "-wal"); i++) await new Promise((ok) => setTimeout(ok, 50));
      expect(existsSync(path + "-wal")).toBe(false);
      expect((await db.execute("SELECT v FROM t")).rows).toEqual([{ v: "kept" }]);
      expect((await db.execute("PRAGMA journal_mode")).rows[0]).toEqual({ journal_mode: "wal" });
    } finally {
      db.close();
    }
  });
});

describe("worker-thread file: rows as the other transports give them", () => {
  it("rebuilds rows keyed by column name (values, NULLs, BLOBs, a repeated name, RETURNING, PRAGMA) as the native driver does (and @libsql/client, names not repeated)", async () => {
    const name = `${crypto.randomUUID()}.db`;
    const thread = await openLibsql(`file:${name}`, undefined, dir, "thread");
    const native = await openLibsql(`file:${name}`, undefined, dir, "native");
    const client = createClient({ url: `file:${join(dir, name)}`, intMode: "number" });
    try {
      await thread.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB, x REAL)");
      const inserted = await thread.execute({ sql: "INSERT INTO t (v, b, x) VALUES (?, ?, ?), (NULL, NULL, ?) RETURNING id, v", args: ["a", new Uint8Array([1, 2, 3]), 0.5, 2] });
      expect(inserted.rows).toEqual([{ id: 1, v: "a" }, { id: 2, v: null }]);
      const sql = "SELECT id, v, b, x, v AS w, x AS v FROM t ORDER BY id";
      const got = (await thread.execute(sql)).rows;
      // The later `x AS v` wins over `v`, as in the native driver's own objects.
      expect(got.map(({ b, ...rest }) => rest)).toEqual([{ id: 1, v: 0.5, w: "a", x: 0.5 }, { id: 2, v: 2, w: null, x: 2 }]);
      expect(new Uint8Array(got[0]!.b as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
      const plain = (rows: Record<string, unknown>[]) => rows.map((r) => ({ ...r, b: r.b === null ? null : [...new Uint8Array(r.b as ArrayBuffer)] }));
      expect(plain(got)).toEqual(plain((await native.execute(sql)).rows));
      // @libsql/client keeps a repeated name's first value, so it is compared without one.
      const distinct = "SELECT id, v, b, x, v AS w FROM t ORDER BY id";
      expect(plain((await thread.execute(distinct)).rows)).toEqual(plain((await client.execute(distinct)).rows));
      const [a, b] = await thread.batch(["SELECT count(*) AS n FROM t", { sql: "UPDATE t SET v = ? WHERE id = 2", args: ["z"] }], "write");
      expect(a!.rows).toEqual([{ n: 2 }]);
      expect(b).toMatchObject({ rows: [], rowsAffected: 1 });
      expect((await thread.execute("PRAGMA journal_mode")).rows).toEqual([{ journal_mode: "wal" }]);
    } finally {
      thread.close();
      native.close();
      client.close();
    }
  });
});
