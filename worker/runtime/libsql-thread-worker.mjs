/**
 * @module runtime/libsql-thread-worker
 * The thread side of runtime/libsql-thread: owns one database file through the
 * synchronous native `libsql` driver, so a lock wait, a slow statement or a
 * large batch blocks this thread instead of the gateway's event loop.
 *
 * Plain JavaScript on purpose: a worker thread gets no TypeScript loader under
 * vitest or plain node, and Deno runs it unchanged.
 *
 * Protocol (structured clone): in `{id, kind: "execute"|"batch"|"close", stmts,
 * mode, state}` (a large batch preceded by `{id, kind: "part", stmts}` messages;
 * `{id, kind: "drop"}` discards parts of an abandoned one), out `{id, ok, results}` or `{id, ok: false, error}`. `state` is
 * an Int32Array over a SharedArrayBuffer the caller also holds: 0 pending,
 * 1 committing (claimed here), 2 abandoned (claimed by the caller's deadline).
 * A write claims 0 → 1 right before COMMIT and rolls back if the caller got there
 * first, so a write whose caller was told "timed out" never commits.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "libsql";

const PENDING = 0;
const COMMITTING = 1;
const STATEMENT_CACHE = 256;
const ABANDONED_MESSAGE = "fairgate_abandoned: the caller's deadline passed before commit";

/** @type {{ path: string, busyTimeoutMs: number }} */
const { path, busyTimeoutMs } = workerData;

let db = null;
let openError = null;
try {
  db = new Database(path);
  // WAL + synchronous=FULL: a 2xx means the row survives power loss. The busy
  // timeout waits for other processes on the file; the caller's deadline bounds
  // how long anyone waits for this thread.
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
} catch (e) {
  openError = e;
}

const cache = new Map();
function prepare(sql) {
  let s = cache.get(sql);
  if (!s) {
    if (cache.size >= STATEMENT_CACHE) cache.clear();
    s = db.prepare(sql);
    cache.set(sql, s);
  }
  return s;
}

function toParam(v) {
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

/**
 * BLOBs leave as ArrayBuffers (the @libsql/client shape), moved rather than copied when they
 * own their memory. The driver returns ArrayBuffers: they are moved too — cloned, a segment's
 * columns (megabytes) would be copied and their originals left for this thread's rare GCs.
 */
function exportRow(row, transfer) {
  for (const k in row) {
    const v = row[k];
    if (v instanceof ArrayBuffer) {
      if (v.byteLength > 0) transfer.add(v);
    } else if (v instanceof Uint8Array) {
      const own = v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && !transfer.has(v.buffer);
      const ab = own ? v.buffer : v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
      transfer.add(ab);
      row[k] = ab;
    }
  }
  return row;
}

function isWrite(s, sql) {
  return !s.reader || /\bRETURNING\b/i.test(sql);
}

function runOne(stmt, transfer) {
  const s = prepare(stmt.sql);
  const params = (stmt.args ?? []).map(toParam);
  if (s.reader) return { rows: s.all(params).map((r) => exportRow(r, transfer)), rowsAffected: 0 };
  const info = s.run(params);
  return { rows: [], rowsAffected: Number(info.changes) };
}

function claim(state) {
  if (Atomics.compareExchange(state, 0, PENDING, COMMITTING) !== PENDING) throw new Error(ABANDONED_MESSAGE);
}

function handle(msg, transfer) {
  if (openError) throw openError;
  const { kind, stmts, mode, state } = msg;
  if (Atomics.load(state, 0) !== PENDING) throw new Error(ABANDONED_MESSAGE);
  if (kind === "execute") {
    const stmt = stmts[0];
    // PRAGMAs cannot run inside a transaction; they are connection settings, not data.
    if (/^\s*PRAGMA\b/i.test(stmt.sql)) return [runOne(stmt, transfer)];
    const s = prepare(stmt.sql);
    if (!isWrite(s, stmt.sql)) return [runOne(stmt, transfer)];
    const txn = db.transaction(() => {
      const r = runOne(stmt, transfer);
      claim(state);
      return r;
    });
    return [txn.immediate()];
  }
  // A large batch (a bulk load) is background work for this tenant: between its statements the
  // thread naps briefly, so on a small machine it leaves CPU (and the disk) to other tenants'
  // threads instead of taking a core for a second. Still one transaction: all or nothing. The naps
  // are capped per batch so a maximal bulk load stays well inside the store deadline.
  let napBudget = stmts.length > LARGE_BATCH_STATEMENTS ? NAP_BUDGET_MS : 0;
  const txn = db.transaction(() => {
    const rs = stmts.map((st) => {
      const r = runOne(st, transfer);
      if (napBudget > 0) {
        Atomics.wait(napCell, 0, 0, Math.min(NAP_MS, napBudget));
        napBudget -= NAP_MS;
      }
      return r;
    });
    claim(state);
    return rs;
  });
  // IMMEDIATE takes the write lock up front, so a write batch never fails half-way on lock upgrade.
  return mode === "write" ? txn.immediate() : txn.deferred();
}

function errorOf(e) {
  return { message: String(e?.message ?? e), code: e?.code === undefined ? undefined : String(e.code), rawCode: typeof e?.rawCode === "number" ? e.rawCode : undefined, name: String(e?.name ?? "Error") };
}

/** Batches with more statements than this nap between them (a bulk load's inserts are 400 rows each). */
const LARGE_BATCH_STATEMENTS = 50;
const NAP_MS = 8;
/** Most time one batch may spend napping (a 16 MiB bulk load is ~250 statements). */
const NAP_BUDGET_MS = 1_500;
const napCell = new Int32Array(new SharedArrayBuffer(4));

/** Parts of batches still arriving, by operation id. */
const partsById = new Map();

parentPort.on("message", (msg) => {
  if (msg.kind === "close") {
    try {
      db?.close();
    } catch {
      // closing a broken handle: nothing left to release
    }
    parentPort.close();
    return;
  }
  // A large batch arrives in parts (see VALUES_PER_MESSAGE in libsql-thread.ts); the last message carries the kind.
  if (msg.kind === "part") {
    const got = partsById.get(msg.id);
    if (got) got.push(...msg.stmts);
    else partsById.set(msg.id, [...msg.stmts]);
    return;
  }
  if (msg.kind === "drop") {
    partsById.delete(msg.id);
    return;
  }
  const earlier = partsById.get(msg.id);
  if (earlier) {
    partsById.delete(msg.id);
    msg.stmts = [...earlier, ...msg.stmts];
  }
  // A set: a read can return thousands of BLOBs, each listed once.
  const transfer = new Set();
  try {
    const results = handle(msg, transfer);
    parentPort.postMessage({ id: msg.id, ok: true, results }, [...transfer]);
  } catch (e) {
    parentPort.postMessage({ id: msg.id, ok: false, error: errorOf(e) });
  }
});
