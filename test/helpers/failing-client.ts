/**
 * @module test/helpers/failing-client
 * A fake beside the real libSQL client: delegates everything, but fails the write
 * batches `refuse` picks the way a lost connection does (SQLITE_IOERR, not a
 * constraint error) — for the fail-closed and all-or-nothing suites.
 */
import type { Client, InStatement } from "../../worker/store/sql.js";

/** The SQL text of a statement. */
export const sqlOf = (s: InStatement) => (typeof s === "string" ? s : s.sql);

/** `c`, with every batch for which `refuse(stmts, mode)` is true failing before it runs. */
export function failingBatches(c: Client, refuse: (stmts: InStatement[], mode?: "write" | "read" | "deferred") => boolean): Client {
  return new Proxy(c, {
    get(target, prop, recv) {
      if (prop === "batch")
        return async (stmts: InStatement[], mode?: "write" | "read" | "deferred") => {
          if (refuse(stmts, mode)) throw Object.assign(new Error("SQLITE_IOERR: disk I/O error"), { code: "SQLITE_IOERR" });
          return target.batch(stmts, mode);
        };
      const v = Reflect.get(target, prop, recv);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
