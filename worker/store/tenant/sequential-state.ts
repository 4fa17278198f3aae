/**
 * @module store/tenant/sequential-state
 * Kept confidence-sequence states (decisionRule "sequential"), per (flow, version,
 * slice, metric). The recheck reads a version's states before evaluating and writes
 * the advanced ones in the evaluation's own batch; a body that does not parse is an
 * integrity fault (503), never a silently restarted sequence.
 */
import { z } from "zod";
import { StoredRecordError } from "../../domain/errors.js";
import { type SequenceState, sequenceStateSchemaOf } from "../../domain/sequential.js";
import { type Client, type InStatement, json, read } from "../sql.js";

const stateSchema = sequenceStateSchemaOf(z.object);

/** Sequence-state queries and statement builders for one tenant. */
export function createSequentialStateStore(db: Client, tenantId: string) {
  return {
    /** The kept states of one flow version (none: its sequences have not begun). */
    async list(flowId: string, version: number): Promise<SequenceState[]> {
      const rs = await read(db, {
        sql: "SELECT body FROM sequential_states WHERE tenant_id = ? AND flow_id = ? AND version = ? ORDER BY slice, metric",
        args: [tenantId, flowId, version],
      });
      return rs.rows.map((r) => {
        const parsed = stateSchema.safeParse(json(r.body));
        if (!parsed.success) throw new StoredRecordError("sequential state", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
        return parsed.data;
      });
    },
    /** The upsert of one advanced state, for the evaluation's batch. */
    upsertStmt(flowId: string, version: number, s: SequenceState, evaluationId: string, now: string): InStatement {
      return {
        sql: `INSERT INTO sequential_states (tenant_id, flow_id, version, slice, metric, body, evaluation_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
              ON CONFLICT (tenant_id, flow_id, version, slice, metric) DO UPDATE SET body = excluded.body, evaluation_id = excluded.evaluation_id, updated_at = excluded.updated_at`,
        args: [tenantId, flowId, version, s.slice, s.metric, JSON.stringify(s), evaluationId, now],
      };
    },
  };
}
