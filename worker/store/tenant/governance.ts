/**
 * @module store/tenant/governance
 * Tenant settings (the fairness policy) and fairness overrides.
 */
import type { OverrideView } from "../../domain/gate.js";
import type { FairnessPolicy } from "../../domain/policy.js";
import { type Client, type InStatement, guard, json, read } from "../sql.js";

export interface OverrideRecord extends OverrideView {
  requestedAt: string;
  approvedAt: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
  revokeReason: string | null;
}

function overrideFrom(r: Record<string, unknown>): OverrideRecord {
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    id: String(r.id),
    flowId: s(r.flow_id),
    reason: String(r.reason),
    expiresAt: String(r.expires_at),
    status: String(r.status) as OverrideRecord["status"],
    requestedBy: String(r.requested_by),
    requestedAt: String(r.requested_at),
    approvedBy: s(r.approved_by),
    approvedAt: s(r.approved_at),
    revokedBy: s(r.revoked_by),
    revokedAt: s(r.revoked_at),
    revokeReason: s(r.revoke_reason),
  };
}

/** Settings and override queries / statement builders for one tenant. */
export function createGovernanceStore(db: Client, tenantId: string) {
  return {
    async getPolicy(): Promise<FairnessPolicy | null> {
      const rs = await read(db, { sql: "SELECT fairness_policy FROM tenant_settings WHERE tenant_id = ?", args: [tenantId] });
      return rs.rows[0] ? json<FairnessPolicy>(rs.rows[0].fairness_policy) : null;
    },
    putPolicyStmt(policy: FairnessPolicy, actor: string, now: string): InStatement {
      return {
        sql: `INSERT INTO tenant_settings (tenant_id, fairness_policy, updated_at, updated_by) VALUES (?, ?, ?, ?)
              ON CONFLICT (tenant_id) DO UPDATE SET fairness_policy = excluded.fairness_policy, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        args: [tenantId, JSON.stringify(policy), now, actor],
      };
    },
    async getOverride(id: string): Promise<OverrideRecord | null> {
      const rs = await read(db, { sql: "SELECT * FROM fairness_overrides WHERE tenant_id = ? AND id = ?", args: [tenantId, id] });
      return rs.rows[0] ? overrideFrom(rs.rows[0]) : null;
    },
    async listOverrides(filter: { status?: string; flowId?: string } = {}): Promise<OverrideRecord[]> {
      const rs = await read(db, {
        sql: `SELECT * FROM fairness_overrides WHERE tenant_id = ?
              AND (? IS NULL OR status = ?) AND (? IS NULL OR flow_id = ?) ORDER BY requested_at DESC, id`,
        args: [tenantId, filter.status ?? null, filter.status ?? null, filter.flowId ?? null, filter.flowId ?? null],
      });
      return rs.rows.map(overrideFrom);
    },
    /** Overrides that could apply to `flowId` (flow-specific or tenant-wide, approved). */
    async activeOverridesFor(flowId: string): Promise<OverrideRecord[]> {
      const rs = await read(db, {
        sql: "SELECT * FROM fairness_overrides WHERE tenant_id = ? AND status = 'active' AND (flow_id IS NULL OR flow_id = ?)",
        args: [tenantId, flowId],
      });
      return rs.rows.map(overrideFrom);
    },
    /**
     * Approved overrides that ended (expired by `nowIso`, or revoked) and have not
     * been swept yet, oldest end first, at most `limit`.
     */
    async endedUnsweptOverrides(nowIso: string, limit: number): Promise<OverrideRecord[]> {
      const rs = await read(db, {
        sql: `SELECT o.* FROM fairness_overrides o
              WHERE o.tenant_id = ? AND o.approved_at IS NOT NULL
                AND ((o.status = 'active' AND o.expires_at <= ?) OR o.status = 'revoked')
                AND NOT EXISTS (SELECT 1 FROM override_sweeps s WHERE s.tenant_id = o.tenant_id AND s.override_id = o.id)
              ORDER BY COALESCE(o.revoked_at, o.expires_at), o.id LIMIT ?`,
        args: [tenantId, nowIso, limit],
      });
      return rs.rows.map(overrideFrom);
    },
    /** Marks an ended override as swept (a second mark is a no-op). */
    overrideSweptStmt(overrideId: string, now: string): InStatement {
      return {
        sql: "INSERT INTO override_sweeps (tenant_id, override_id, swept_at) VALUES (?, ?, ?) ON CONFLICT (tenant_id, override_id) DO NOTHING",
        args: [tenantId, overrideId, now],
      };
    },
    insertOverrideStmt(o: OverrideRecord): InStatement {
      return {
        sql: `INSERT INTO fairness_overrides (tenant_id, id, flow_id, reason, expires_at, status, requested_by, requested_at)
              VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
        args: [tenantId, o.id, o.flowId, o.reason, o.expiresAt, o.requestedBy, o.requestedAt],
      };
    },
    /** Approval statements; the batch aborts unless the override is still pending. */
    approveStmts(id: string, approvedBy: string, now: string): InStatement[] {
      return [
        guard("override_not_pending", "EXISTS (SELECT 1 FROM fairness_overrides WHERE tenant_id = ? AND id = ? AND status = 'pending')", [tenantId, id]),
        {
          sql: "UPDATE fairness_overrides SET status = 'active', approved_by = ?, approved_at = ? WHERE tenant_id = ? AND id = ?",
          args: [approvedBy, now, tenantId, id],
        },
      ];
    },
    /** Revocation statements; the batch aborts if the override was already revoked. */
    revokeStmts(id: string, revokedBy: string, reason: string | null, now: string): InStatement[] {
      return [
        guard("override_already_revoked", "EXISTS (SELECT 1 FROM fairness_overrides WHERE tenant_id = ? AND id = ? AND status <> 'revoked')", [tenantId, id]),
        {
          sql: "UPDATE fairness_overrides SET status = 'revoked', revoked_by = ?, revoked_at = ?, revoke_reason = ? WHERE tenant_id = ? AND id = ?",
          args: [revokedBy, now, reason, tenantId, id],
        },
      ];
    },
  };
}
export type GovernanceStore = ReturnType<typeof createGovernanceStore>;
