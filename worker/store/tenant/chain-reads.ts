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

/** Which columns of a stored evaluation disagree with its chained body (they are what queries filter on). */
function evaluationColumnMismatch(r: Record<string, unknown>): string | null {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(String(r.body)) as Record<string, unknown>;
  } catch {
    return null; // An unparsable body already fails its hash.
  }
  const same = (col: unknown, field: unknown) => (col === null || col === undefined ? field === null || field === undefined : String(col) === String(field));
  const off = ([
    ["flow_id", "flowId"],
    ["flow_key", "flowKey"],
    ["version", "version"],
    ["trigger", "trigger"],
  ] as const).filter(([col, field]) => !same(r[col], body[field])).map(([col]) => col);
  return off.length > 0 ? off.join(",") : null;
}

/**
 * One page of `chain` after storage position `after` (null: from the very first
 * row, whatever its position — a forged row at a negative rowid is still read).
 * Every row of the tenant is returned, chained or not: rows beyond the head are
 * the verifier's to judge, not the query's to hide.
 */
export async function readLinkPage(db: Client, tenantId: string, chain: ChainName, after: number | null, limit: number): Promise<LinkPage> {
  const sql =
    chain === "audit"
      ? `SELECT seq AS pos, * FROM audit_log WHERE tenant_id = ? AND (? IS NULL OR seq > ?) ORDER BY seq LIMIT ?`
      : `SELECT rowid AS pos, id, tenant_id, flow_id, flow_key, version, trigger, verdict, body, dataset_hash, created_at, chain_seq, prev_hash, hash
         FROM fairness_evaluations WHERE tenant_id = ? AND (? IS NULL OR rowid > ?) ORDER BY rowid LIMIT ?`;
  const rs = await read(db, { sql, args: [tenantId, after, after, limit] });
  const links = rs.rows.map((r) => ({
    id: String(r.id),
    chainSeq: nullableNumber(r.chain_seq),
    prevHash: nullableString(r.prev_hash),
    hash: nullableString(r.hash),
    content: chain === "audit" ? auditContent(r as Parameters<typeof auditContent>[0]) : evaluationContent(r as Parameters<typeof evaluationContent>[0]),
    mismatch: chain === "evaluation" ? evaluationColumnMismatch(r) : null,
  }));
  const lastRow = rs.rows[rs.rows.length - 1];
  return { links, last: lastRow ? Number(lastRow.pos) : null };
}
