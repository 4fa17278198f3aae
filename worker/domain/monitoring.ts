/**
 * @module domain/monitoring
 * The post-market monitoring summary of a period (EU AI Act Art. 72; logs per
 * Arts. 12, 19, 26(6)): which flows were monitored, the rechecks run and their
 * outcomes, the pauses and why, the overrides (who asked, who approved, why, for
 * how long), the remediations opened and closed, trace deletions under the
 * retention policy, and the chain verification result — plus the same in
 * plain-language sentences. Pure: the service gathers the records.
 */

export const MONITORING_FORMAT = "fairgate-monitoring/1";

export interface MonitoringInput {
  tenantId: string;
  generatedAt: string;
  range: { from: string; to: string };
  /** Policy at generation time: is the daily recheck on. */
  continuousRecheck: boolean;
  flows: { id: string; key: string; status: string }[];
  /** Evaluations created in the range. */
  evaluations: { id: string; flowId: string | null; flowKey: string | null; trigger: string; verdict: string; createdAt: string }[];
  /** auto_pause audit rows in the range. */
  pauses: { flowId: string; at: string; actor: string; reason: string | null; trigger: string | null; violations: string[]; evaluationId: string | null }[];
  /** Every override of the tenant (the summary keeps those whose life overlaps the range). */
  overrides: {
    id: string;
    flowId: string | null;
    status: string;
    reason: string;
    requestedBy: string;
    requestedAt: string;
    approvedBy: string | null;
    approvedAt: string | null;
    expiresAt: string;
    revokedBy: string | null;
    revokedAt: string | null;
  }[];
  remediations: { id: string; flowId: string; flowKey: string; status: string; createdAt: string }[];
  /** remediation_resolved / remediation_waived audit rows in the range. */
  remediationClosings: { remediationId: string; action: string; actor: string; at: string }[];
  /** traces_retention_delete audit rows in the range. */
  retention: { at: string; cutoff: string | null; traces: number; datasetHashCount: number }[];
  chains: { audit: ChainResult; evaluation: ChainResult };
}

export interface ChainResult {
  ok: boolean;
  rows: number;
  breakCount: number;
  signatureValid: boolean | null;
}

const DAY = 86_400_000;
const inRange = (at: string, r: { from: string; to: string }) => at >= r.from && at < r.to;

/** Builds the summary. */
export function buildMonitoringSummary(i: MonitoringInput) {
  const byFlow = new Map<string, { evaluations: number; rechecks: number; verdicts: Record<string, number>; lastVerdict: string | null }>();
  for (const f of i.flows) byFlow.set(f.id, { evaluations: 0, rechecks: 0, verdicts: {}, lastVerdict: null });
  const recheckVerdicts: Record<string, number> = {};
  const recheckDays = new Set<string>();
  for (const e of i.evaluations) {
    const f = e.flowId ? byFlow.get(e.flowId) : undefined;
    if (f) {
      f.evaluations++;
      f.verdicts[e.verdict] = (f.verdicts[e.verdict] ?? 0) + 1;
      f.lastVerdict = e.verdict;
      if (e.trigger === "recheck") f.rechecks++;
    }
    if (e.trigger === "recheck") {
      recheckVerdicts[e.verdict] = (recheckVerdicts[e.verdict] ?? 0) + 1;
      recheckDays.add(e.createdAt.slice(0, 10));
    }
  }
  const flows = i.flows.map((f) => ({ id: f.id, key: f.key, status: f.status, ...byFlow.get(f.id)! }));
  // Monitored: evaluated in the period, or live under the daily recheck.
  const monitored = flows.filter((f) => f.evaluations > 0 || (i.continuousRecheck && f.status === "active"));
  const overrides = i.overrides
    .filter((o) => o.requestedAt < i.range.to && (o.revokedAt ?? o.expiresAt) >= i.range.from)
    .map((o) => {
      const start = o.approvedAt ?? o.requestedAt;
      const end = o.revokedAt && o.revokedAt < o.expiresAt ? o.revokedAt : o.expiresAt;
      return { ...o, durationDays: Math.max(0, Math.round(((Date.parse(end) - Date.parse(start)) / DAY) * 100) / 100) };
    });
  const opened = i.remediations.filter((r) => inRange(r.createdAt, i.range));
  const recheckRuns = Object.values(recheckVerdicts).reduce((a, b) => a + b, 0);
  const chainOk = i.chains.audit.ok && i.chains.evaluation.ok;

  const statements: string[] = [];
  statements.push(
    `Between ${i.range.from} and ${i.range.to}, ${monitored.length} of ${i.flows.length} decision flow(s) were monitored; ${i.evaluations.length} fairness evaluation(s) were stored.`,
  );
  statements.push(
    recheckRuns === 0
      ? i.continuousRecheck
        ? "The daily recheck is enabled but stored no evaluation in this period."
        : "The daily recheck is not enabled in the current policy; no recheck ran in this period."
      : `The daily recheck evaluated live flows ${recheckRuns} time(s) on ${recheckDays.size} day(s): ${Object.entries(recheckVerdicts).map(([v, n]) => `${n} ${v}`).join(", ")}.`,
  );
  statements.push(
    i.pauses.length === 0
      ? "No flow was paused."
      : `${i.pauses.length} flow pause(s): ${i.pauses.map((p) => `${p.flowId} on ${p.at.slice(0, 10)} (${p.violations.join("; ") || p.reason || "fairness breach"})`).join(", ")}.`,
  );
  statements.push(
    overrides.length === 0
      ? "No fairness override was in effect or requested."
      : `${overrides.length} override(s): ${overrides.map((o) => `requested by ${o.requestedBy}${o.approvedBy ? `, approved by ${o.approvedBy}` : ", not approved"}, ${o.durationDays} day(s), reason: "${o.reason}"`).join("; ")}.`,
  );
  statements.push(`${opened.length} remediation(s) opened and ${i.remediationClosings.length} closed in the period.`);
  if (i.retention.length)
    statements.push(`Trace retention deleted ${i.retention.reduce((n, r) => n + r.traces, 0)} trace(s) past the retention period (evaluations and audit rows are kept).`);
  statements.push(
    chainOk
      ? `The audit log (${i.chains.audit.rows} rows) and the evaluation record (${i.chains.evaluation.rows} rows) verify against their signed chain heads.`
      : `Chain verification FAILED: audit ${i.chains.audit.breakCount} finding(s), evaluations ${i.chains.evaluation.breakCount} finding(s).`,
  );

  return {
    format: MONITORING_FORMAT,
    tenantId: i.tenantId,
    generatedAt: i.generatedAt,
    range: i.range,
    flowsMonitored: monitored.length,
    flows,
    evaluations: i.evaluations.length,
    rechecks: { evaluations: recheckRuns, days: recheckDays.size, byVerdict: recheckVerdicts },
    pauses: i.pauses,
    overrides,
    remediations: { opened, closed: i.remediationClosings },
    retention: i.retention,
    chainVerification: { ok: chainOk, ...i.chains },
    statements,
  };
}

export type MonitoringSummary = ReturnType<typeof buildMonitoringSummary>;
