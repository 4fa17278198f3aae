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
import { failingSlices } from "./remediation.js";
import { intervalOf, num, obj, str } from "./report-fields.js";

export const ALERT_TIERS = ["warning", "critical", "block"] as const;
export type AlertTier = (typeof ALERT_TIERS)[number];
export type AlertEvent = "block" | "auto_pause" | "critical" | "override";

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
  override: "Check that the override's reason and expiry match what was agreed; it will be visible in every report it applies to.",
};

/** How much a metric moved since the baseline evaluation (later evaluators), or null. */
function baselineDelta(e: Record<string, unknown>, metric: string): number | null {
  const b = obj(e.baseline ?? e.baselineDeltas);
  const regressions = Array.isArray(b.regressions) ? b.regressions.map(obj) : [];
  const r = regressions.find((x) => x.metric === metric);
  if (r && num(r.current) !== null && num(r.baseline) !== null) return (r.current as number) - (r.baseline as number);
  const d = b[metric];
  return typeof d === "number" ? d : num(obj(d).delta);
}

/**
 * The metrics behind an event with value, threshold and interval. Later
 * evaluators report a status per metric per slice (`results[]`); older ones
 * only values, which are compared with the policy's threshold here.
 */
function failingMetrics(e: Record<string, unknown>, tier: "block" | "critical") {
  const out: { metric: string; sliceName: string | null; value: number; threshold: number; interval: ReturnType<typeof intervalOf>; baselineDelta: number | null }[] = [];
  const results = (Array.isArray(e.results) ? e.results : []).map(obj);
  for (const r of results) {
    for (const [metric, raw] of Object.entries(obj(r.metrics))) {
      const ev = obj(raw);
      const value = num(ev.value);
      const threshold = num(obj(ev.threshold)[String(ev.status)]);
      if (ev.status !== tier || value === null || threshold === null) continue;
      out.push({ metric, sliceName: str(r.slice), value, threshold, interval: intervalOf(ev.interval), baselineDelta: baselineDelta(e, metric) });
    }
  }
  if (results.length > 0) return out;
  const thresholds = obj(obj(e.policy).thresholds);
  const metrics = obj(e.metrics);
  for (const m of Object.keys(thresholds)) {
    const raw = metrics[m];
    const value = typeof raw === "number" ? raw : num(obj(raw).value);
    const spec = thresholds[m];
    const threshold = typeof spec === "number" ? spec : num(obj(spec)[tier]);
    if (value === null || threshold === null) continue;
    if (m.endsWith("Ratio") ? value < threshold : value > threshold)
      out.push({ metric: m, sliceName: str(e.sensitiveAttribute), value, threshold, interval: intervalOf(obj(raw).interval), baselineDelta: baselineDelta(e, m) });
  }
  return out;
}

/** Builds the payload of an evaluation event (block, auto_pause, critical). */
export function evaluationAlert(input: { id: string; event: Exclude<AlertEvent, "override">; tenantId: string; occurredAt: string; evaluation: unknown; reportBaseUrl?: string | undefined }) {
  const e = obj(input.evaluation);
  const slices = failingSlices(e);
  const failing = failingMetrics(e, input.event === "critical" ? "critical" : "block").map((f) => ({ ...f, slice: slices[0] ?? null }));
  const path = `/api/v1/fairness-evaluations/${encodeURIComponent(String(e.id ?? ""))}/report.html`;
  return {
    id: input.id,
    event: input.event,
    tier: input.event === "critical" ? ("critical" as const) : ("block" as const),
    occurredAt: input.occurredAt,
    tenantId: input.tenantId,
    flow: { id: str(e.flowId), key: str(e.flowKey), version: num(e.version) },
    evaluationId: str(e.id),
    verdict: str(e.verdict),
    failing,
    failingSlices: slices,
    violations: Array.isArray(e.violations) ? e.violations.map(String) : [],
    reportUrl: input.reportBaseUrl ? new URL(path, input.reportBaseUrl).toString() : path,
    suggestedNextStep: NEXT_STEP[input.event],
  };
}

/** Builds the payload of an override event (request, approval, revocation). */
export function overrideAlert(input: { id: string; tenantId: string; occurredAt: string; action: string; overrideId: string; actor: string; reason: string | null; after: unknown }) {
  return {
    id: input.id,
    event: "override" as const,
    tier: "warning" as const,
    occurredAt: input.occurredAt,
    tenantId: input.tenantId,
    action: input.action,
    override: { id: input.overrideId, by: input.actor, reason: input.reason, ...obj(input.after) },
    suggestedNextStep: NEXT_STEP.override,
  };
}

/** HMAC-SHA256 over "<timestamp>.<body>", as the `Fairgate-Signature` header value. */
export async function signAlert(secret: string, timestamp: number, body: string): Promise<string> {
  return `t=${timestamp},v1=${await hmacSha256Hex(secret, `${timestamp}.${body}`)}`;
}
