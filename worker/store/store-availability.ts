/**
 * @module store/store-availability
 * Which tenant stores are failing, learnt from their recent operations, and a
 * short circuit for them: after a failure (deadline, lock, I/O, corruption,
 * transport) the tenant's operations fail fast with 503 for a cool-down, then one
 * probe at a time goes through; a probe that answers clears the mark. So a locked
 * or hung database costs its tenant one deadline, not one per queued request,
 * and its requests do not pile up behind it. Per registry instance; no globals.
 */
import { StoreUnavailableError } from "../domain/errors.js";
import { type Client, type StoreOutcome, withDeadline } from "./sql.js";

export interface StoreAvailabilityOptions {
  /** Deadline of one operation (store/sql withDeadline). */
  timeoutMs: number;
  /** How long after a failure every operation fails fast before a probe is let through. */
  coolDownMs?: number;
  now?: () => number;
}

const DEFAULT_COOL_DOWN_MS = 1_000;

export function createStoreAvailability(opts: StoreAvailabilityOptions) {
  const now = opts.now ?? (() => Date.now());
  const coolDownMs = opts.coolDownMs ?? Math.min(DEFAULT_COOL_DOWN_MS, opts.timeoutMs);
  const failedAt = new Map<string, number>();
  const probing = new Set<string>();
  /** The wrapped client of each store, for readiness probes of failed ones. */
  const clients = new Map<string, Client>();
  const fast = () => new StoreUnavailableError(new Error("the tenant store failed recently; failing fast until a probe answers"));

  const coolingDown = (id: string) => {
    const at = failedAt.get(id);
    return at !== undefined && now() - at < coolDownMs;
  };
  const settle = (id: string) => (o: StoreOutcome) => {
    if (o === "answered") failedAt.delete(id);
    else failedAt.set(id, now());
  };

  return {
    /** True while `id` failed less than a cool-down ago (callers skip even opening it). */
    coolingDown,
    /** Records a failure outside an operation (a database that could not be opened). */
    markFailed(id: string): void {
      failedAt.set(id, now());
    },
    /** `client` bounded by the deadline, its outcomes recorded, short-circuited while `id` is failing. */
    wrap(id: string, client: Client): Client {
      const bounded = withDeadline(client, opts.timeoutMs, settle(id));
      const gate = <T>(run: () => Promise<T>): Promise<T> => {
        if (!failedAt.has(id)) return run();
        if (probing.has(id) || coolingDown(id)) return Promise.reject(fast());
        probing.add(id);
        return run().finally(() => probing.delete(id));
      };
      const wrapped: Client = {
        execute: (stmt) => gate(() => bounded.execute(stmt)),
        batch: (stmts, mode) => gate(() => bounded.batch(stmts, mode)),
        close: () => {
          if (clients.get(id) === wrapped) clients.delete(id);
          bounded.close();
        },
      };
      clients.set(id, wrapped);
      return wrapped;
    },
    /**
     * Lets one probe through to each failed store whose cool-down has passed, so
     * a store that recovered is cleared without waiting for its tenant's traffic.
     * The probe is a write transaction: a file locked against writers stays failed.
     * Fire and forget; the outcome lands through the deadline wrapper.
     */
    probeFailed(): void {
      for (const id of failedAt.keys()) {
        const c = clients.get(id);
        if (!c || probing.has(id) || coolingDown(id)) continue;
        c.batch([{ sql: "SELECT 1" }], "write").catch(() => {});
      }
    },
    /** How many stores failed their latest operation (never which: readiness is unauthenticated). */
    unavailableCount(): number {
      return failedAt.size;
    },
  };
}
export type StoreAvailability = ReturnType<typeof createStoreAvailability>;
