/**
 * @module store/sql
 * Shared plumbing for every store: the libSQL client type, atomic write batches
 * with guard statements, migrations and error mapping.
 */
import { ConflictError, StoreUnavailableError } from "../domain/errors.js";

/** A value bound to a statement parameter. */
export type SqlValue = null | string | number | bigint | ArrayBuffer | Uint8Array;
/** A statement: plain SQL, or SQL with positional `?` arguments. */
export type InStatement = string | { sql: string; args?: SqlValue[] };
/** What a statement returns: rows keyed by column name, and rows changed. */
export interface SqlResult {
  rows: Record<string, unknown>[];
  rowsAffected: number;
}

/**
 * The narrow libSQL surface every store uses. `@libsql/client` (file, libsql://,
 * http(s)://, and `@libsql/client/web` on Workers) satisfies it as is; Node's
 * embedded default uses the faster native driver behind the same interface.
 * `batch(…, "write")` must be atomic: all statements commit or none.
 */
export interface SqlClient {
  execute(stmt: InStatement, opts?: CallOptions): Promise<SqlResult>;
  batch(stmts: InStatement[], mode?: "write" | "read" | "deferred", opts?: CallOptions): Promise<SqlResult[]>;
  close(): void;
  /**
   * True when the client honours `opts.signal`: on abort it settles promptly and
   * never commits the abandoned operation. Others (`@libsql/client`) get no
   * options at all — their `execute(sql, args)` overload would read them as arguments.
   */
  readonly abortable?: boolean;
}
/** Per-operation options for an `abortable` client. */
export interface CallOptions {
  signal?: AbortSignal;
}
export type Client = SqlClient;
export type ResultSet = SqlResult;

/** A numbered migration, e.g. `{ version: 1, name: "init", sql: "..." }`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Parses migration files named `NNNN_name.sql` into ordered migrations.
 * Runtimes load the files (from disk, or bundled as text on Workers) and call this.
 */
export function parseMigrations(files: Record<string, string>): Migration[] {
  const out: Migration[] = [];
  for (const [file, sql] of Object.entries(files)) {
    const base = file.split("/").pop() ?? file;
    const m = /^(\d+)_([a-z0-9_-]+)\.sql$/i.exec(base);
    if (!m) throw new Error(`migration file name must look like 0001_name.sql: ${file}`);
    out.push({ version: Number(m[1]), name: m[2]!, sql });
  }
  out.sort((a, b) => a.version - b.version);
  out.forEach((m, i) => {
    if (i > 0 && out[i - 1]!.version === m.version) throw new Error(`duplicate migration version ${m.version}`);
  });
  return out;
}

/**
 * Splits a migration script into statements. Trigger bodies contain `;`, so a
 * statement only ends at a `;` line end outside a BEGIN … END block.
 */
export function splitStatements(sql: string): string[] {
  const stmts: string[] = [];
  let buf: string[] = [];
  let inBody = false;
  for (const raw of sql.split("\n")) {
    const line = raw.replace(/--.*$/, "").trimEnd();
    if (!line.trim()) continue;
    buf.push(line);
    if (/^\s*BEGIN\s*$/i.test(line)) inBody = true;
    if (inBody && /^\s*END;\s*$/i.test(line)) inBody = false;
    if (!inBody && line.endsWith(";")) {
      stmts.push(buf.join("\n"));
      buf = [];
    }
  }
  if (buf.join("").trim()) stmts.push(buf.join("\n"));
  return stmts;
}

/** Applies pending migrations; each migration and its bookkeeping row commit together. */
export async function migrate(db: Client, migrations: Migration[]): Promise<void> {
  await db.execute(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
  );
  const rs = await db.execute("SELECT version FROM schema_migrations");
  const applied = new Set(rs.rows.map((r) => Number(r.version)));
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    try {
      await db.batch(
        [
          ...splitStatements(m.sql),
          { sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", args: [m.version, m.name, new Date().toISOString()] },
        ],
        "write",
      );
    } catch (e) {
      // Another process may have applied it concurrently; that is fine.
      const again = await db.execute({ sql: "SELECT 1 FROM schema_migrations WHERE version = ?", args: [m.version] });
      if (again.rows.length === 0) throw e;
    }
  }
}

/** A guard statement for a write batch: the whole batch aborts with ConflictError(code) if `condition` is false. */
export function guard(code: string, condition: string, args: SqlValue[]): InStatement {
  return { sql: `INSERT INTO write_guard (ok, name) SELECT (${condition}), ?`, args: [...args, code] };
}

