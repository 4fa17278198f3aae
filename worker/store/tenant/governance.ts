/**
 * @module store/tenant/governance
 * Tenant settings (the fairness policy), fairness overrides and the decisions of
 * their approval stages (one row per decided stage, in order).
 */
import type { OverrideView } from "../../domain/gate.js";
import { StoredRecordError } from "../../domain/errors.js";
import { type Playbooks, playbooksSchema } from "../../domain/failure-class.js";
import { type ApprovalStage, DEFAULT_APPROVAL_STAGES, type FairnessPolicy } from "../../domain/policy.js";
import { type Client, type InStatement, guard, json, read } from "../sql.js";

export interface OverrideRecord extends OverrideView {
  requestedAt: string;
  approvedAt: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
  revokeReason: string | null;
  /** The approval stages this request must pass, in order (the policy's when it was requested). */
  stages: ApprovalStage[];
  rejectedBy: string | null;
  rejectedAt: string | null;
  rejectReason: string | null;
}

/** One decided approval stage. */
export interface StageDecision {
  stageIndex: number;
  stage: string;
  role: string;
  decision: "approve" | "reject";
  decidedBy: string;
  reason: string | null;
  decidedAt: string;
}

/** An override with its stage decisions and the stage waiting for a decision (null unless pending). */
export interface OverrideWithDecisions extends OverrideRecord {
  decisions: StageDecision[];
  currentStage: (ApprovalStage & { index: number }) | null;
}

function decisionFrom(r: Record<string, unknown>): StageDecision {
  return {
    stageIndex: Number(r.stage_index),
    stage: String(r.stage),
    role: String(r.role),
    decision: String(r.decision) as StageDecision["decision"],
    decidedBy: String(r.decided_by),
    reason: r.reason === null || r.reason === undefined ? null : String(r.reason),
    decidedAt: String(r.decided_at),
  };
}

