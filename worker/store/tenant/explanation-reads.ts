/**
 * @module store/tenant/explanation-reads
 * One stored decision as the explanation re-runs it (services/explanation.ts):
 * the trace's flow, version, recorded decision and request attributes, plus — in
 * privacy mode — the person's protected attributes, joined back by customer key
 * so the re-run sees the request as it was decided. The service never returns
 * protected values; it only uses them to reproduce the decision.
 */
import type { Attributes, OfferMade } from "../../domain/flow.js";
import { type Client, read } from "../sql.js";
import { PROTECTED_OBJECT } from "./protected-attributes.js";

export interface StoredDecision {
  id: string;
  flowKey: string;
  version: number;
  source: "recommend" | "bulk";
  createdAt: number;
  selected: boolean;
  score: number | null;
  offers: OfferMade[] | null;
  /** The request attributes stored on the trace. */
  attributes: Attributes;
  /** Privacy mode: the person's protected attributes (null when the trace carries no customer key or they were erased). */
  protected: Attributes | null;
}

/** Explanation reads of one tenant. */
export function createExplanationReads(db: Client, tenantId: string) {
  return {
    async decision(traceId: string): Promise<StoredDecision | null> {
      const rs = await read(db, {
        sql: `SELECT id, flow_key, version, source, created_at, selected, score, offers, attributes, ${PROTECTED_OBJECT} AS protected
              FROM decision_traces WHERE tenant_id = ? AND id = ?`,
        args: [tenantId, traceId],
      });
      const r = rs.rows[0];
      if (!r) return null;
      return {
        id: String(r.id),
        flowKey: String(r.flow_key),
        version: Number(r.version),
        source: String(r.source) as StoredDecision["source"],
        createdAt: Number(r.created_at),
        selected: Number(r.selected) === 1,
        score: r.score === null ? null : Number(r.score),
        offers: r.offers === null ? null : (JSON.parse(String(r.offers)) as OfferMade[]),
        attributes: JSON.parse(String(r.attributes)) as Attributes,
        protected: r.protected === null || r.protected === undefined ? null : (JSON.parse(String(r.protected)) as Attributes),
      };
    },
  };
}
export type ExplanationReads = ReturnType<typeof createExplanationReads>;
