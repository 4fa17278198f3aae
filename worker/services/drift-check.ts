/**
 * @module services/drift-check
 * The daily drift check (policy `driftCheck: {referenceDays, currentDays}`): for
 * every active flow of a tenant, the drift between the reference window
 * [now − currentDays − referenceDays, now − currentDays) and the current window
 * [now − currentDays, now) (services/drift.ts). Each result is stored as an audit
 * row (entity `drift_check`, the flow's id; details: verdict, windows, every
 * attribute's PSI/band/KS), and a verdict `alert` queues a signed webhook alert
 * (event `drift`, tier warning, if the tenant's minTier lets warnings through) in
 * the same batch. Drift never pauses a flow. One check per flow and UTC day: a
 * second run on the same day finds the stored row and skips the flow.
 */
import { ALERT_TIERS } from "../domain/alerts.js";
import { driftAlert } from "../domain/drift.js";
import type { InStatement } from "../store/sql.js";
import type { TenantStore } from "../store/tenant-store.js";
import type { ServiceDeps } from "./context.js";
import { driftOfFlowKey } from "./drift.js";
import type { RecheckDeps } from "./recheck.js";

export const DRIFT_ACTOR = "system:drift-check";
const DAY = 86_400_000;

export interface TenantDriftCheck {
  tenantId: string;
  status: "checked" | "not_configured" | "failed";
  flows: { flowId: string; flowKey: string; verdict: "none" | "monitor" | "alert" | "skipped"; alerted: boolean }[];
}

/** The run key of a drift check: its UTC day. */
export function driftRunKey(now: Date): string {
  return `drift-check:${now.toISOString().slice(0, 10)}`;
}

/** Runs the tenant's drift check once (a no-op without `driftCheck` in the policy). */
export async function applyDriftCheck(deps: Pick<ServiceDeps, "clock" | "newId">, store: TenantStore): Promise<TenantDriftCheck> {
  const policy = await store.governance.getPolicy();
  const cfg = policy?.driftCheck;
  if (!cfg) return { tenantId: store.tenantId, status: "not_configured", flows: [] };
  const now = deps.clock();
  const nowMs = now.getTime();
  const runKey = driftRunKey(now);
  const windows = {
    reference: { from: nowMs - (cfg.currentDays + cfg.referenceDays) * DAY, to: nowMs - cfg.currentDays * DAY },
    current: { from: nowMs - cfg.currentDays * DAY, to: nowMs },
  };
  const settings = await store.alerts.getSettings();
  const alertsOn = settings !== null && ALERT_TIERS.indexOf("warning") >= ALERT_TIERS.indexOf(settings.minTier);
  const out: TenantDriftCheck = { tenantId: store.tenantId, status: "checked", flows: [] };
  for (const flow of await store.flows.list("active")) {
    if (await store.drift.checkedOn(flow.id, runKey)) {
      out.flows.push({ flowId: flow.id, flowKey: flow.key, verdict: "skipped", alerted: false });
      continue;
    }
    const r = await driftOfFlowKey(store, flow, windows, undefined, now);
    const at = now.toISOString();
    const stmts: InStatement[] = [
      store.evidence.auditStmt(
        deps.newId(),
        {
          entityType: "drift_check",
          entityId: flow.id,
          action: "drift_check",
          actor: DRIFT_ACTOR,
          reason: `daily drift check: ${cfg.referenceDays}-day reference vs the last ${cfg.currentDays} days`,
          details: {
            runKey,
            flowKey: flow.key,
            verdict: r.verdict,
            reference: r.reference,
            current: r.current,
            attributes: r.attributes.map((a) => ({ attribute: a.attribute, kind: a.kind, psi: a.psi, band: a.band, ks: a.ks, ksPValue: a.ksPValue, alert: a.alert })),
          },
        },
        at,
      ),
    ];
    const alerted = r.verdict === "alert" && alertsOn;
    if (alerted) {
      const id = crypto.randomUUID();
      const payload = driftAlert({ id, tenantId: store.tenantId, occurredAt: at, flow, reference: r.reference, current: r.current, attributes: r.attributes });
      stmts.push(store.alerts.enqueueStmt(id, payload.event, payload.tier, payload, at, nowMs));
    }
    await store.write(stmts);
    if (alerted) store.signalOutbox();
    out.flows.push({ flowId: flow.id, flowKey: flow.key, verdict: r.verdict, alerted });
  }
  return out;
}

/** Runs the drift check for every tenant; one tenant's failure is reported and the others still run. */
export async function runDriftChecks(deps: RecheckDeps, onTenantError: (tenantId: string, e: unknown) => void = () => {}): Promise<TenantDriftCheck[]> {
  const out: TenantDriftCheck[] = [];
  for (const t of await deps.control.listTenants()) {
    try {
      const { store } = await deps.tenants.get(t);
      out.push(await applyDriftCheck(deps, store));
    } catch (e) {
      onTenantError(t.id, e);
      out.push({ tenantId: t.id, status: "failed", flows: [] });
    }
  }
  return out;
}
