/**
 * @module report/monitoring-html
 * The monitoring summary as one self-contained HTML page (inline CSS, no scripts,
 * no fetches); every value escaped.
 */
import type { MonitoringSummary } from "../domain/monitoring.js";
import { esc } from "./escape.js";

export const MONITORING_CSP = "default-src 'none'; style-src 'unsafe-inline'";

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:64em;color:#111}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left}
.bad{color:#a00;font-weight:600}@media print{body{margin:0}}`;

function table(head: string[], rows: unknown[][]): string {
  if (rows.length === 0) return "<p>None.</p>";
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c ?? "—")}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

/** Renders the summary as a complete HTML document. */
export function renderMonitoringHtml(s: MonitoringSummary): string {
  const c = s.chainVerification;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${MONITORING_CSP}">
<title>Post-market monitoring summary</title><style>${CSS}</style></head><body>
<h1>Post-market monitoring summary</h1>
<p>Tenant ${esc(s.tenantId)} · period ${esc(s.range.from)} – ${esc(s.range.to)} · generated ${esc(s.generatedAt)}</p>
<h2>Summary</h2><ul>${s.statements.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>
<h2>Flows monitored (${s.flowsMonitored})</h2>
${table(["flow", "status", "evaluations", "rechecks", "verdicts", "last verdict"], s.flows.map((f) => [f.key, f.status, f.evaluations, f.rechecks, Object.entries(f.verdicts).map(([v, n]) => `${v} ${n}`).join(", "), f.lastVerdict]))}
<h2>Rechecks</h2><p>${s.rechecks.evaluations} evaluation(s) on ${s.rechecks.days} day(s): ${esc(Object.entries(s.rechecks.byVerdict).map(([v, n]) => `${v} ${n}`).join(", ") || "none")}</p>
<h2>Pauses</h2>${table(["flow", "at", "trigger", "reason", "violations"], s.pauses.map((p) => [p.flowId, p.at, p.trigger, p.reason, p.violations.join("; ")]))}
<h2>Overrides</h2>${table(["id", "flow", "status", "requested by", "approved by", "reason", "from", "until", "days"], s.overrides.map((o) => [o.id, o.flowId ?? "tenant-wide", o.status, o.requestedBy, o.approvedBy, o.reason, o.approvedAt ?? o.requestedAt, o.revokedAt ?? o.expiresAt, o.durationDays]))}
<h2>Remediations</h2><p>Opened:</p>${table(["id", "flow", "status", "opened"], s.remediations.opened.map((r) => [r.id, r.flowKey, r.status, r.createdAt]))}
<p>Closed:</p>${table(["id", "how", "by", "at"], s.remediations.closed.map((r) => [r.remediationId, r.action, r.actor, r.at]))}
<h2>Trace retention</h2>${table(["at", "cutoff", "traces deleted", "dataset hashes"], s.retention.map((r) => [r.at, r.cutoff, r.traces, r.datasetHashCount]))}
<h2>Chain verification</h2><p class="${c.ok ? "" : "bad"}">${c.ok ? "Intact" : "BROKEN"}: audit log ${c.audit.rows} rows (${c.audit.breakCount} findings, signature ${c.audit.signatureValid === null ? "n/a" : c.audit.signatureValid ? "valid" : "INVALID"}); evaluations ${c.evaluation.rows} rows (${c.evaluation.breakCount} findings, signature ${c.evaluation.signatureValid === null ? "n/a" : c.evaluation.signatureValid ? "valid" : "INVALID"}).</p>
</body></html>`;
}
