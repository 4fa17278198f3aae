/**
 * @module store/tenant/alerts
 * The tenant's webhook settings and the alert outbox (which doubles as the
 * delivery log). Outbox rows are inserted in the batch of the event itself.
 */
import type { AlertSettings } from "../../domain/alerts.js";
import { type Client, type InStatement, json, read } from "../sql.js";

export interface OutboxRow {
  id: string;
  event: string;
  tier: string;
  payload: unknown;
  status: "pending" | "delivered" | "failed" | "skipped";
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

function fromRow(r: Record<string, unknown>): OutboxRow {
  return {
    id: String(r.id),
    event: String(r.event),
    tier: String(r.tier),
    payload: json(r.payload),
    status: String(r.status) as OutboxRow["status"],
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastError: r.last_error === null ? null : String(r.last_error),
    createdAt: String(r.created_at),
    deliveredAt: r.delivered_at === null ? null : String(r.delivered_at),
  };
}

/** Alert settings and outbox for one tenant. */
export function createAlertStore(db: Client, tenantId: string) {
  return {
    async getSettings(): Promise<AlertSettings | null> {
      const rs = await read(db, { sql: "SELECT * FROM alert_settings WHERE tenant_id = ?", args: [tenantId] });
      const r = rs.rows[0];
      if (!r) return null;
      return {
        webhookUrl: String(r.webhook_url),
        secret: String(r.secret),
        minTier: String(r.min_tier) as AlertSettings["minTier"],
        ...(r.report_base_url ? { reportBaseUrl: String(r.report_base_url) } : {}),
      };
    },
    putSettingsStmt(s: AlertSettings | null, actor: string, now: string): InStatement {
      if (s === null) return { sql: "DELETE FROM alert_settings WHERE tenant_id = ?", args: [tenantId] };
      return {
        sql: `INSERT INTO alert_settings (tenant_id, webhook_url, secret, min_tier, report_base_url, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)
              ON CONFLICT (tenant_id) DO UPDATE SET webhook_url = excluded.webhook_url, secret = excluded.secret, min_tier = excluded.min_tier,
              report_base_url = excluded.report_base_url, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        args: [tenantId, s.webhookUrl, s.secret, s.minTier, s.reportBaseUrl ?? null, now, actor],
      };
    },
    enqueueStmt(id: string, event: string, tier: string, payload: unknown, now: string, nowMs: number): InStatement {
      return {
        sql: "INSERT INTO alert_outbox (tenant_id, id, event, tier, payload, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
        args: [tenantId, id, event, tier, JSON.stringify(payload), nowMs, now],
      };
    },
    /** Pending rows due at `nowMs`, oldest first. */
    async due(nowMs: number, limit: number): Promise<OutboxRow[]> {
      const rs = await read(db, {
        sql: "SELECT * FROM alert_outbox WHERE tenant_id = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
        args: [tenantId, nowMs, limit],
      });
      return rs.rows.map(fromRow);
    },
    /** The earliest next attempt of any pending row, or null. */
    async nextDue(): Promise<number | null> {
      const rs = await read(db, { sql: "SELECT min(next_attempt_at) AS t FROM alert_outbox WHERE tenant_id = ? AND status = 'pending'", args: [tenantId] });
      const t = rs.rows[0]?.t;
      return t === null || t === undefined ? null : Number(t);
    },
    /** Records one attempt; only a row still pending at `attempts` is changed (two drainers never both count it). */
    attemptStmt(row: OutboxRow, result: { status: OutboxRow["status"]; nextAttemptAt: number; lastStatus: number | null; lastError: string | null; deliveredAt: string | null }): InStatement {
      return {
        sql: `UPDATE alert_outbox SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ?, delivered_at = ?
              WHERE tenant_id = ? AND id = ? AND status = 'pending' AND attempts = ?`,
        args: [result.status, result.nextAttemptAt, result.lastStatus, result.lastError, result.deliveredAt, tenantId, row.id, row.attempts],
      };
    },
    async list(filter: { status?: string; limit: number }): Promise<OutboxRow[]> {
      const rs = await read(db, {
        sql: "SELECT * FROM alert_outbox WHERE tenant_id = ? AND (? IS NULL OR status = ?) ORDER BY created_at DESC, id LIMIT ?",
        args: [tenantId, filter.status ?? null, filter.status ?? null, filter.limit],
      });
      return rs.rows.map(fromRow);
    },
  };
}
export type AlertStore = ReturnType<typeof createAlertStore>;
