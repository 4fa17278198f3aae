/**
 * @module store/tenant/chain-reads
 * Reads a tenant's hash chains in storage order, a bounded page at a time, for
 * verification and the NDJSON export. Audit rows are ordered by their
 * autoincrement seq, evaluations by rowid (insertion order): the verifier then
 * also notices rows inserted out of order.
 */
import { auditContent, type ChainLink, type ChainName, evaluationContent } from "../../domain/chain.js";
import { type Client, read } from "../sql.js";

/** A page of links plus the cursor to continue after. */
export interface LinkPage {
  links: ChainLink[];
  /** Storage position of the last row (seq or rowid); pass back as `after`. */
  last: number | null;
}

const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const nullableString = (v: unknown) => (v === null || v === undefined ? null : String(v));

/**
 * One page of `chain` after storage position `after`. With `maxChainSeq`, chained
 * rows beyond that link are left out (an export is a snapshot up to the head read first).
 */
export async function readLinkPage(db: Client, tenantId: string, chain: ChainName, after: number, limit: number, maxChainSeq?: number): Promise<LinkPage> {
  const cap = maxChainSeq ?? Number.MAX_SAFE_INTEGER;
  const sql =
    chain === "audit"
      ? `SELECT seq AS pos, * FROM audit_log WHERE tenant_id = ? AND seq > ? AND (chain_seq IS NULL OR chain_seq <= ?) ORDER BY seq LIMIT ?`
      : `SELECT rowid AS pos, id, tenant_id, verdict, body, dataset_hash, created_at, chain_seq, prev_hash, hash
         FROM fairness_evaluations WHERE tenant_id = ? AND rowid > ? AND (chain_seq IS NULL OR chain_seq <= ?) ORDER BY rowid LIMIT ?`;
  const rs = await read(db, { sql, args: [tenantId, after, cap, limit] });
  const links = rs.rows.map((r) => ({
    id: String(r.id),
    chainSeq: nullableNumber(r.chain_seq),
    prevHash: nullableString(r.prev_hash),
    hash: nullableString(r.hash),
    content: chain === "audit" ? auditContent(r as Parameters<typeof auditContent>[0]) : evaluationContent(r as Parameters<typeof evaluationContent>[0]),
  }));
  const lastRow = rs.rows[rs.rows.length - 1];
  return { links, last: lastRow ? Number(lastRow.pos) : null };
}
