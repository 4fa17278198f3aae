/**
 * @module services/console-evidence
 * Read models of the console's Evaluations, Audit log, Remediations and Settings screens: a
 * page of evaluations with the flows to filter by; a page of remediations; a page of the audit log with its filter's
 * choices; the verdict of both hash chains (the same verifier GET /audit-log/verify
 * runs); and the policy dry run — what today's window would say for every active flow
 * under an edited policy, through the one evaluation path (`evaluateFlow`), with
 * nothing written. Pure reads; nothing here writes.
 */
import type { FairnessPolicy } from "../domain/policy.js";
import type { ChainAnchorStore } from "../store/chain-anchors.js";
import type { TenantStore } from "../store/tenant-store.js";
import type { AuditListRow, AuditPageFilter, EvaluationListRow, EvaluationPageFilter, RemediationListRow, RemediationPageFilter } from "../store/tenant/console-reads.js";
import { type AnchoredVerdict, verifyChain } from "./chain.js";
import type { ServiceDeps } from "./context.js";
import { evaluateFlow } from "./evaluate.js";

export interface EvaluationsPage {
  rows: EvaluationListRow[];
  /** The cursor of the next (older) page, null at the end. */
  next: { createdAt: string; id: string } | null;
  /** Every flow (archived ones too: their evaluations stay evidence), for the filter. */
  flows: { id: string; key: string }[];
}

export async function evaluationsPage(store: TenantStore, f: EvaluationPageFilter): Promise<EvaluationsPage> {
  const [rows, live, archived] = await Promise.all([store.consoleReads.evaluationPage({ ...f, limit: f.limit + 1 }), store.flows.list(), store.flows.list("archived")]);
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    rows: page,
    next: rows.length > f.limit && last ? { createdAt: last.createdAt, id: last.id } : null,
    flows: [...live, ...archived].map((x) => ({ id: x.id, key: x.key })).sort((a, b) => a.key.localeCompare(b.key)),
  };
}

export interface RemediationsPage {
  rows: RemediationListRow[];
  /** The cursor of the next (older) page, null at the end. */
  next: { createdAt: string; id: string } | null;
}

export async function remediationsPage(store: TenantStore, f: RemediationPageFilter): Promise<RemediationsPage> {
  const rows = await store.consoleReads.remediationPage({ ...f, limit: f.limit + 1 });
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > f.limit && last ? { createdAt: last.createdAt, id: last.id } : null };
}

export interface AuditLogPage {
  rows: AuditListRow[];
  /** The seq to page on from (older rows), null at the end. */
  nextBeforeSeq: number | null;
  facets: { entityTypes: string[]; actions: string[]; actors: string[] };
}

export async function auditLogPage(store: TenantStore, f: AuditPageFilter): Promise<AuditLogPage> {
  const [rows, facets] = await Promise.all([store.consoleReads.auditPage({ ...f, limit: f.limit + 1 }), store.consoleReads.auditFacets()]);
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return { rows: page, nextBeforeSeq: rows.length > f.limit && last ? last.seq : null, facets };
}

/**
 * Both chains verified against their stored heads and signed anchors (what GET /audit-log/verify
 * answers). It walks every row, so it grows with the tenant's history: the console asks for it
 * in its own request rather than with every page of the log.
 */
export async function chainVerdicts(store: TenantStore, anchors: ChainAnchorStore | null): Promise<{ audit: AnchoredVerdict; evaluation: AnchoredVerdict }> {
  const [audit, evaluation] = await Promise.all([verifyChain(store, "audit", anchors), verifyChain(store, "evaluation", anchors)]);
  return { audit, evaluation };
}

export interface DryRunRow {
  flowId: string;
  flowKey: string;
  version: number;
  verdict: string;
  sampleSize: number;
  violations: string[];
  /** What the gate's verdict rests on when it is not a plain pass/block (skip reason, override). */
  reason: string | null;
}

/**
 * What the daily recheck would say today for each active flow's serving version under
 * `policy` (not the stored one). The evaluations are built and discarded: nothing is
 * written, so no evaluation, audit row, pause or alert comes of it.
 */
export async function policyDryRun(deps: ServiceDeps, store: TenantStore, policy: FairnessPolicy): Promise<DryRunRow[]> {
  const flows = await store.flows.list("active");
  const out: DryRunRow[] = [];
  // One at a time: each evaluation reads a whole window, and a tenant may have hundreds of flows.
  for (const flow of flows) {
    const version = flow.activeVersion ?? flow.latestVersion;
    const { evaluation, gate } = await evaluateFlow(deps, store, flow, version, "recheck", policy);
    out.push({
      flowId: flow.id,
      flowKey: flow.key,
      version,
      verdict: evaluation.verdict,
      sampleSize: evaluation.sampleSize,
      violations: evaluation.violations,
      reason: gate.reason,
    });
  }
  return out;
}
