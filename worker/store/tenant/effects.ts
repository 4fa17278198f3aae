/**
 * @module store/tenant/effects
 * Statements derived from the audit entries of a write and committed in the
 * same batch, so an event and its consequences stand or fall together:
 * - publish_blocked / auto_pause → a remediation record (unless the flow already
 *   has an open one) and a block / auto_pause alert;
 * - an evaluation at the critical tier (when the evaluator reports tiers) → a critical alert;
 * - override_request / override_approve / override_revoke → an override alert.
 * Alerts are only queued when the tenant has a webhook and the tier passes its minimum.
 */
import { type AlertEvent, type AlertTier, evaluationAlert, overrideAlert, passesMinTier } from "../../domain/alerts.js";
import type { Evaluation } from "../../domain/evaluation.js";
import { DEFAULT_DUE_DAYS, failingSlices } from "../../domain/remediation.js";
import { obj, str } from "../../domain/report-fields.js";
import type { Client, InStatement } from "../sql.js";
import { createAlertStore } from "./alerts.js";
import { pendingLinkOf } from "./chain-links.js";
import { createRemediationStore } from "./remediations.js";

/** Marks statements that insert outbox rows, so write() knows to signal the delivery loop. */
const outboxStmts = new WeakSet<object>();
export const insertsOutbox = (s: InStatement) => typeof s === "object" && outboxStmts.has(s);

/** Whether the evaluator put this evaluation at the critical tier (field added by later evaluators). */
function isCritical(e: unknown): boolean {
  const o = obj(e);
  const warnings = Array.isArray(o.warnings) ? o.warnings.map(obj) : [];
  return warnings.some((w) => w.tier === "critical") || o.tier === "critical" || o.highestTier === "critical";
}

/** Extra statements for `stmts`; they may themselves be chained audit statements. */
export async function deriveEffects(db: Client, tenantId: string, stmts: InStatement[]): Promise<InStatement[]> {
  const links = stmts.map(pendingLinkOf).filter((l) => l !== undefined);
  const evaluations = new Map<string, Evaluation>();
  for (const l of links) if (l.evaluation) evaluations.set(l.evaluation.id, l.evaluation);
  const audits = links.filter((l) => l.audit);
  const relevant = audits.some((l) => /^(publish_blocked|auto_pause|override_request|override_approve|override_revoke)$/.test(l.audit!.action)) || [...evaluations.values()].some(isCritical);
  if (!relevant) return [];

  const out: InStatement[] = [];
  const alerts = createAlertStore(db, tenantId);
  const settings = await alerts.getSettings();
  const queue = (event: AlertEvent, tier: AlertTier, at: string, build: (id: string) => unknown) => {
    if (!settings || !passesMinTier(event, tier, settings.minTier)) return;
    const id = crypto.randomUUID();
    const stmt = alerts.enqueueStmt(id, event, tier, build(id), at, Date.parse(at) || Date.now());
    outboxStmts.add(stmt as object);
    out.push(stmt);
  };
  const remediations = createRemediationStore(db, tenantId);
  const opened = new Set<string>();

  for (const l of audits) {
    const a = l.audit!;
    const at = l.at ?? new Date().toISOString();
    if (a.action === "publish_blocked" || a.action === "auto_pause") {
      const evaluationId = str(obj(a.details).evaluationId);
      const evaluation = evaluationId ? evaluations.get(evaluationId) : undefined;
      if (!opened.has(a.entityId) && !(await remediations.activeFor(a.entityId))) {
        opened.add(a.entityId);
        const id = crypto.randomUUID();
        const record = {
          id,
          flowId: a.entityId,
          flowKey: evaluation?.flowKey ?? null,
          evaluationId: evaluationId ?? "",
          openedByAction: a.action,
          failingMetrics: a.violations ?? [],
          failingSlices: failingSlices(evaluation),
          status: "open" as const,
          // The publisher who hit the block owns it until someone reassigns it; a system pause has no owner yet.
          owner: a.action === "publish_blocked" ? a.actor : null,
          dueAt: new Date(Date.parse(at) + DEFAULT_DUE_DAYS * 86_400_000).toISOString(),
          rootCause: null,
          notes: null,
          resolvingEvaluationId: null,
          overrideId: null,
          revision: 1,
          createdAt: at,
          updatedAt: at,
        };
        // No audit row of its own: the event's audit row (publish_blocked / auto_pause, in this
        // batch and chained) records the opening, and the record links its evaluation.
        out.push(remediations.insertStmt(record));
      }
      const event = a.action === "auto_pause" ? "auto_pause" : "block";
      queue(event, "block", at, (id) => evaluationAlert({ id, event, tenantId, occurredAt: at, evaluation, reportBaseUrl: settings?.reportBaseUrl }));
    } else if (a.action.startsWith("override_")) {
      queue("override", "warning", at, (id) => overrideAlert({ id, tenantId, occurredAt: at, action: a.action, overrideId: a.entityId, actor: a.actor, reason: a.reason ?? null, after: a.after }));
    }
  }
  for (const e of evaluations.values()) {
    if (e.verdict !== "block" && isCritical(e))
      queue("critical", "critical", e.createdAt, (id) => evaluationAlert({ id, event: "critical", tenantId, occurredAt: e.createdAt, evaluation: e, reportBaseUrl: settings?.reportBaseUrl }));
  }
  return out;
}
