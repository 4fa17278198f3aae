/**
 * @module runtime/libsql-thread
 * Embedded database files off the event loop: one `node:worker_threads` worker
 * per database file runs the synchronous native driver
 * (libsql-thread-worker.mjs) behind the store's SqlClient interface. A lock
 * held by another process, a corrupt page or a 50,000-row batch then stalls only
 * that database's thread; the gateway keeps answering every other tenant.
 *
 * The client is `abortable`: store/sql's deadline wrapper passes an AbortSignal,
 * and on abort the client settles at once unless the worker has already claimed
 * the commit (see the worker's state protocol) — so a write reported as timed out
 * never commits, and a write reported as done has committed.
 *
 * Arguments are copied (structured clone), not transferred: a caller may send
 * the same statement again (chain-head retries), so its buffers must stay usable.
 * Result BLOBs are transferred from the worker as ArrayBuffers.
 *
 * A thread idle for a minute is retired and the next operation starts a new
 * one (which applies the pragmas again), so threads track active databases.
 */
import { Worker } from "node:worker_threads";
import type { CallOptions, InStatement, SqlClient, SqlResult } from "../store/sql.js";

const WORKER_URL = new URL("./libsql-thread-worker.mjs", import.meta.url);
/** How long an abandoned operation whose commit is already under way may still take before the caller gives up on it. */
const COMMIT_GRACE_MS = 10_000;
/** Idle time after which a database's thread is retired (the next operation starts a new one). */
const DEFAULT_IDLE_MS = 60_000;
const PENDING = 0;
const ABANDONED = 2;
/**
 * Bound values per message. Serialising a message is synchronous on this
 * thread: a 50,000-row bulk batch (600,000 values) in one message holds the
 * event loop for tens of ms, so large batches go as parts with a yield between.
 */
const VALUES_PER_MESSAGE = 40_000;

const yieldToLoop = () => new Promise<void>((ok) => setTimeout(ok, 0));

type PlainStatement = { sql: string; args: unknown[] };

/** Splits statements into runs of at most VALUES_PER_MESSAGE values (a statement is never split). */
function parts(stmts: PlainStatement[]): PlainStatement[][] {
  const out: PlainStatement[][] = [];
  let cur: PlainStatement[] = [];
  let values = 0;
  for (const s of stmts) {
    if (cur.length && values + s.args.length > VALUES_PER_MESSAGE) {
      out.push(cur);
      cur = [];
      values = 0;
    }
    cur.push(s);
    values += s.args.length;
  }
  out.push(cur);
  return out;
}

interface Pending {
  resolve(v: SqlResult[]): void;
  reject(e: unknown): void;
  cleanup(): void;
}

interface Reply {
  id: number;
  ok: boolean;
  results?: SqlResult[];
  error?: { message: string; code?: string; rawCode?: number; name: string };
}

/** Rebuilds the driver's error on this side with the fields store/sql's mapping reads (message, code). */
function toError(e: NonNullable<Reply["error"]>): Error {
  const err = new Error(e.message) as Error & { code?: string; rawCode?: number };
  err.name = e.name;
  if (e.code !== undefined) err.code = e.code;
  if (e.rawCode !== undefined) err.rawCode = e.rawCode;
  return err;
}

export interface ThreadClientOptions {
  /** SQLite busy timeout inside the thread (waits for other processes' locks). */
  busyTimeoutMs?: number;
  /** An idle thread is retired after this long (and started again by the next operation). */
  idleMs?: number;
}

/** One running database thread and the operations it still owes an answer. */
interface Thread {
  w: Worker;
  pending: Map<number, Pending>;
  idle?: ReturnType<typeof setTimeout>;
}

