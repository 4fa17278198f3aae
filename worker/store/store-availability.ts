/**
 * @module store/store-availability
 * Which tenant stores are failing, learnt from their recent operations, and a
 * short circuit for the slow ones. Any failure (deadline, lock, I/O, corruption,
 * transport) marks the store unavailable until an operation answers. A store
 * that ran into the deadline (locked, hung) is also short-circuited: its
 * operations fail fast with 503 for a cool-down, then one probe at a time goes
 * through. So a hung database costs its tenant one deadline, not one per queued
 * request, and requests do not pile up behind it; a store that fails quickly
 * (refused connection) is simply tried again, so it recovers on the next request.
 * Per registry instance; no globals.
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
  /** When each failing store last failed, and whether that failure was slow (a deadline). */
  const failedAt = new Map<string, { at: number; slow: boolean }>();
  const probing = new Set<string>();
  /** Stores with a readiness probe in flight (at most one each, however often /readyz is asked). */
  const readinessProbes = new Set<string>();
  /** The wrapped client of each store, for readiness probes of failed ones. */
  const clients = new Map<string, Client>();
  const fast = () => new StoreUnavailableError(new Error("the tenant store failed recently; failing fast until a probe answers"));

  const coolingDown = (id: string) => {
    const f = failedAt.get(id);
    return f !== undefined && f.slow && now() - f.at < coolDownMs;
  };
  const settle = (id: string) => (o: StoreOutcome) => {
    if (o === "answered") failedAt.delete(id);
    else failedAt.set(id, { at: now(), slow: o === "timed_out" });
  };

  return {
    /** True while `id` failed less than a cool-down ago (callers skip even opening it). */
    coolingDown,
    /** Records a failure outside an operation (a database that could not be opened: not reopened during the cool-down). */
    markFailed(id: string): void {
      failedAt.set(id, { at: now(), slow: true });
    },
    /** `client` bounded by the deadline, its outcomes recorded, short-circuited while `id` is failing. */
    wrap(id: string, client: Client): Client {
      const bounded = withDeadline(client, opts.timeoutMs, settle(id));
      const gate = <T>(run: () => Promise<T>): Promise<T> => {
        if (!failedAt.get(id)?.slow) return run();
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
        if (!c || probing.has(id) || readinessProbes.has(id) || coolingDown(id)) continue;
        readinessProbes.add(id);
        c.batch([{ sql: "SELECT 1" }], "write")
          .catch(() => {})
          .finally(() => readinessProbes.delete(id));
      }
    },
    /** How many stores failed their latest operation (never which: readiness is unauthenticated). */
    unavailableCount(): number {
      return failedAt.size;
    },
  };
}
export type StoreAvailability = ReturnType<typeof createStoreAvailability>;
