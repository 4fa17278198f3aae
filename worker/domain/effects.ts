/**
 * @module domain/effects
 * What the events of one write imply, decided without I/O, so an event and its
 * consequences can be committed in the same batch:
 * - publish_blocked / auto_pause → a remediation record (unless the flow already
 *   has an open one) and a block / auto_pause alert;
 * - an evaluation at the critical tier that did not block → a critical alert;
 * - shadow_publish_blocked / shadow_auto_pause (shadow enforcement: what would have
 *   blocked or paused) → a shadow_block alert, and no remediation: nothing was
 *   blocked or paused, so there is no stopped flow to remediate; the evaluation,
 *   the audit row and the alert are the evidence;
 * - override_request / override_approve / override_reject / override_revoke → an override alert.
 * Alerts are only queued when the tenant has a webhook and the tier passes its minimum.
 * The caller (services/effects.ts) gathers the facts, turns decisions into
 * statements and commits them with the events.
 */
import { type AlertEvent, type AlertTier, evaluationAlert, overrideAlert, passesMinTier } from "./alerts.js";
import type { TimedAuditEntry } from "./audit-entry.js";
import type { Evaluation } from "./evaluation.js";
import { classifyFailure, type Playbooks, playbookFor } from "./failure-class.js";
import { DEFAULT_DUE_DAYS, failingSlices } from "./remediation.js";
import type { RemediationRecord } from "./remediation-record.js";

/** The events of one write: its audit entries and evaluations, in batch order. */
export interface WriteEvents {
  audits: TimedAuditEntry[];
  evaluations: Evaluation[];
}

/** What the decision needs to know about the tenant's state. */
export interface EffectFacts {
  /** The tenant's webhook settings, or null without a webhook. */
  alerts: { minTier: AlertTier; reportBaseUrl?: string | undefined } | null;
  /** Flows (of those the events block or pause) that already have an open remediation. */
  flowsWithOpenRemediation: ReadonlySet<string>;
  /** The tenant's remediation playbooks (null or absent: the defaults). */
  playbooks?: Playbooks | null;
}

export type EffectDecision =
  | { kind: "open_remediation"; record: RemediationRecord }
  | { kind: "queue_alert"; id: string; event: AlertEvent; tier: AlertTier; at: string; payload: unknown };

const OPENS_REMEDIATION = new Set(["publish_blocked", "auto_pause"]);
const SHADOW_ACTIONS = new Set(["shadow_publish_blocked", "shadow_auto_pause"]);
const OVERRIDE_ACTIONS = new Set(["override_request", "override_approve", "override_reject", "override_revoke"]);

const isCritical = (e: Evaluation) => e.highestTier === "critical" || e.warnings.some((w) => w.tier === "critical");

/** Flows whose remediation state the decision needs (blocked or paused by these events). */
export function flowsNeedingRemediationFacts(events: WriteEvents): string[] {
  return [...new Set(events.audits.filter((a) => OPENS_REMEDIATION.has(a.action)).map((a) => a.entityId))];
}

/** Whether any event can imply an effect at all (when not, no facts need reading). */
export function mayHaveEffects(events: WriteEvents): boolean {
  return events.audits.some((a) => OPENS_REMEDIATION.has(a.action) || SHADOW_ACTIONS.has(a.action) || OVERRIDE_ACTIONS.has(a.action)) || events.evaluations.some((e) => e.verdict !== "block" && isCritical(e));
}

function evaluationIdOf(details: unknown): string | undefined {
  if (details === null || typeof details !== "object") return undefined;
  const id = (details as { evaluationId?: unknown }).evaluationId;
  return typeof id === "string" ? id : undefined;
}

/** The effects the events imply, in event order. `newId` names each new record or alert. */
export function decideEffects(events: WriteEvents, facts: EffectFacts, tenantId: string, newId: () => string): EffectDecision[] {
  const out: EffectDecision[] = [];
  const evaluations = new Map(events.evaluations.map((e) => [e.id, e]));
  const settings = facts.alerts;
  const queue = (event: AlertEvent, tier: AlertTier, at: string, build: (id: string) => unknown) => {
    if (!settings || !passesMinTier(event, tier, settings.minTier)) return;
    const id = newId();
    out.push({ kind: "queue_alert", id, event, tier, at, payload: build(id) });
  };
  const opened = new Set(facts.flowsWithOpenRemediation);

  for (const a of events.audits) {
    if (OPENS_REMEDIATION.has(a.action)) {
      const evaluationId = evaluationIdOf(a.details);
      const evaluation = evaluationId ? evaluations.get(evaluationId) : undefined;
      // Without the evaluation at hand nothing can be classified; its violations alone say nothing of the cause.
      const failureClass = evaluation ? classifyFailure(evaluation) : null;
      if (!opened.has(a.entityId)) {
        opened.add(a.entityId);
        out.push({
          kind: "open_remediation",
          record: {
            id: newId(),
            flowId: a.entityId,
            flowKey: evaluation?.flowKey ?? null,
            evaluationId: evaluationId ?? "",
            openedByAction: a.action,
            failingMetrics: a.violations ?? [],
            failingSlices: failingSlices(evaluation),
            status: "open",
            // The publisher who hit the block owns it until someone reassigns it; a system pause has no owner yet.
            owner: a.action === "publish_blocked" ? a.actor : null,
            dueAt: new Date(Date.parse(a.at) + DEFAULT_DUE_DAYS * 86_400_000).toISOString(),
            rootCause: null,
            notes: null,
            resolvingEvaluationId: null,
            overrideId: null,
            revision: 1,
            createdAt: a.at,
            updatedAt: a.at,
            failureClass,
            playbook: failureClass ? playbookFor(failureClass, facts.playbooks) : [],
          },
        });
      }
      const event = a.action === "auto_pause" ? "auto_pause" : "block";
      queue(event, "block", a.at, (id) => evaluationAlert({ id, event, tenantId, occurredAt: a.at, evaluation, reportBaseUrl: settings?.reportBaseUrl, playbooks: facts.playbooks }));
    } else if (SHADOW_ACTIONS.has(a.action)) {
      const evaluationId = evaluationIdOf(a.details);
      const evaluation = evaluationId ? evaluations.get(evaluationId) : undefined;
      queue("shadow_block", "block", a.at, (id) => evaluationAlert({ id, event: "shadow_block", tenantId, occurredAt: a.at, evaluation, reportBaseUrl: settings?.reportBaseUrl, playbooks: facts.playbooks }));
    } else if (OVERRIDE_ACTIONS.has(a.action)) {
      queue("override", "warning", a.at, (id) => overrideAlert({ id, tenantId, occurredAt: a.at, action: a.action, overrideId: a.entityId, actor: a.actor, reason: a.reason ?? null, after: a.after }));
    }
  }
  for (const e of events.evaluations) {
    if (e.verdict !== "block" && isCritical(e))
      queue("critical", "critical", e.createdAt, (id) => evaluationAlert({ id, event: "critical", tenantId, occurredAt: e.createdAt, evaluation: e, reportBaseUrl: settings?.reportBaseUrl }));
  }
  return out;
}
