/**
 * @module store/tenant/chain-reads
 * Reads a tenant's hash chains in storage order, a bounded page at a time, for
 * verification and the NDJSON export. Audit rows are ordered by their
 * autoincrement seq, evaluations by rowid (insertion order): the verifier then
 * also notices rows inserted out of order.
 *
 * A page is a keyset read of the table's own rowid b-tree (seq is the audit log's
 * rowid): `pos > after` is a range on the primary key and `+tenant_id` keeps the
 * planner off the tenant_id-led indexes, so a page reads its own rows and no more.
 * (With `tenant_id = ? AND (? IS NULL OR pos > ?)` SQLite searched audit_log_actor /
 * fairness_evaluations_flow by tenant and sorted the rest of the log in a temp
 * b-tree on every page, each page sorting every row after it.) A tenant's database
 * holds that tenant only; were it shared, the walk would still pass each row once.
 */
import { auditContent, type ChainLink, type ChainName, evaluationContent } from "../../domain/chain.js";
import { type Client, read, type SqlValue } from "../sql.js";

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
 * The page query (exported for its query-plan test). No `? IS NULL OR` term: the first
 * page has no position bound at all (a forged row at a negative rowid is still read),
 * every later one a plain range on the rowid.
 */
export function linkPageStatement(tenantId: string, chain: ChainName, after: number | null, limit: number): { sql: string; args: SqlValue[] } {
  const [select, pos] =
    chain === "audit"
      ? ["SELECT seq AS pos, * FROM audit_log", "seq"]
      : ["SELECT rowid AS pos, id, tenant_id, flow_id, flow_key, version, trigger, verdict, body, dataset_hash, created_at, chain_seq, prev_hash, hash FROM fairness_evaluations", "rowid"];
  return after === null
    ? { sql: `${select} WHERE +tenant_id = ? ORDER BY ${pos} LIMIT ?`, args: [tenantId, limit] }
    : { sql: `${select} WHERE ${pos} > ? AND +tenant_id = ? ORDER BY ${pos} LIMIT ?`, args: [after, tenantId, limit] };
}

/**
 * One page of `chain` after storage position `after` (null: from the very first
 * row, whatever its position — a forged row at a negative rowid is still read).
 * Every row of the tenant is returned, chained or not: rows beyond the head are
 * the verifier's to judge, not the query's to hide.
 */
export async function readLinkPage(db: Client, tenantId: string, chain: ChainName, after: number | null, limit: number): Promise<LinkPage> {
  const rs = await read(db, linkPageStatement(tenantId, chain, after, limit));
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