/** Opens `path` (created if absent) in its own worker thread. The thread starts now; errors surface on the first operation. */
export function createThreadLibsqlClient(path: string, opts: ThreadClientOptions = {}): SqlClient {
  let nextId = 1;
  let current: Thread | null = null;
  let closed = false;
  const idleMs = opts.idleMs ?? DEFAULT_IDLE_MS;

  function failAll(t: Thread, e: unknown) {
    for (const p of t.pending.values()) {
      p.cleanup();
      p.reject(e);
    }
    t.pending.clear();
  }

  /** Bookkeeping after an operation left `t`: unref when nothing is owed, and retire the thread if it stays idle. */
  function settled(t: Thread) {
    if (t.pending.size > 0) return;
    t.w.unref();
    clearTimeout(t.idle);
    // A thread per tenant database is cheap while used; hundreds of idle ones are not.
    t.idle = setTimeout(() => {
      if (t.pending.size > 0 || current !== t) return;
      current = null;
      t.w.postMessage({ kind: "close" });
    }, idleMs);
    t.idle.unref?.();
  }

  function spawn(): Thread {
    // Plain JavaScript needs no loader: without execArgv the thread skips the parent's (tsx) start-up hooks.
    const w = new Worker(WORKER_URL, { workerData: { path, busyTimeoutMs: opts.busyTimeoutMs ?? 5000 }, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    const t: Thread = { w, pending: new Map() };
    // An idle database thread must not keep the process alive; it is ref'd while work is outstanding.
    w.unref();
    w.on("message", (m: Reply) => {
      const p = t.pending.get(m.id);
      if (!p) return; // abandoned by its deadline: the caller has its answer already
      t.pending.delete(m.id);
      p.cleanup();
      settled(t);
      if (m.ok) p.resolve(m.results!);
      else p.reject(toError(m.error!));
    });
    w.on("error", (e) => failAll(t, e));
    w.on("exit", () => {
      clearTimeout(t.idle);
      if (current === t) current = null;
      // A crashed thread is replaced on the next operation; a closed client stays closed.
      failAll(t, new Error(closed ? "database client is closed" : "database thread exited"));
    });
    return t;
  }

  function call(kind: "execute" | "batch", stmts: InStatement[], mode: string | undefined, o: CallOptions | undefined): Promise<SqlResult[]> {
    if (closed) return Promise.reject(new Error("database client is closed"));
    const signal = o?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const t = (current ??= spawn());
    const { w, pending } = t;
    clearTimeout(t.idle);
    const id = nextId++;
    const state = new Int32Array(new SharedArrayBuffer(4));
    return new Promise<SqlResult[]>((resolve, reject) => {
      let grace: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        if (Atomics.compareExchange(state, 0, PENDING, ABANDONED) === PENDING) {
          pending.delete(id);
          cleanup();
          settled(t);
          reject(signal!.reason);
          return;
        }
        // The commit is under way: its outcome is the truth, unless it never comes.
        grace = setTimeout(() => {
          if (!pending.delete(id)) return;
          settled(t);
          reject(signal!.reason);
        }, COMMIT_GRACE_MS);
      };
      const cleanup = () => {
        signal?.removeEventListener("abort", onAbort);
        if (grace) clearTimeout(grace);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      pending.set(id, { resolve, reject, cleanup });
      if (pending.size === 1) w.ref();
      const plain: PlainStatement[] = stmts.map((s) => (typeof s === "string" ? { sql: s, args: [] } : { sql: s.sql, args: s.args ?? [] }));
      const chunks = parts(plain);
      if (chunks.length === 1) return w.postMessage({ id, kind, stmts: plain, mode, state });
      // The thread collects the parts and runs them as one transaction when the last arrives.
      void (async () => {
        for (let i = 0; i < chunks.length - 1; i++) {
          if (!pending.has(id)) return w.postMessage({ id, kind: "drop" });
          w.postMessage({ id, kind: "part", stmts: chunks[i] });
          await yieldToLoop();
        }
        if (!pending.has(id)) return w.postMessage({ id, kind: "drop" });
        w.postMessage({ id, kind, stmts: chunks.at(-1), mode, state });
      })();
    });
  }

  return {
    abortable: true,
    async execute(stmt, o) {
      return (await call("execute", [stmt], undefined, o))[0]!;
    },
    batch(stmts, mode = "deferred", o) {
      return call("batch", stmts, mode, o);
    },
    close() {
      if (closed) return;
      closed = true;
      const t = current;
      current = null;
      if (!t) return;
      clearTimeout(t.idle);
      // Queued operations finish first (the thread handles messages in order), then the handle closes.
      t.w.ref();
      t.w.postMessage({ kind: "close" });
    },
  };
}