/** Joins an override with its decisions (in stage order) and names the stage that is up. */
export function withDecisions(o: OverrideRecord, decisions: StageDecision[]): OverrideWithDecisions {
  const sorted = [...decisions].sort((a, b) => a.stageIndex - b.stageIndex);
  const next = o.stages[sorted.length];
  return { ...o, decisions: sorted, currentStage: o.status === "pending" && next ? { ...next, index: sorted.length } : null };
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
    // Requests made before stages existed (NULL) had the single default stage.
    stages: json<ApprovalStage[]>(r.approval_stages) ?? [...DEFAULT_APPROVAL_STAGES],
    rejectedBy: s(r.rejected_by),
    rejectedAt: s(r.rejected_at),
    rejectReason: s(r.reject_reason),
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
    /** The tenant's remediation playbooks as stored (null: none set, every class has its default). */
    async getPlaybooks(): Promise<Playbooks | null> {
      const rs = await read(db, { sql: "SELECT remediation_playbooks FROM tenant_settings WHERE tenant_id = ?", args: [tenantId] });
      const raw = rs.rows[0]?.remediation_playbooks;
      if (raw === null || raw === undefined) return null;
      let value: unknown;
      try {
        value = JSON.parse(String(raw));
      } catch {
        throw new StoredRecordError("remediation playbooks", ["not JSON"]);
      }
      const parsed = playbooksSchema.safeParse(value);
      if (!parsed.success) throw new StoredRecordError("remediation playbooks", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
      return parsed.data;
    },
    /** Sets (null: clears) the playbooks; runs after putPolicyStmt in the same batch, which guarantees the row. */
    putPlaybooksStmt(playbooks: Playbooks | null): InStatement {
      return { sql: "UPDATE tenant_settings SET remediation_playbooks = ? WHERE tenant_id = ?", args: [playbooks === null ? null : JSON.stringify(playbooks), tenantId] };
    },
    async getOverride(id: string): Promise<OverrideWithDecisions | null> {
      const rs = await read(db, { sql: "SELECT * FROM fairness_overrides WHERE tenant_id = ? AND id = ?", args: [tenantId, id] });
      if (!rs.rows[0]) return null;
      const ds = await read(db, { sql: "SELECT * FROM override_decisions WHERE tenant_id = ? AND override_id = ? ORDER BY stage_index", args: [tenantId, id] });
      return withDecisions(overrideFrom(rs.rows[0]), ds.rows.map(decisionFrom));
    },
    async listOverrides(filter: { status?: string; flowId?: string } = {}): Promise<OverrideWithDecisions[]> {
      const where = "tenant_id = ? AND (? IS NULL OR status = ?) AND (? IS NULL OR flow_id = ?)";
      const args = [tenantId, filter.status ?? null, filter.status ?? null, filter.flowId ?? null, filter.flowId ?? null];
      const rs = await read(db, { sql: `SELECT * FROM fairness_overrides WHERE ${where} ORDER BY requested_at DESC, id`, args });
      const ds = await read(db, {
        sql: `SELECT * FROM override_decisions WHERE tenant_id = ? AND override_id IN (SELECT id FROM fairness_overrides WHERE ${where}) ORDER BY override_id, stage_index`,
        args: [tenantId, ...args],
      });
      const byOverride = new Map<string, StageDecision[]>();
      for (const r of ds.rows) {
        const list = byOverride.get(String(r.override_id)) ?? [];
        list.push(decisionFrom(r));
        byOverride.set(String(r.override_id), list);
      }
      return rs.rows.map((r) => withDecisions(overrideFrom(r), byOverride.get(String(r.id)) ?? []));
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
        sql: `INSERT INTO fairness_overrides (tenant_id, id, flow_id, reason, expires_at, status, requested_by, requested_at, approval_stages)
              VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
        args: [tenantId, o.id, o.flowId, o.reason, o.expiresAt, o.requestedBy, o.requestedAt, JSON.stringify(o.stages)],
      };
    },
    /**
     * Statements deciding stage `d.stageIndex` of a pending override. The batch aborts
     * unless the override is still pending with exactly the earlier stages decided (a
     * concurrent decision of the same stage loses). Approving the last stage makes the
     * override active (approvedBy = that approver); a reject ends it as rejected.
     */
    decideStageStmts(id: string, d: StageDecision, final: boolean): InStatement[] {
      const stmts: InStatement[] = [
        guard(
          "override_not_pending",
          "EXISTS (SELECT 1 FROM fairness_overrides WHERE tenant_id = ? AND id = ? AND status = 'pending') AND (SELECT count(*) FROM override_decisions WHERE tenant_id = ? AND override_id = ?) = ?",
          [tenantId, id, tenantId, id, d.stageIndex],
        ),
        {
          sql: `INSERT INTO override_decisions (tenant_id, override_id, stage_index, stage, role, decision, decided_by, reason, decided_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          args: [tenantId, id, d.stageIndex, d.stage, d.role, d.decision, d.decidedBy, d.reason, d.decidedAt],
        },
      ];
      if (d.decision === "reject")
        stmts.push({
          sql: "UPDATE fairness_overrides SET status = 'rejected', rejected_by = ?, rejected_at = ?, reject_reason = ? WHERE tenant_id = ? AND id = ?",
          args: [d.decidedBy, d.decidedAt, d.reason, tenantId, id],
        });
      else if (final)
        stmts.push({
          sql: "UPDATE fairness_overrides SET status = 'active', approved_by = ?, approved_at = ? WHERE tenant_id = ? AND id = ?",
          args: [d.decidedBy, d.decidedAt, tenantId, id],
        });
      return stmts;
    },
    /** Revocation statements; the batch aborts unless the override is still pending or active. */
    revokeStmts(id: string, revokedBy: string, reason: string | null, now: string): InStatement[] {
      return [
        guard("override_already_revoked", "EXISTS (SELECT 1 FROM fairness_overrides WHERE tenant_id = ? AND id = ? AND status IN ('pending', 'active'))", [tenantId, id]),
        {
          sql: "UPDATE fairness_overrides SET status = 'revoked', revoked_by = ?, revoked_at = ?, revoke_reason = ? WHERE tenant_id = ? AND id = ?",
          args: [revokedBy, now, reason, tenantId, id],
        },
      ];
    },
  };
}
export type GovernanceStore = ReturnType<typeof createGovernanceStore>;
