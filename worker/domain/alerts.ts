/**
 * @module domain/alerts
 * Alert payloads and their signature, pure. A payload carries the context a
 * person needs to act: the failing slice, metric, threshold, value and interval,
 * the baseline delta, a link to the report and a suggested next step.
 *
 * Signature (see docs/alerts.md): header `Fairgate-Signature: t=<unix seconds>,v1=<hex>`
 * where hex = HMAC-SHA256(secret, "<t>.<raw body>").
 */
import { z } from "zod";
import { hmacSha256Hex } from "./hex.js";
import { topDrivers } from "./drivers.js";
import type { Evaluation } from "./evaluation.js";
import { classifyFailure, type Playbooks, playbookFor } from "./failure-class.js";
import { failingSlices } from "./remediation.js";
import { type ReportInterval, reportInterval } from "./report-results.js";

export const ALERT_TIERS = ["warning", "critical", "block"] as const;
export type AlertTier = (typeof ALERT_TIERS)[number];
export type AlertEvent = "block" | "auto_pause" | "critical" | "override" | "shadow_block";

/** The tenant's webhook settings (PUT /tenant-settings `alerts`). http only to loopback, else https. */
export const alertSettingsSchema = z.strictObject({
  webhookUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .refine((u) => u.startsWith("https://") || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(u), "must be https (plain http only to localhost)"),
  secret: z.string().min(16).max(256),
  minTier: z.enum(ALERT_TIERS).default("warning"),
  /** Public base URL of the gateway, so alert links are absolute (else they are paths). */
  reportBaseUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
});
export type AlertSettings = z.infer<typeof alertSettingsSchema>;

/** Whether an event of `tier` passes the tenant's minimum. Override events are governance: always sent. */
export function passesMinTier(event: AlertEvent, tier: AlertTier, minTier: AlertTier): boolean {
  return event === "override" || ALERT_TIERS.indexOf(tier) >= ALERT_TIERS.indexOf(minTier);
}

const NEXT_STEP: Record<AlertEvent, string> = {
  block: "Open the report, check the failing group's data and features, fix the flow and publish again; if the business must go ahead, an admin requests an override and a different approver approves it.",
  auto_pause: "The flow was paused and serves no decisions. Open the report and the remediation record, find the root cause (data, feature, label, threshold or model), then publish a fixed version.",
  critical: "A metric crossed its critical tier but did not block. Review the report before it reaches the block tier.",
  shadow_block: "Shadow mode: the gate would have blocked this publish or paused this flow, and did not. Open the report and fix the cause before the policy's enforcement is switched to enforce.",
  override: "Check that the override's reason and expiry match what was agreed; it will be visible in every report it applies to.",
};

/** How much a metric moved since the baseline evaluation (from the recorded regression of that metric), or null. */
function baselineDelta(e: Evaluation, metric: string): number | null {
  const r = e.baseline?.regressions.find((x) => x.metric === metric);
  return r ? r.current - r.baseline : null;
}

interface FailingMetric {
  metric: string;
  sliceName: string | null;
  value: number;
  threshold: number;
  interval: ReportInterval | null;
  baselineDelta: number | null;
}

/**
 * The metrics behind an event with value, threshold and interval: those whose
 * recorded status per slice (`results[]`) is `tier`. An evaluation without
 * results (upgraded v1) has only its three top-level values, which are compared
 * with the policy's threshold for `tier` here.
 */
function failingMetrics(e: Evaluation, tier: "block" | "critical"): FailingMetric[] {
  const out: FailingMetric[] = [];
  for (const r of e.results) {
    for (const [metric, ev] of Object.entries(r.metrics)) {
      const threshold = ev.threshold?.[tier];
      if (ev.status !== tier || ev.value === null || threshold === undefined) continue;
      out.push({ metric, sliceName: r.slice, value: ev.value, threshold, interval: reportInterval(ev.interval), baselineDelta: baselineDelta(e, metric) });
    }
  }
  if (e.results.length > 0) return out;
  const values = new Map<string, number | null>(Object.entries(e.metrics));
  for (const [m, spec] of Object.entries(e.policy?.thresholds ?? {})) {
    const value = values.get(m) ?? null;
    // A bare number is the threshold of the event's tier.
    const threshold = typeof spec === "number" ? spec : spec?.[tier];
    if (value === null || threshold === undefined) continue;
    if (m.endsWith("Ratio") ? value < threshold : value > threshold)
      out.push({ metric: m, sliceName: e.sensitiveAttribute, value, threshold, interval: null, baselineDelta: baselineDelta(e, m) });
  }
  return out;
}

/** Builds the payload of an evaluation event (block, auto_pause, critical); without the evaluation it names only what the event knows. */
export function evaluationAlert(input: {
  id: string;
  event: Exclude<AlertEvent, "override">;
  tenantId: string;
  occurredAt: string;
  evaluation: Evaluation | undefined;
  reportBaseUrl?: string | undefined;
  playbooks?: Playbooks | null | undefined;
}) {
  const e = input.evaluation;
  // A block, a pause or a shadow block has a class and a playbook; a critical tier that did not block has neither.
  const failureClass = e && input.event !== "critical" ? classifyFailure(e) : null;
  const slices = failingSlices(e);
  const failing = (e ? failingMetrics(e, input.event === "critical" ? "critical" : "block") : []).map((f) => ({ ...f, slice: slices[0] ?? null }));
  const path = `/api/v1/fairness-evaluations/${encodeURIComponent(e?.id ?? "")}/report.html`;
  return {
    id: input.id,
    event: input.event,
    tier: input.event === "critical" ? ("critical" as const) : ("block" as const),
    occurredAt: input.occurredAt,
    tenantId: input.tenantId,
    flow: { id: e?.flowId ?? null, key: e?.flowKey ?? null, version: e?.version ?? null },
    evaluationId: e?.id ?? null,
    verdict: e?.verdict ?? null,
    failing,
    failingSlices: slices,
    violations: e?.violations ?? [],
    reportUrl: input.reportBaseUrl ? new URL(path, input.reportBaseUrl).toString() : path,
    suggestedNextStep: NEXT_STEP[input.event],
    failureClass,
    /** The first step of the tenant's playbook for the class. */
    firstStep: failureClass ? (playbookFor(failureClass, input.playbooks)[0] ?? null) : null,
    drivers: topDrivers(e?.drivers, 3),
  };
}

/** The audited `after` state of an override, copied into its alert (anything but an object adds nothing). */
const auditedFields = z.record(z.string(), z.unknown()).catch({});

/** Builds the payload of an override event (request, approval, revocation). */
export function overrideAlert(input: { id: string; tenantId: string; occurredAt: string; action: string; overrideId: string; actor: string; reason: string | null; after: unknown }) {
  return {
    id: input.id,
    event: "override" as const,
    tier: "warning" as const,
    occurredAt: input.occurredAt,
    tenantId: input.tenantId,
    action: input.action,
    override: { id: input.overrideId, by: input.actor, reason: input.reason, ...auditedFields.parse(input.after) },
    suggestedNextStep: NEXT_STEP.override,
  };
}

/** HMAC-SHA256 over "<timestamp>.<body>", as the `Fairgate-Signature` header value. */
export async function signAlert(secret: string, timestamp: number, body: string): Promise<string> {
  return `t=${timestamp},v1=${await hmacSha256Hex(secret, `${timestamp}.${body}`)}`;
}
