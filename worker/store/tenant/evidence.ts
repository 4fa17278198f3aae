/**
 * @module store/tenant/evidence
 * Evidence a regulator reads: stored evaluations, the append-only audit log
 * (UPDATE/DELETE refused by triggers; rows hash-chained, see domain/chain.ts)
 * and the per-tenant claims that serialise recheck and sweep runs.
 */
import { auditContent, type ChainHead, type ChainName, evaluationContent } from "../../domain/chain.js";
import type { AuditEntry } from "../../domain/audit-entry.js";
import type { Evaluation } from "../../domain/evaluation.js";
import { readEvaluationJson } from "../../domain/evaluation-read.js";
import { type Client, json, read, writeBatch } from "../sql.js";
import { type ChainedStatement, type LinkFields, readHeads } from "./chain-links.js";
import { type LinkPage, readLinkPage } from "./chain-reads.js";

export type { AuditEntry };

export interface AuditRow extends Required<Omit<AuditEntry, "violations">> {
  id: string;
  seq: number;
  violations: string[] | null;
  createdAt: string;
}

/** An audit_log row as read back. */
export function auditRowFrom(r: Record<string, unknown>): AuditRow {
  return {
    seq: Number(r.seq),
    id: String(r.id),
    entityType: String(r.entity_type),
    entityId: String(r.entity_id),
    action: String(r.action),
    actor: String(r.actor),
    reason: r.reason === null ? null : String(r.reason),
    before: json(r.before),
    after: json(r.after),
    violations: json<string[]>(r.violations),
    details: json(r.details),
    createdAt: String(r.created_at),
  };
}

