/**
 * @module store/tenant/dataset-hash
 * The dataset hash of an evaluation: SHA-256 over the traces it evaluated, in a
 * canonical order, so the same window always hashes the same and an auditor can
 * tell whether two evaluations saw the same data.
 *
 * Rows: usable traces of the flow in [from, to) (the sensitive attribute present
 * and not empty — exactly what the window reader counts), ordered by
 * (created_at, seq). Each row is `id \t group-json \t selected \t outcome`
 * (outcome 0, 1 or "-"). WebCrypto has no incremental digest, so rows are hashed
 * in fixed pages of PAGE_ROWS and the result is the hash of
 * "fairgate-dataset/1\n" + page digests (one per line) + "\n" + row count.
 */
import { sha256Hex } from "../../domain/chain.js";
import { type Client, read } from "../sql.js";
import { attributePath } from "./traces.js";

export const PAGE_ROWS = 4096;

/** Computes the dataset hash of a flow's window, reading it page by page. */
export async function computeDatasetHash(
  db: Client,
  tenantId: string,
  q: { flowKey: string; attribute: string; fromMs: number; toMs: number },
): Promise<string> {
  const path = attributePath(q.attribute);
  const pages: string[] = [];
  let count = 0;
  let after = { createdAt: -1, seq: -1 };
  for (;;) {
    const rs = await read(db, {
      sql: `SELECT seq, id, created_at, attributes -> ? AS g, selected, converted FROM decision_traces
            WHERE tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ?
              AND (created_at, seq) > (?, ?) AND attributes -> ? NOT IN ('null', '""')
            ORDER BY created_at, seq LIMIT ?`,
      args: [path, tenantId, q.flowKey, q.fromMs, q.toMs, after.createdAt, after.seq, path, PAGE_ROWS],
    });
    if (rs.rows.length === 0) break;
    const lines = rs.rows.map((r) => `${String(r.id)}\t${String(r.g)}\t${Number(r.selected)}\t${r.converted === null ? "-" : Number(r.converted)}`);
    pages.push(await sha256Hex(lines.join("\n")));
    count += rs.rows.length;
    const last = rs.rows[rs.rows.length - 1]!;
    after = { createdAt: Number(last.created_at), seq: Number(last.seq) };
    if (rs.rows.length < PAGE_ROWS) break;
  }
  return sha256Hex(`fairgate-dataset/1\n${pages.join("\n")}\n${count}`);
}
