/**
 * @module test/helpers/tenant-writes
 * Wraps the app's deps so that one tenant's `store.write` goes through a test's
 * interceptor (fault injection, a concurrent edit at the worst moment). The real
 * store still does the writing; the interceptor only decides what it is given.
 */
import type { AppDeps } from "../../worker/http/types.js";
import type { InStatement, ResultSet } from "../../worker/store/sql.js";

export type WriteInterceptor = (tenantId: string, stmts: InStatement[], write: (stmts: InStatement[]) => Promise<ResultSet[]>) => Promise<ResultSet[]>;

/** `deps` with every tenant store's write passed through `intercept`. */
export function interceptTenantWrites(deps: AppDeps, intercept: WriteInterceptor): AppDeps {
  const tenants = deps.tenants;
  return {
    ...deps,
    tenants: {
      ...tenants,
      async get(t) {
        const h = await tenants.get(t);
        const write = (stmts: InStatement[], guardCode?: string) => intercept(t.id, stmts, (s) => h.store.write(s, guardCode));
        return { ...h, store: { ...h.store, write } };
      },
    },
  };
}

/** A statement that makes any batch it joins fail (after the real statements ran). */
export const FAILING_STATEMENT = "INSERT INTO no_such_table VALUES (1)";
