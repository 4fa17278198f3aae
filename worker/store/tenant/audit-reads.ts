/**
 * @module store/tenant/audit-reads
 * Reads for the regulator-facing artifacts (LL144 bias audit, evidence pack,
 * monitoring summary): per-(sex, race) cell counts of a flow's traces in a time
 * range (selected, or scored above the range's median score), and evaluations /
 * audit rows created in a range. Read-only; every query filters on the tenant.
 */
import type { Evaluation } from "../../domain/evaluation.js";
import { readEvaluationJson } from "../../domain/evaluation-read.js";
import { type Client, read } from "../sql.js";
import { PROTECTED_VALUE } from "./protected-attributes.js";
import { attributePath } from "./traces.js";
import { type AuditRow, auditRowFrom } from "./evidence.js";

/** One (sex, race) cell as stored: the attributes' JSON text (null when the key is absent). */
export interface RawLl144Cell {
  sexJson: string | null;
  raceJson: string | null;
  count: number;
  /** Selected (selection rate), or scoring strictly above the window's median score (scoring rate). */
  positives: number;
}

/** The scoring-rate cells of a window: only traces with a score count; the median is over all of them. */
export interface RawLl144ScoreCells {
  cells: RawLl144Cell[];
  /** The median score of the window's scored traces (mean of the two middle ones for an even count); null when none. */
  median: number | null;
  /** Traces of the window without a score (not individuals assessed by a scoring tool). */
  unscored: number;
}

export interface StoredEvaluationRow {
  id: string;
  createdAt: string;
  datasetHash: string | null;
  /** What callers read: the body through readEvaluation (older shapes upgraded, fields added since defaulted). */
  evaluation: Evaluation;
  /** The body exactly as written and chained (JSON-decoded), for evidence that must equal the chain. */
  body: unknown;
}

/** An audit row in a time range: the same shape GET /audit-log serves. */
export type AuditRangeRow = AuditRow;


/** Range reads for one tenant. */
export function createAuditReads(db: Client, tenantId: string) {
  return {
    /**
     * Cell counts of the flow's traces decided in [fromMs, toMs), grouped by the two
     * attributes' JSON values — one row per cell, however many traces (aggregated in SQL).
     */
    async ll144Cells(flowKey: string, fromMs: number, toMs: number, sexAttribute: string, raceAttribute: string): Promise<RawLl144Cell[]> {
      const rs = await read(db, {
        sql: `SELECT COALESCE(attributes -> ?, ${PROTECTED_VALUE}) AS sex, COALESCE(attributes -> ?, ${PROTECTED_VALUE}) AS race, COUNT(*) AS n, SUM(selected) AS selected
              FROM decision_traces WHERE tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ?
              GROUP BY 1, 2`,
        args: [attributePath(sexAttribute), attributePath(sexAttribute), attributePath(raceAttribute), attributePath(raceAttribute), tenantId, flowKey, fromMs, toMs],
      });
      return rs.rows.map((r) => ({
        sexJson: r.sex === null ? null : String(r.sex),
        raceJson: r.race === null ? null : String(r.race),
        count: Number(r.n),
        positives: Number(r.selected),
      }));
    },
    /**
     * Scoring-rate cells of the same traces, in one statement (one snapshot), all in SQL:
     * the median is the middle one or two scores of the window's scored traces found by
     * ORDER BY score LIMIT 1|2 OFFSET (n - 1) / 2 (SQLite sorts; at most two rows reach
     * the median's AVG), then one grouped pass counts per cell the scored traces and those
     * strictly above it. No trace is loaded into JS; the answer is one row per cell.
     */
    async ll144ScoreCells(flowKey: string, fromMs: number, toMs: number, sexAttribute: string, raceAttribute: string): Promise<RawLl144ScoreCells> {
      const window = "tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ?";
      const w = [tenantId, flowKey, fromMs, toMs];
      const rs = await read(db, {
        sql: `WITH scored AS (SELECT score FROM decision_traces WHERE ${window} AND score IS NOT NULL),
                   m AS (SELECT AVG(score) AS median FROM (
                     SELECT score FROM scored ORDER BY score LIMIT 2 - (SELECT COUNT(*) FROM scored) % 2 OFFSET ((SELECT COUNT(*) FROM scored) - 1) / 2))
              SELECT COALESCE(attributes -> ?, ${PROTECTED_VALUE}) AS sex, COALESCE(attributes -> ?, ${PROTECTED_VALUE}) AS race,
                     COUNT(score) AS n, COALESCE(SUM(score > (SELECT median FROM m)), 0) AS above, SUM(score IS NULL) AS unscored,
                     (SELECT median FROM m) AS median
              FROM decision_traces WHERE ${window}
              GROUP BY 1, 2`,
        args: [...w, attributePath(sexAttribute), attributePath(sexAttribute), attributePath(raceAttribute), attributePath(raceAttribute), ...w],
      });
      const first = rs.rows[0];
      return {
        cells: rs.rows
          .filter((r) => Number(r.n) > 0)
          .map((r) => ({
            sexJson: r.sex === null ? null : String(r.sex),
            raceJson: r.race === null ? null : String(r.race),
            count: Number(r.n),
            positives: Number(r.above),
          })),
        median: first === undefined || first.median === null ? null : Number(first.median),
        unscored: rs.rows.reduce((s, r) => s + Number(r.unscored), 0),
      };
    },
    /** Evaluations created in [fromIso, toIso), oldest first. */
    async evaluationsBetween(fromIso: string, toIso: string): Promise<StoredEvaluationRow[]> {
      const rs = await read(db, {
        sql: `SELECT id, created_at, dataset_hash, body FROM fairness_evaluations
              WHERE tenant_id = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id`,
        args: [tenantId, fromIso, toIso],
      });
      return rs.rows.map((r) => ({
        id: String(r.id),
        createdAt: String(r.created_at),
        datasetHash: r.dataset_hash === null || r.dataset_hash === undefined ? null : String(r.dataset_hash),
        evaluation: readEvaluationJson(r.body),
        // readEvaluationJson has parsed it already, so this cannot throw.
        body: JSON.parse(String(r.body)) as unknown,
      }));
    },
    /** Audit rows created in [fromIso, toIso) (all of them when `fromIso` is ""), in append order; optionally one entity type. */
    async auditBetween(fromIso: string, toIso: string, entityType?: string): Promise<AuditRangeRow[]> {
      const rs = await read(db, {
        sql: `SELECT * FROM audit_log WHERE tenant_id = ? AND created_at >= ? AND created_at < ? AND (? IS NULL OR entity_type = ?) ORDER BY seq`,
        args: [tenantId, fromIso, toIso, entityType ?? null, entityType ?? null],
      });
      return rs.rows.map(auditRowFrom);
    },
    /** The last audit row of `entityType` created before `beforeIso` (e.g. the policy in force at a range's start). */
    async lastAuditBefore(entityType: string, beforeIso: string): Promise<AuditRangeRow | null> {
      const rs = await read(db, {
        sql: `SELECT * FROM audit_log WHERE tenant_id = ? AND entity_type = ? AND created_at < ? ORDER BY seq DESC LIMIT 1`,
        args: [tenantId, entityType, beforeIso],
      });
      return rs.rows[0] ? auditRowFrom(rs.rows[0]) : null;
    },
  };
}

export type AuditReads = ReturnType<typeof createAuditReads>;
