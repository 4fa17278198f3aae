/**
 * @module services/alert-drain
 * Bounded drains of the alert outbox, for triggers that must end: the daily
 * scheduled run and the HTTP cron route (every tenant), and on Workers the
 * `waitUntil` after a request that queued alerts (the tenants it touched).
 *
 * The background loop (services/alerts `installAlertDelivery`) needs a process
 * that outlives requests, which Workers do not have; and on Node or Deno a
 * restart forgets its retry timers. These drains close both gaps. They use the
 * same per-row bookkeeping as the loop (attempts, backoff, a guarded update), so
 * delivery stays at-least-once whoever drains, and a row that is not due yet is
 * left for its retry time.
 */
import { AppError } from "../domain/errors.js";
import type { ControlStore } from "../store/control-store.js";
import type { TenantRegistry } from "../store/tenant-registry.js";
import type { OutboxSignal } from "../store/tenant/outbox-signal.js";
import type { TenantStore } from "../store/tenant-store.js";
import { DEFAULT_DELIVERY, type DeliveryOptions, type DrainCounts, drainAlerts } from "./alerts.js";

/** What the cron triggers report about delivery. */
export interface DrainReport extends DrainCounts {
  tenants: number;
  failedTenants: { tenantId: string; error: string }[];
  /** True when the budget ran out with rows still due: the next trigger continues. */
  stoppedEarly: boolean;
}

/** Wall time a cron-triggered drain may take (the HTTP caller and the scheduled invocation wait for it). */
export const CRON_DRAIN_BUDGET_MS = 20_000;
/**
 * Wall time of the drain after a Worker request: Workers keep `waitUntil` work
 * alive for 30 s after the response, so this leaves room for the last attempt's
 * timeout and its bookkeeping write.
 */
export const AFTER_REQUEST_DRAIN_BUDGET_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STATUSES = ["pending", "delivered", "failed", "skipped"] as const;
const add = (a: DrainCounts, b: DrainCounts) => {
  for (const k of STATUSES) a[k] += b[k];
};

/**
 * Drains every tenant's due alerts once, tenant by tenant, within `budgetMs`.
 * A tenant whose store fails is reported and skipped; the others go on.
 */
export async function drainAllTenants(
  deps: { control: ControlStore; tenants: TenantRegistry },
  opts: { budgetMs?: number; delivery?: Partial<DeliveryOptions>; onTenantError?: (tenantId: string, e: unknown) => void } = {},
): Promise<DrainReport> {
  const o = { ...DEFAULT_DELIVERY, ...opts.delivery };
  const deadline = o.now() + (opts.budgetMs ?? CRON_DRAIN_BUDGET_MS);
  const report: DrainReport = { tenants: 0, pending: 0, delivered: 0, failed: 0, skipped: 0, failedTenants: [], stoppedEarly: false };
  for (const t of await deps.control.listTenants()) {
    if (o.now() + o.timeoutMs > deadline) {
      report.stoppedEarly = true;
      break;
    }
    report.tenants++;
    try {
      const { store } = await deps.tenants.get(t);
      add(report, await drainAlerts(store, { ...o, deadline }));
      if (o.now() + o.timeoutMs > deadline && ((await store.alerts.nextDue()) ?? Infinity) <= o.now()) report.stoppedEarly = true;
    } catch (e) {
      opts.onTenantError?.(t.id, e);
      report.failedTenants.push({ tenantId: t.id, error: e instanceof AppError ? e.code : "internal_error" });
    }
  }
  return report;
}

/**
 * Drains one tenant until nothing is due before `deadline`, waiting out the
 * short first retries (0.5 s, 2 s, 8 s by default) when they fall inside it.
 * Later retries stay pending for the next drain. Never throws: a failing store
 * leaves the rows pending, which is what the outbox is for.
 */
export async function drainTenantWithin(store: TenantStore, deadline: number, delivery: Partial<DeliveryOptions> = {}): Promise<DrainCounts> {
  const o = { ...DEFAULT_DELIVERY, ...delivery };
  const total: DrainCounts = { pending: 0, delivered: 0, failed: 0, skipped: 0 };
  try {
    for (;;) {
      add(total, await drainAlerts(store, { ...o, deadline }));
      const next = await store.alerts.nextDue();
      // Due rows the deadline kept from being tried count as "later" too, or this would spin.
      if (next === null || Math.max(next, o.now()) + o.timeoutMs > deadline) return total;
      await sleep(Math.max(0, next - o.now()));
    }
  } catch {
    return total;
  }
}

/**
 * Collects the tenants whose commits queued alerts, for a runtime that drains
 * after the request instead of in a background loop (Workers: `ctx.waitUntil`).
 * Installs itself as the store's outbox listener — one per process, like the loop.
 */
export function createOutboxCollector(outbox: OutboxSignal) {
  const queued = new Map<string, TenantStore>();
  outbox.listen((store, tenantId) => queued.set(tenantId, store));
  return {
    /** The stores signalled since the last call (each once), and forgets them. */
    take(): TenantStore[] {
      const out = [...queued.values()];
      queued.clear();
      return out;
    },
  };
}
export type OutboxCollector = ReturnType<typeof createOutboxCollector>;

/** Drains the given tenants one after the other within `budgetMs`; for `waitUntil`. */
export async function drainQueued(stores: TenantStore[], budgetMs = AFTER_REQUEST_DRAIN_BUDGET_MS, delivery: Partial<DeliveryOptions> = {}): Promise<DrainCounts> {
  const o = { ...DEFAULT_DELIVERY, ...delivery };
  const deadline = o.now() + budgetMs;
  const total: DrainCounts = { pending: 0, delivered: 0, failed: 0, skipped: 0 };
  for (const s of stores) add(total, await drainTenantWithin(s, deadline, o));
  return total;
}
