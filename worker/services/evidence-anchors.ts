/**
 * @module services/evidence-anchors
 * Start-time reconciliation of every tenant's chain anchors: a write that
 * committed but died before its anchor moved is anchored now (exactly the rows it
 * announced); a chain that disagrees with its anchor (rolled back, truncated,
 * rewritten) is logged, and the tenant's chained writes stay refused until an
 * operator has looked. A tenant that cannot be reached is logged and skipped.
 */
import { EvidenceIntegrityError } from "../domain/errors.js";
import type { Logger } from "../observability/logger.js";
import { errorFields } from "../observability/logger.js";
import type { RecheckDeps } from "./recheck.js";

export interface ReconcileReport {
  tenants: number;
  repaired: number;
  integrityFailures: number;
  unreachable: number;
}

/** Reconciles every tenant, one at a time (a start-time pass; bounded by the tenant count). */
export async function reconcileAllAnchors(deps: RecheckDeps, log: Logger): Promise<ReconcileReport> {
  const report: ReconcileReport = { tenants: 0, repaired: 0, integrityFailures: 0, unreachable: 0 };
  for (const tenant of await deps.control.listTenants()) {
    report.tenants++;
    try {
      const { store } = await deps.tenants.get(tenant);
      if ((await store.reconcileAnchors()) === "repaired") {
        report.repaired++;
        log.warn("evidence anchor repaired after an interrupted write", { tenantId: tenant.id });
      }
    } catch (e) {
      if (e instanceof EvidenceIntegrityError) {
        report.integrityFailures++;
        log.error("evidence chain disagrees with its anchor", { tenantId: tenant.id, finding: e.finding });
      } else {
        report.unreachable++;
        log.warn("evidence anchor reconciliation skipped a tenant", { tenantId: tenant.id, ...errorFields(e) });
      }
    }
  }
  return report;
}
