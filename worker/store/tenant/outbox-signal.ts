/**
 * @module store/tenant/outbox-signal
 * After a write that queued alerts commits, the store signals it here; the
 * delivery loop (services/alerts, installed by createApp) listens. The store
 * never delivers anything itself and never waits for delivery.
 */

type Listener = (store: unknown, tenantId: string) => void;
let listener: Listener | null = null;

/** Sets the one listener (the delivery loop); null removes it. */
export function onOutboxWritten(l: Listener | null): void {
  listener = l;
}

/** Called by the store after a commit that inserted outbox rows. Never throws. */
export function signalOutbox(store: unknown, tenantId: string): void {
  try {
    listener?.(store, tenantId);
  } catch {
    // Delivery problems must never reach the request that caused the alert.
  }
}
