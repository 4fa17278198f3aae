/**
 * @module store/tenant/outbox-signal
 * After a write that queued alerts commits, the store signals it here; delivery
 * (the in-process loop on Node/Deno, the after-response collector on Workers)
 * listens. One instance per set of dependencies — built in build-deps and handed
 * to the tenant registry — so two apps in one process never share listeners.
 * The store never delivers anything itself and never waits for delivery.
 */
import type { TenantStore } from "../tenant-store.js";

export type OutboxListener = (store: TenantStore, tenantId: string) => void;

/** Creates a signal with any number of listeners. */
export function createOutboxSignal() {
  const listeners = new Set<OutboxListener>();
  return {
    /** Adds a listener; returns its remover. */
    listen(l: OutboxListener): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    /** Called by the store after a commit that inserted outbox rows. Never throws. */
    signal(store: TenantStore, tenantId: string): void {
      for (const l of listeners) {
        try {
          l(store, tenantId);
        } catch {
          // Delivery problems must never reach the request that caused the alert.
        }
      }
    },
  };
}
export type OutboxSignal = ReturnType<typeof createOutboxSignal>;
