/**
 * @module services/alerts
 * Alert webhooks: the tenant's settings, and the delivery loop that drains the
 * outbox. Delivery is at-least-once (the `Fairgate-Delivery` id lets a receiver
 * drop duplicates), signed with HMAC-SHA256, retried with exponential backoff,
 * and never on the path of the request that caused the alert: the event's write
 * only inserts the outbox row; the loop runs afterwards, in the background.
 * Runtimes without a long-lived process (Workers) drain with bounded calls
 * instead: see services/alert-drain.
 */
import { type AlertSettings, signAlert } from "../domain/alerts.js";
import type { OutboxRow } from "../store/tenant/alerts.js";
import type { OutboxSignal } from "../store/tenant/outbox-signal.js";
import type { InStatement } from "../store/sql.js";
import type { TenantStore } from "../store/tenant-store.js";
import { withActor } from "./audit.js";
import type { Actor, ServiceDeps } from "./context.js";

export interface DeliveryOptions {
  fetch: typeof fetch;
  now: () => number;
  /** First retry delay; each further retry waits 4× longer (capped at an hour). */
  baseBackoffMs: number;
  maxAttempts: number;
  timeoutMs: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  fetch: (...a) => fetch(...a),
  now: () => Date.now(),
  baseBackoffMs: 500,
  maxAttempts: 6,
  timeoutMs: 5_000,
};

/** Delay before retry `attempt` (1-based). */
export const backoffMs = (o: DeliveryOptions, attempt: number) => Math.min(3_600_000, o.baseBackoffMs * 4 ** (attempt - 1));

async function deliverOne(store: TenantStore, settings: AlertSettings | null, row: OutboxRow, o: DeliveryOptions): Promise<OutboxRow["status"]> {
  const nowMs = o.now();
  if (!settings) {
    // The webhook was removed after the alert was queued: keep the log entry, send nothing.
    await store.write([store.alerts.attemptStmt(row, { status: "skipped", nextAttemptAt: nowMs, lastStatus: null, lastError: "no webhook configured", deliveredAt: null })]);
    return "skipped";
  }
  const body = JSON.stringify(row.payload);
  let status: number | null = null;
  let error: string | null = null;
  try {
    const res = await o.fetch(settings.webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "fairgate-event": row.event,
        "fairgate-delivery": row.id,
        "fairgate-signature": await signAlert(settings.secret, Math.floor(nowMs / 1000), body),
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    status = res.status;
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) error = `HTTP ${res.status}`;
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 300) : "delivery failed";
  }
  const attempt = row.attempts + 1;
  const result: OutboxRow["status"] = error === null ? "delivered" : attempt >= o.maxAttempts ? "failed" : "pending";
  await store.write([
    store.alerts.attemptStmt(row, {
      status: result,
      nextAttemptAt: result === "pending" ? nowMs + backoffMs(o, attempt) : nowMs,
      lastStatus: status,
      lastError: error,
      deliveredAt: result === "delivered" ? new Date(nowMs).toISOString() : null,
    }),
  ]);
  return result;
}

/** What one drain did, by the status each attempted row ended in ("pending": failed, will be retried). */
export type DrainCounts = Record<OutboxRow["status"], number>;

/**
 * Attempts every due outbox row of one tenant once. With `deadline` (epoch ms),
 * no attempt starts that could still be running then; the rows left stay
 * pending, untouched, for the next drain.
 */
export async function drainAlerts(store: TenantStore, opts: Partial<DeliveryOptions> & { deadline?: number } = {}): Promise<DrainCounts> {
  const o = { ...DEFAULT_DELIVERY, ...opts };
  const counts: DrainCounts = { pending: 0, delivered: 0, failed: 0, skipped: 0 };
  const settings = await store.alerts.getSettings();
  for (;;) {
    const rows = await store.alerts.due(o.now(), 50);
    for (const row of rows) {
      if (opts.deadline !== undefined && o.now() + o.timeoutMs > opts.deadline) return counts;
      counts[await deliverOne(store, settings, row, o)]++;
    }
    if (rows.length < 50) return counts;
  }
}

/**
 * Installs the in-process delivery loop: each commit that queued alerts kicks a
 * drain of that tenant, and a timer re-kicks at the next retry. Errors are
 * swallowed (the rows stay pending and are retried). Returns an uninstaller.
 */
export function installAlertDelivery(outbox: OutboxSignal, opts: Partial<DeliveryOptions> = {}): () => void {
  const o = { ...DEFAULT_DELIVERY, ...opts };
  const state = new Map<string, { running: boolean; again: boolean; timer: ReturnType<typeof setTimeout> | null }>();
  const kick = (store: TenantStore) => {
    let s = state.get(store.tenantId);
    if (!s) state.set(store.tenantId, (s = { running: false, again: false, timer: null }));
    if (s.running) {
      s.again = true;
      return;
    }
    s.running = true;
    const st = s;
    void (async () => {
      try {
        do {
          st.again = false;
          await drainAlerts(store, o);
        } while (st.again);
        const next = await store.alerts.nextDue();
        if (st.timer) clearTimeout(st.timer);
        st.timer = null;
        if (next !== null) {
          st.timer = setTimeout(() => kick(store), Math.max(10, next - o.now()));
          (st.timer as { unref?: () => void }).unref?.();
        }
      } catch {
        // Store unavailable: the rows stay pending; the next commit or timer retries.
      } finally {
        st.running = false;
      }
    })();
  };
  const stop = outbox.listen((store) => kick(store));
  return () => {
    stop();
    for (const s of state.values()) if (s.timer) clearTimeout(s.timer);
  };
}

/**
 * The statements that set (or, with null, remove) the tenant's webhook and audit
 * it without the secret. The caller commits them in the batch of the policy
 * change, so a settings update is all or nothing.
 */
export function alertSettingsStmts(deps: ServiceDeps, store: TenantStore, actor: Actor, settings: AlertSettings | null): InStatement[] {
  const now = deps.clock().toISOString();
  const redacted = settings ? { webhookUrl: settings.webhookUrl, minTier: settings.minTier, reportBaseUrl: settings.reportBaseUrl ?? null } : null;
  return [
    store.alerts.putSettingsStmt(settings, actor.name, now),
    store.evidence.auditStmt(deps.newId(), { entityType: "tenant_settings", entityId: store.tenantId, action: "alerts_update", actor: actor.name, after: redacted, details: withActor({}, actor) }, now),
  ];
}

/** The settings as shown to readers: never the secret. */
export function publicAlertSettings(s: AlertSettings | null) {
  return s ? { webhookUrl: s.webhookUrl, minTier: s.minTier, reportBaseUrl: s.reportBaseUrl ?? null, secretSet: true } : null;
}
