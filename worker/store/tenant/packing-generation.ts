/**
 * @module store/tenant/packing-generation
 * The per-flow packing generation (migration 0015): the statements that bump it, which
 * every write changing what is packed carries in its own batch, and its read. Readers use
 * it to tell that no pack, unpack, erasure or retention committed between their reads.
 */
import { type Client, type InStatement, read, type SqlValue } from "../sql.js";

const BUMP = "ON CONFLICT (tenant_id, flow_key) DO UPDATE SET generation = generation + 1";

/** Bumps `flowKey`'s generation. */
export function bumpStmt(tenantId: string, flowKey: string): InStatement {
  return { sql: `INSERT INTO packing_generations (tenant_id, flow_key, generation) VALUES (?, ?, 1) ${BUMP}`, args: [tenantId, flowKey] };
}

/** Bumps the generation of every flow owning a segment `segmentIds` selects (run it before they are deleted). */
export function bumpForSegmentsStmt(tenantId: string, segmentIds: string, args: readonly SqlValue[]): InStatement {
  return {
    // The WHERE clause also keeps SQLite from reading ON CONFLICT as a join constraint.
    sql: `INSERT INTO packing_generations (tenant_id, flow_key, generation)
          SELECT DISTINCT tenant_id, flow_key, 1 FROM trace_segments WHERE tenant_id = ? AND id IN (${segmentIds}) ${BUMP}`,
    args: [tenantId, ...args],
  };
}

/** The SQL of a flow's generation (0 before its first pack) as a scalar: binds tenant id, flow key. */
export const GENERATION_SQL = "COALESCE((SELECT generation FROM packing_generations WHERE tenant_id = ? AND flow_key = ?), 0)";

/** A flow's packing generation now. */
export async function readGeneration(db: Client, tenantId: string, flowKey: string): Promise<number> {
  const rs = await read(db, { sql: `SELECT ${GENERATION_SQL} AS g`, args: [tenantId, flowKey] });
  return Number(rs.rows[0]?.g ?? 0);
}
