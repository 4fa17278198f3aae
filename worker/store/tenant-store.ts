/**
 * @module store/tenant-store
 * One tenant's store: flows, traces, governance and evidence over that tenant's
 * database, plus `write()` for atomic multi-statement changes.
 */
import { type Client, type InStatement, type ResultSet, writeBatch } from "./sql.js";
import { createEvidenceStore } from "./tenant/evidence.js";
import { createFlowStore } from "./tenant/flows.js";
import { createGovernanceStore } from "./tenant/governance.js";
import { createSegmentStore } from "./tenant/segments.js";
import { createTraceStore } from "./tenant/traces.js";

/** Creates the store for `tenantId` over an already-migrated client. */
export function createTenantStore(db: Client, tenantId: string) {
  return {
    tenantId,
    flows: createFlowStore(db, tenantId),
    traces: createTraceStore(db, tenantId),
    segments: createSegmentStore(db, tenantId),
    governance: createGovernanceStore(db, tenantId),
    evidence: createEvidenceStore(db, tenantId),
    /** Commits statements atomically (all or nothing); a failed guard becomes ConflictError(guardCode). */
    write(stmts: InStatement[], guardCode?: string): Promise<ResultSet[]> {
      return writeBatch(db, stmts, guardCode);
    },
  };
}
export type TenantStore = ReturnType<typeof createTenantStore>;