const nullableJson = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/** Evidence queries and statement builders for one tenant. */
export function createEvidenceStore(db: Client, tenantId: string) {
  return {
    /** The INSERT of an audit row; `TenantStore.write()` chains it (see chain-links.ts). */
    auditStmt(id: string, e: AuditEntry, now: string): ChainedStatement {
      const cols = {
        id,
        tenant_id: tenantId,
        entity_type: e.entityType,
        entity_id: e.entityId,
        action: e.action,
        actor: e.actor,
        reason: e.reason ?? null,
        before: nullableJson(e.before),
        after: nullableJson(e.after),
        violations: nullableJson(e.violations),
        details: nullableJson(e.details),
        created_at: now,
      };
      const stmt = (link: LinkFields | null) => ({
        sql: `INSERT INTO audit_log (id, tenant_id, entity_type, entity_id, action, actor, reason, before, after, violations, details, created_at, chain_seq, prev_hash, hash)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [...Object.values(cols), link?.seq ?? null, link?.prevHash ?? null, link?.hash ?? null],
      });
      return { ...stmt(null), link: { chain: "audit", id, content: () => auditContent(cols), finalize: stmt, audit: { ...e, at: now } } };
    },
    /** Audit rows in append order, after the `afterSeq` cursor. */
    async listAudit(filter: { entityType?: string; entityId?: string; afterSeq?: number; limit: number }): Promise<AuditRow[]> {
      const rs = await read(db, {
        sql: `SELECT * FROM audit_log WHERE tenant_id = ? AND (? IS NULL OR entity_type = ?) AND (? IS NULL OR entity_id = ?) AND seq > ?
              ORDER BY seq LIMIT ?`,
        args: [
          tenantId,
          filter.entityType ?? null,
          filter.entityType ?? null,
          filter.entityId ?? null,
          filter.entityId ?? null,
          filter.afterSeq ?? 0,
          filter.limit,
        ],
      });
      return rs.rows.map(auditRowFrom);
    },
    /**
     * The INSERT of an evaluation with its dataset hash — computed by the window reader in the
     * evaluation's own pass (`FlowEvaluation.datasetHash`; null when no window was read);
     * `TenantStore.write()` chains it, the hash included in the chained content.
     */
    evaluationStmt(e: Evaluation, datasetHash: string | null): ChainedStatement {
      const body = JSON.stringify(e);
      const stmt = (link: LinkFields | null) => ({
        sql: `INSERT INTO fairness_evaluations (tenant_id, id, flow_id, flow_key, version, trigger, verdict, body, created_at, chain_seq, prev_hash, hash, dataset_hash)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [tenantId, e.id, e.flowId, e.flowKey, e.version, e.trigger, e.verdict, body, e.createdAt, link?.seq ?? null, link?.prevHash ?? null, link?.hash ?? null, datasetHash],
      });
      return {
        ...stmt(null),
        link: {
          chain: "evaluation",
          id: e.id,
          content: () => evaluationContent({ id: e.id, tenant_id: tenantId, verdict: e.verdict, body, dataset_hash: datasetHash, created_at: e.createdAt }),
          finalize: stmt,
          evaluation: e,
        },
      };
    },
    /** The dataset hash stored with an evaluation (null for legacy rows or evaluations without a window). */
    async getDatasetHash(id: string): Promise<string | null> {
      const rs = await read(db, { sql: "SELECT dataset_hash FROM fairness_evaluations WHERE tenant_id = ? AND id = ?", args: [tenantId, id] });
      const v = rs.rows[0]?.dataset_hash;
      return v === null || v === undefined ? null : String(v);
    },
    async getEvaluation(id: string): Promise<Evaluation | null> {
      const rs = await read(db, { sql: "SELECT body FROM fairness_evaluations WHERE tenant_id = ? AND id = ?", args: [tenantId, id] });
      return rs.rows[0] ? readEvaluationJson(rs.rows[0].body) : null;
    },
    async listEvaluations(filter: { flowId?: string; limit: number }): Promise<Evaluation[]> {
      const rs = await read(db, {
        sql: `SELECT body FROM fairness_evaluations WHERE tenant_id = ? AND (? IS NULL OR flow_id = ?) ORDER BY created_at DESC, id LIMIT ?`,
        args: [tenantId, filter.flowId ?? null, filter.flowId ?? null, filter.limit],
      });
      return rs.rows.map((r) => readEvaluationJson(r.body));
    },
    /** The flow's most recent evaluation with verdict pass: the baseline for maxRegression. */
    async lastPassingEvaluation(flowId: string): Promise<Evaluation | null> {
      const rs = await read(db, {
        sql: `SELECT body FROM fairness_evaluations WHERE tenant_id = ? AND flow_id = ? AND verdict = 'pass' ORDER BY created_at DESC, id DESC LIMIT 1`,
        args: [tenantId, flowId],
      });
      return rs.rows[0] ? readEvaluationJson(rs.rows[0].body) : null;
    },
    /** One page of a hash chain in storage order (see chain-reads.ts). */
    linkPage(chain: ChainName, after: number | null, limit: number): Promise<LinkPage> {
      return readLinkPage(db, tenantId, chain, after, limit);
    },
    /** The heads of the tenant's chains. */
    chainHeads(): Promise<Record<ChainName, ChainHead | null>> {
      return readHeads(db, tenantId);
    },
    /**
     * Claims `runKey` (a lease) for this tenant. True if this caller now holds it:
     * nobody else holds a claim newer than `staleBeforeMs`.
     */
    async claimRecheck(runKey: string, claimId: string, nowMs: number, staleBeforeMs: number): Promise<boolean> {
      await writeBatch(db, [
        {
          sql: `INSERT INTO recheck_claims (tenant_id, run_key, claim_id, claimed_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (tenant_id, run_key) DO UPDATE SET claim_id = excluded.claim_id, claimed_at = excluded.claimed_at
                WHERE recheck_claims.claimed_at < ?`,
          args: [tenantId, runKey, claimId, nowMs, staleBeforeMs],
        },
      ]);
      const rs = await read(db, { sql: "SELECT claim_id FROM recheck_claims WHERE tenant_id = ? AND run_key = ?", args: [tenantId, runKey] });
      return rs.rows[0]?.claim_id === claimId;
    },
    /** Releases a claim once its run ends, so the next run need not wait for the lease to expire. */
    async releaseRecheckClaim(runKey: string, claimId: string): Promise<void> {
      await writeBatch(db, [{ sql: "DELETE FROM recheck_claims WHERE tenant_id = ? AND run_key = ? AND claim_id = ?", args: [tenantId, runKey, claimId] }]);
    },
  };
}
export type EvidenceStore = ReturnType<typeof createEvidenceStore>;
