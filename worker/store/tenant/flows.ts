/**
 * @module store/tenant/flows
 * Decision flows and their immutable versions. Reads run directly; writes are
 * returned as statements so callers can commit them with an audit row atomically.
 */
import type { FlowDefinition, FlowStatus } from "../../domain/flow.js";
import type { FairnessPolicy } from "../../domain/policy.js";
import { type Client, type InStatement, guard, json, read } from "../sql.js";

export interface FlowRecord {
  id: string;
  key: string;
  name: string;
  status: FlowStatus;
  latestVersion: number;
  activeVersion: number | null;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

function flowFrom(r: Record<string, unknown>): FlowRecord {
  return {
    id: String(r.id),
    key: String(r.key),
    name: String(r.name),
    // An archived flow shows as archived whatever its stored status (paused or draft) underneath.
    status: (r.archived_at !== null && r.archived_at !== undefined ? "archived" : String(r.status)) as FlowStatus,
    latestVersion: Number(r.latest_version),
    activeVersion: r.active_version === null ? null : Number(r.active_version),
    revision: Number(r.revision),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  };
}

/** Flow queries and statement builders for one tenant. */
export function createFlowStore(db: Client, tenantId: string) {
  return {
    async get(id: string): Promise<FlowRecord | null> {
      const rs = await read(db, { sql: "SELECT * FROM decision_flows WHERE tenant_id = ? AND id = ?", args: [tenantId, id] });
      return rs.rows[0] ? flowFrom(rs.rows[0]) : null;
    },
    async getByKey(key: string): Promise<FlowRecord | null> {
      const rs = await read(db, { sql: "SELECT * FROM decision_flows WHERE tenant_id = ? AND key = ?", args: [tenantId, key] });
      return rs.rows[0] ? flowFrom(rs.rows[0]) : null;
    },
    /**
     * What a live decision needs that may change at any moment, in one read: the flow row
     * as it is now (status, active version: never cached, a pause by another process counts
     * on the very next request) and the tenant's policy (it decides privacy mode).
     */
    async getServing(key: string): Promise<{ flow: FlowRecord; policy: FairnessPolicy | null } | null> {
      const rs = await read(db, {
        sql: `SELECT f.*, (SELECT s.fairness_policy FROM tenant_settings s WHERE s.tenant_id = f.tenant_id) AS fairness_policy
              FROM decision_flows f WHERE f.tenant_id = ? AND f.key = ?`,
        args: [tenantId, key],
      });
      const r = rs.rows[0];
      if (!r) return null;
      return { flow: flowFrom(r), policy: json<FairnessPolicy>(r.fairness_policy) };
    },
    /** Flows with `status` (archived ones only under "archived"); every flow, archived included, without. */
    async list(status?: FlowStatus): Promise<FlowRecord[]> {
      const rs =
        status === "archived"
          ? await read(db, { sql: "SELECT * FROM decision_flows WHERE tenant_id = ? AND archived_at IS NOT NULL ORDER BY created_at, id", args: [tenantId] })
          : status
            ? await read(db, { sql: "SELECT * FROM decision_flows WHERE tenant_id = ? AND status = ? AND archived_at IS NULL ORDER BY created_at, id", args: [tenantId, status] })
            : await read(db, { sql: "SELECT * FROM decision_flows WHERE tenant_id = ? ORDER BY created_at, id", args: [tenantId] });
      return rs.rows.map(flowFrom);
    },
    async getDefinition(flowId: string, version: number): Promise<FlowDefinition | null> {
      const rs = await read(db, {
        sql: "SELECT definition FROM flow_versions WHERE tenant_id = ? AND flow_id = ? AND version = ?",
        args: [tenantId, flowId, version],
      });
      return rs.rows[0] ? json<FlowDefinition>(rs.rows[0].definition) : null;
    },
    /** Statements creating a flow and its version 1. */
    createStmts(f: FlowRecord, def: FlowDefinition, actor: string): InStatement[] {
      return [
        {
          sql: `INSERT INTO decision_flows (tenant_id, id, key, name, status, latest_version, active_version, revision, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          args: [tenantId, f.id, f.key, f.name, f.status, f.latestVersion, f.activeVersion, f.revision, f.createdAt, f.updatedAt],
        },
        {
          sql: "INSERT INTO flow_versions (tenant_id, flow_id, version, definition, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
          args: [tenantId, f.id, f.latestVersion, JSON.stringify(def), f.createdAt, actor],
        },
      ];
    },
    /** Statements adding a new draft version, guarded on the revision the caller read. */
    newVersionStmts(f: FlowRecord, def: FlowDefinition, actor: string, now: string): InStatement[] {
      const version = f.latestVersion + 1;
      return [
        guard("flow_modified", "EXISTS (SELECT 1 FROM decision_flows WHERE tenant_id = ? AND id = ? AND revision = ?)", [tenantId, f.id, f.revision]),
        {
          sql: "INSERT INTO flow_versions (tenant_id, flow_id, version, definition, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
          args: [tenantId, f.id, version, JSON.stringify(def), now, actor],
        },
        {
          sql: "UPDATE decision_flows SET latest_version = ?, revision = revision + 1, updated_at = ? WHERE tenant_id = ? AND id = ?",
          args: [version, now, tenantId, f.id],
        },
      ];
    },
    /** Statements changing status (and the active version), guarded on the revision the caller read. */
    setStatusStmts(f: FlowRecord, status: FlowStatus, activeVersion: number | null, now: string): InStatement[] {
      return [
        guard("flow_modified", "EXISTS (SELECT 1 FROM decision_flows WHERE tenant_id = ? AND id = ? AND revision = ?)", [tenantId, f.id, f.revision]),
        {
          sql: "UPDATE decision_flows SET status = ?, active_version = ?, revision = revision + 1, updated_at = ? WHERE tenant_id = ? AND id = ?",
          args: [status, activeVersion, now, tenantId, f.id],
        },
      ];
    },
    /**
     * Archives `f`, guarded on the revision the caller read. An active flow is paused
     * underneath, so it serves nothing and no recheck or sweep lists it, and it stays
     * paused when unarchived (serving again takes a publish through the gate).
     */
    archiveStmts(f: FlowRecord, now: string): InStatement[] {
      return [
        guard("flow_modified", "EXISTS (SELECT 1 FROM decision_flows WHERE tenant_id = ? AND id = ? AND revision = ? AND archived_at IS NULL)", [tenantId, f.id, f.revision]),
        {
          sql: `UPDATE decision_flows SET archived_at = ?, status = CASE WHEN status = 'active' THEN 'paused' ELSE status END,
                revision = revision + 1, updated_at = ? WHERE tenant_id = ? AND id = ?`,
          args: [now, now, tenantId, f.id],
        },
      ];
    },
    /** Unarchives `f` (back to its stored status: paused or draft), guarded on the revision the caller read. */
    unarchiveStmts(f: FlowRecord, now: string): InStatement[] {
      return [
        guard("flow_modified", "EXISTS (SELECT 1 FROM decision_flows WHERE tenant_id = ? AND id = ? AND revision = ? AND archived_at IS NOT NULL)", [tenantId, f.id, f.revision]),
        { sql: "UPDATE decision_flows SET archived_at = NULL, revision = revision + 1, updated_at = ? WHERE tenant_id = ? AND id = ?", args: [now, tenantId, f.id] },
      ];
    },
    /**
     * Pauses `f` if it is still active on the version that was evaluated. Guarded on
     * status and active version, not on the revision: saving a new draft changes
     * neither what serves nor what was judged, so it must not let a breaching flow
     * escape its pause; a pause, a publish or an archive does (the batch aborts).
     */
    pauseStmts(f: FlowRecord, now: string): InStatement[] {
      return [
        guard("flow_modified", "EXISTS (SELECT 1 FROM decision_flows WHERE tenant_id = ? AND id = ? AND status = 'active' AND active_version IS ?)", [tenantId, f.id, f.activeVersion]),
        {
          sql: "UPDATE decision_flows SET status = 'paused', revision = revision + 1, updated_at = ? WHERE tenant_id = ? AND id = ?",
          args: [now, tenantId, f.id],
        },
      ];
    },
  };
}
export type FlowStore = ReturnType<typeof createFlowStore>;
