/**
 * @module store/tenant/traces
 * Decision traces (one row per decision) and their outcomes. Window reads for
 * evaluation live in window-reads.ts.
 */
import type { Attributes } from "../../domain/flow.js";
import { ConflictError } from "../../domain/errors.js";
import { type Client, type InStatement, read, writeBatch } from "../sql.js";
import { createSegmentSummaryStore, OUTCOME_RETRY } from "./segment-summaries.js";

/** Lost OUTCOME_RETRY rounds after which an outcome drops its segment's summaries instead of re-encoding them. */
const OUTCOME_DROP_AFTER = 16;

export interface TraceRecord {
  id: string;
  flowKey: string;
  version: number;
  customerId: string;
  attributes: Attributes;
  selected: boolean;
  score: number | null;
  offers: { id: string; propensity: number }[] | null;
  converted: boolean | null;
  source: "recommend" | "bulk";
  /** Decision time, epoch milliseconds. */
  createdAt: number;
  /** Privacy mode: the pseudonymous customer key joining the trace to its protected attributes. */
  customerKey?: string | null;
}

/**
 * One item of the trace writer: a trace and the statements that must commit in the
 * same batch (privacy mode: the person's protected-attribute upsert), so neither is
 * ever stored without the other.
 */
export interface TraceWrite {
  trace: TraceRecord;
  alongside: readonly InStatement[];
}

const COLS = "(tenant_id, id, flow_key, version, customer_id, attributes, selected, score, offers, converted, source, created_at, customer_key)";
const ROW_PARAMS = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
// 13 parameters a row; 400 rows stays well under SQLite's bound-parameter limit.
const ROWS_PER_INSERT = 400;

/** JSON path for a validated identifier attribute name. */
export function attributePath(name: string): string {
  return `$."${name}"`;
}

/** Trace queries and writes for one tenant. */
export function createTraceStore(db: Client, tenantId: string) {
  const summaries = createSegmentSummaryStore(db, tenantId);
  const args = (t: TraceRecord) => [
    tenantId,
    t.id,
    t.flowKey,
    t.version,
    t.customerId,
    JSON.stringify(t.attributes),
    t.selected ? 1 : 0,
    t.score,
    t.offers ? JSON.stringify(t.offers) : null,
    t.converted === null ? null : t.converted ? 1 : 0,
    t.source,
    t.createdAt,
    t.customerKey ?? null,
  ];
  return {
    /** Multi-row INSERT statements for `traces` (commit them in one batch). */
    insertStmts(traces: TraceRecord[]): InStatement[] {
      const out: InStatement[] = [];
      for (let i = 0; i < traces.length; i += ROWS_PER_INSERT) {
        const chunk = traces.slice(i, i + ROWS_PER_INSERT);
        out.push({
          sql: `INSERT INTO decision_traces ${COLS} VALUES ${chunk.map(() => ROW_PARAMS).join(", ")}`,
          args: chunk.flatMap(args),
        });
      }
      return out;
    },
    async insert(traces: TraceRecord[]): Promise<void> {
      if (traces.length) await writeBatch(db, this.insertStmts(traces));
    },
    /** Commits trace writes in one atomic batch: every item's `alongside` statements, in order, then the traces. */
    async commit(items: readonly TraceWrite[]): Promise<void> {
      if (items.length) await writeBatch(db, [...items.flatMap((i) => i.alongside), ...this.insertStmts(items.map((i) => i.trace))]);
    },
    async get(id: string): Promise<{ id: string; converted: boolean | null } | null> {
      const rs = await read(db, { sql: "SELECT id, converted FROM decision_traces WHERE tenant_id = ? AND id = ?", args: [tenantId, id] });
      const r = rs.rows[0];
      if (!r) return null;
      return { id: String(r.id), converted: r.converted === null ? null : Number(r.converted) === 1 };
    },
    /**
     * Records an outcome once. Returns "recorded", "unchanged" (same outcome
     * already there), "conflict" (a different one is) or "not_found".
     */
    async recordOutcome(id: string, converted: boolean, at: string): Promise<"recorded" | "unchanged" | "conflict" | "not_found"> {
      // A packed trace's outcome also updates its segment's summaries and delta digest in the
      // same commit; those statements are built from a read, so a changed snapshot is retried.
      for (let attempt = 0; ; attempt++) {
        // Outcomes racing on one segment each re-encode the summary body they read, so one
        // commits per round: after OUTCOME_DROP_AFTER lost rounds this one drops the summaries
        // instead (recomputed on the next read), so a burst of outcomes never exhausts its retries.
        const plan = await summaries.outcomePlan(id, converted, attempt >= OUTCOME_DROP_AFTER);
        if (!plan) return "not_found";
        if (plan.current !== null) return plan.current === converted ? "unchanged" : "conflict";
        try {
          const res = await writeBatch(
            db,
            [
              ...plan.stmts,
              {
                sql: "UPDATE decision_traces SET converted = ?, outcome_at = ? WHERE tenant_id = ? AND id = ? AND converted IS NULL",
                args: [converted ? 1 : 0, at, tenantId, id],
              },
              // A packed trace's outcome also becomes a delta the columnar reader merges, in the same commit.
              {
                sql: `INSERT OR REPLACE INTO segment_outcome_deltas (tenant_id, segment_id, pos, outcome)
                      SELECT tenant_id, segment_id, segment_pos, converted FROM decision_traces
                      WHERE tenant_id = ? AND id = ? AND segment_id IS NOT NULL AND converted IS NOT NULL`,
                args: [tenantId, id],
              },
            ],
            OUTCOME_RETRY,
          );
          if (res[plan.stmts.length]?.rowsAffected === 1) return "recorded";
        } catch (e) {
          if (e instanceof ConflictError && e.code === OUTCOME_RETRY && attempt < 20) continue;
          throw e;
        }
        const cur = await this.get(id);
        if (!cur) return "not_found";
        return cur.converted === converted ? "unchanged" : "conflict";
      }
    },
  };
}
export type TraceStore = ReturnType<typeof createTraceStore>;
