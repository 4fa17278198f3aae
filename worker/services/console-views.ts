/**
 * @module services/console-views
 * Read models the console's screens render: each assembles what one screen shows
 * from the same store reads the API routes use, so the console never reads
 * anything the API could not. Pure reads; nothing here writes.
 */
import { NotFoundError } from "../domain/errors.js";
import type { Evaluation } from "../domain/evaluation.js";
import type { FlowDefinition, FlowStatus } from "../domain/flow.js";
import type { Report } from "../domain/report.js";
import type { TenantStore } from "../store/tenant-store.js";
import type { AuditRow } from "../store/tenant/evidence.js";
import type { LatestVerdict } from "../store/tenant/flow-summaries.js";
import { type FlowView, flowView } from "./flows.js";
import { evaluationReport } from "./report.js";

export interface FlowRow extends FlowView {
  lastVerdict: LatestVerdict | null;
}

/** The Flows screen: flows (archived only when asked for, as in the API) with their latest verdict. */
export async function flowsOverview(store: TenantStore, status?: FlowStatus): Promise<FlowRow[]> {
  const [flows, verdicts] = await Promise.all([store.flows.list(status), store.flowSummaries.latestVerdicts()]);
  return flows.filter((f) => status !== undefined || f.status !== "archived").map((f) => ({ ...flowView(f), lastVerdict: verdicts.get(f.id) ?? null }));
}

export interface FlowHistory {
  flow: FlowView;
  /** Every version's definition, version 1 first. */
  versions: { version: number; definition: FlowDefinition | null }[];
  /** Evidence, when the reader may see it (null otherwise): evaluations newest first, the latest one's report, the audit rows newest first. */
  evidence: {
    evaluations: Evaluation[];
    latestReport: Report | null;
    audit: AuditRow[];
  } | null;
}

/** Most evaluations and audit rows the Flow screen reads (the newest of each). */
export const FLOW_HISTORY_LIMIT = 200;

/**
 * The Flow screen: the flow with every version's definition and, for evidence
 * readers, its evaluations, the latest evaluation's report (the same report the
 * report.json route builds) and its audit history (reasons, violations).
 */
export async function flowHistory(store: TenantStore, tenant: { id: string; name: string | null }, id: string, now: Date, withEvidence: boolean): Promise<FlowHistory> {
  const f = await store.flows.get(id);
  if (!f) throw new NotFoundError("decision flow");
  const versions = await Promise.all(Array.from({ length: f.latestVersion }, (_, i) => i + 1).map(async (v) => ({ version: v, definition: await store.flows.getDefinition(f.id, v) })));
  if (!withEvidence) return { flow: flowView(f), versions, evidence: null };
  const [evaluations, audit] = await Promise.all([
    store.evidence.listEvaluations({ flowId: f.id, limit: FLOW_HISTORY_LIMIT }),
    store.flowSummaries.latestAudit("decision_flow", f.id, FLOW_HISTORY_LIMIT),
  ]);
  const latest = evaluations[0];
  const latestReport = latest ? await evaluationReport(store, tenant, latest.id, now) : null;
  return { flow: flowView(f), versions, evidence: { evaluations, latestReport, audit } };
}