/** Maps a libSQL error to a domain error: constraint/guard → 409, anything else → 503. */
export function mapStoreError(e: unknown, guardCode?: string): Error {
  // Already mapped (a deadline, or a store function's own mapping): keep its code.
  if (e instanceof StoreUnavailableError || e instanceof ConflictError) return e;
  const err = e as { code?: string; message?: string; rawCode?: number };
  const code = String(err?.code ?? "");
  const msg = String(err?.message ?? "");
  if (msg.includes("guard_failed")) {
    return new ConflictError(guardCode ?? "concurrent_modification", "The resource changed concurrently; reload it and retry.");
  }
  if (code.startsWith("SQLITE_CONSTRAINT") || /constraint failed/i.test(msg)) {
    return new ConflictError("constraint_violation", "The request conflicts with existing data.");
  }
  return new StoreUnavailableError(e);
}

/**
 * Runs statements in one atomic write batch. Every multi-statement change goes
 * through here so that it commits whole or not at all.
 */
export async function writeBatch(db: Client, stmts: InStatement[], guardCode?: string): Promise<ResultSet[]> {
  try {
    return await db.batch(stmts, "write");
  } catch (e) {
    throw mapStoreError(e, guardCode);
  }
}

/** Runs a read, mapping failures to StoreUnavailableError. */
export async function read(db: Client, stmt: InStatement): Promise<ResultSet> {
  try {
    return await db.execute(stmt);
  } catch (e) {
    throw mapStoreError(e);
  }
}

/** JSON column helper: parses a stored JSON text column (null stays null). */
export function json<T = unknown>(v: unknown): T | null {
  return v === null || v === undefined ? null : (JSON.parse(String(v)) as T);
}

/**
 * Outcome of one operation, as the deadline wrapper saw it: the database
 * answered, failed (refused, I/O, corrupt: quickly), or ran into the deadline.
 */
export type StoreOutcome = "answered" | "failed" | "timed_out";

/**
 * True when an error means the database did answer (a constraint, a guard, a
 * chain-head race, a statement error): the store is up, the request was refused.
 * Deadlines, locks, I/O, corruption and transport failures are not answers.
 */
export function isDatabaseAnswer(e: unknown): boolean {
  if (e instanceof ConflictError) return true;
  if (e instanceof StoreUnavailableError) return false;
  const err = e as { code?: unknown; message?: unknown };
  const code = String(err?.code ?? "");
  const msg = String(err?.message ?? "");
  if (/guard_failed|chain_conflict/.test(msg)) return true;
  if (code.startsWith("SQLITE_CONSTRAINT") || /constraint failed/i.test(msg)) return true;
  return code === "SQLITE_ERROR";
}

/**
 * Bounds every operation of `client` by `timeoutMs`: past it the call rejects
 * with StoreUnavailableError (503) — the event loop is never held by one
 * database. An `abortable` client is told through its signal and settles itself
 * (so an abandoned write is known not to have committed); any other client is
 * abandoned where it stands, its late answer dropped. A write that timed out is
 * therefore never reported as success; against a remote server it may still
 * land later, the ambiguity every network write has, and its caller saw a 503.
 * Errors other than the deadline pass through unchanged for mapStoreError.
 */
export function withDeadline(client: SqlClient, timeoutMs: number, onOutcome: (o: StoreOutcome) => void = () => {}): SqlClient {
  function bounded<T>(run: (opts?: CallOptions) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      const settle = (outcome: StoreOutcome, f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        onOutcome(outcome);
        f();
      };
      const timer = setTimeout(() => {
        const deadline = new StoreUnavailableError(new Error(`store operation exceeded its ${timeoutMs} ms deadline`));
        ac.abort(deadline);
        timedOut = true;
        if (!client.abortable) settle("timed_out", () => reject(deadline));
      }, timeoutMs);
      let p: Promise<T>;
      try {
        p = client.abortable ? run({ signal: ac.signal }) : run();
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(
        (v) => settle("answered", () => resolve(v)),
        (e) => settle(timedOut ? "timed_out" : isDatabaseAnswer(e) ? "answered" : "failed", () => reject(e)),
      );
    });
  }
  // Not `abortable` itself: it settles on its own deadline, not on a caller's signal.
  return {
    execute: (stmt) => bounded((o) => (o ? client.execute(stmt, o) : client.execute(stmt))),
    batch: (stmts, mode) => bounded((o) => (o ? client.batch(stmts, mode, o) : client.batch(stmts, mode))),
    close: () => client.close(),
  };
}
