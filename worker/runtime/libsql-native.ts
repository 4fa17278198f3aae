/**
 * @module runtime/libsql-native
 * Node transport for embedded files: the `libsql` package (better-sqlite3 API,
 * the same engine @libsql/client embeds) behind the store's narrow SqlClient
 * interface. It skips @libsql/client's per-row object construction, which makes
 * bulk reads and writes several times faster. Remote URLs keep using @libsql/client.
 */
import Database from "libsql";
import type { InStatement, SqlClient, SqlResult } from "../store/sql.js";

type Statement = ReturnType<InstanceType<typeof Database>["prepare"]>;

/** Prepared statements are cached; multi-row inserts make a few distinct shapes, so the cap is generous. */
const STATEMENT_CACHE = 256;

function toParam(v: unknown): unknown {
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

/** Opens a local database file (created if absent) as a SqlClient. */
export function createNativeLibsqlClient(path: string): SqlClient {
  const db = new Database(path);
  const cache = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let s = cache.get(sql);
    if (!s) {
      if (cache.size >= STATEMENT_CACHE) cache.clear();
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  const run = (stmt: InStatement): SqlResult => {
    const { sql, args } = typeof stmt === "string" ? { sql: stmt, args: [] } : stmt;
    const s = prepare(sql);
    const params = (args ?? []).map(toParam);
    if (s.reader) return { rows: s.all(params) as Record<string, unknown>[], rowsAffected: 0 };
    const info = s.run(params);
    return { rows: [], rowsAffected: Number(info.changes) };
  };
  return {
    async execute(stmt) {
      return run(stmt);
    },
    async batch(stmts, mode = "deferred") {
      // IMMEDIATE takes the write lock up front, so a write batch never fails half-way on lock upgrade.
      const txn = db.transaction(() => stmts.map(run));
      return mode === "write" ? txn.immediate() : txn.deferred();
    },
    close() {
      db.close();
    },
  };
}
