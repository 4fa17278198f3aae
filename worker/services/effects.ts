/**
 * @module services/effects
 * Commits a change together with what its events imply. The events are the
 * audit entries and evaluations the chained statements carry; the domain
 * decides the effects (domain/effects.ts) from facts read here; the effects'
 * statements join the same atomic batch, so an event and its consequences
 * stand or fall together.
 */
import { decideEffects, type EffectDecision, flowsNeedingRemediationFacts, mayHaveEffects, type WriteEvents } from "../domain/effects.js";
import type { InStatement, ResultSet } from "../store/sql.js";
import type { TenantStore } from "../store/tenant-store.js";
import { pendingLinkOf } from "../store/tenant/chain-links.js";

/** The audit entries and evaluations carried by `stmts`, in batch order. */
export function eventsOf(stmts: readonly InStatement[]): WriteEvents {
  const events: WriteEvents = { audits: [], evaluations: [] };
  for (const s of stmts) {
    const link = pendingLinkOf(s);
    if (link?.audit) events.audits.push(link.audit);
    if (link?.evaluation) events.evaluations.push(link.evaluation);
  }
  return events;
}

/** The effects `stmts` imply, as decisions (reads only the facts the decision needs). */
export async function effectsOf(store: TenantStore, stmts: readonly InStatement[], newId: () => string): Promise<EffectDecision[]> {
  const events = eventsOf(stmts);
  if (!mayHaveEffects(events)) return [];
  const settings = await store.alerts.getSettings();
  const open = new Set<string>();
  const needing = flowsNeedingRemediationFacts(events);
  for (const flowId of needing) if (await store.remediations.activeFor(flowId)) open.add(flowId);
  // Playbooks only matter to a remediation or an alert (a shadow block alerts with its first step too).
  const playbooks = needing.length > 0 || settings ? await store.governance.getPlaybooks() : null;
  return decideEffects(events, { alerts: settings, flowsWithOpenRemediation: open, playbooks }, store.tenantId, newId);
}

function statementOf(store: TenantStore, d: EffectDecision): InStatement {
  if (d.kind === "open_remediation") return store.remediations.insertStmt(d.record);
  return store.alerts.enqueueStmt(d.id, d.event, d.tier, d.payload, d.at, Date.parse(d.at) || Date.now());
}

/**
 * Commits `stmts` and the statements of their effects in one atomic batch
 * (`store.write`, guarded by `guardCode`), then wakes the alert loop if an
 * alert was queued. `keep` lets a caller that repeats work drop an effect it
 * already caused (the recheck: no second critical alert for the same outcome).
 * Results are returned for `stmts`, in order.
 */
export async function writeWithEffects(store: TenantStore, stmts: InStatement[], guardCode?: string, keep: (d: EffectDecision) => boolean = () => true): Promise<ResultSet[]> {
  // Effect records get random ids of their own, independent of the caller's id source.
  const decisions = (await effectsOf(store, stmts, () => crypto.randomUUID())).filter(keep);
  const rs = await store.write([...stmts, ...decisions.map((d) => statementOf(store, d))], guardCode);
  if (decisions.some((d) => d.kind === "queue_alert")) store.signalOutbox();
  return rs.slice(0, stmts.length);
}
