/**
 * @module scripts/cli/report
 * The human-readable summary printed without --json: per slice a group table
 * (n, selected, SR, TPR, FPR, FNR, PPV), the metrics, the violations, the verdict.
 * Every number comes from the evaluation; nothing is recomputed here.
 */
import type { Evaluation } from "../../worker/domain/evaluation.js";
import type { FairnessPolicy } from "../../worker/domain/policy.js";
import type { CheckOutput } from "./check.js";

const MAX_VALUE_WIDTH = 32;
const int = (n: number) => n.toLocaleString("en-US");
const rate = (x: number | null) => (x === null ? "-" : x.toFixed(3));
const clip = (s: string) => (s.length > MAX_VALUE_WIDTH ? `${s.slice(0, MAX_VALUE_WIDTH - 3)}...` : s);

function thresholds(p: FairnessPolicy): string {
  const t = p.thresholds;
  const parts = [
    t.disparateImpactRatio !== undefined ? `disparate impact ratio >= ${t.disparateImpactRatio}` : null,
    t.demographicParityGap !== undefined ? `demographic parity gap <= ${t.demographicParityGap}` : null,
    t.equalOpportunityGap !== undefined ? `equal opportunity gap <= ${t.equalOpportunityGap}` : null,
  ].filter((x) => x !== null);
  return `${parts.length > 0 ? parts.join(", ") : "no thresholds"}; min sample size ${p.minSampleSize} (else ${p.onInsufficientSamples})`;
}

function table(e: Evaluation): string[] {
  const head = ["group", "n", "selected", "SR", "TPR", "FPR", "FNR", "PPV"];
  const rows = e.groups.map((g) => [clip(g.value), int(g.n), int(g.selected), rate(g.selectionRate), rate(g.tpr), rate(g.fpr), rate(g.fnr), rate(g.ppv)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")}`;
  return [line(head), ...rows.map(line)];
}

function metric(e: Evaluation, key: keyof Evaluation["metrics"], label: string): string {
  const v = e.metrics[key];
  return v === null ? `${label} - (${e.metricNotes[key] ?? "not available"})` : `${label} ${v.toFixed(3)}`;
}

function slice(e: Evaluation): string[] {
  const out = [`sensitive attribute ${JSON.stringify(e.sensitiveAttribute)}: ${int(e.sampleSize)} usable rows`];
  if (e.groups.length > 0) out.push(...table(e));
  out.push(
    `  metrics: ${metric(e, "disparateImpactRatio", "disparate impact ratio")}; ${metric(e, "demographicParityGap", "demographic parity gap")}; ${metric(e, "equalOpportunityGap", "equal opportunity gap")}`,
  );
  if (e.excludedFromEqualOpportunity.length > 0) out.push(`  left out of the equal opportunity gap (no positive outcome): ${e.excludedFromEqualOpportunity.join(", ")}`);
  out.push(e.violations.length === 0 ? "  violations: none" : "  violations:", ...e.violations.map((v) => `    - ${v}`));
  out.push(`  verdict: ${e.verdict}${e.reason ? ` (${e.reason})` : ""}`);
  return out;
}

/** Renders the summary for `output`, whose slices are `evaluations`. */
export function renderSummary(output: CheckOutput, evaluations: Evaluation[]): string {
  const policy = output.policy as FairnessPolicy;
  const lines = [
    `fairgate check: ${output.input.file} (${output.input.format}, ${int(output.input.rows)} rows)`,
    `policy: ${policy.enabled ? thresholds(policy) : "disabled"}`,
    "",
  ];
  for (const e of evaluations) lines.push(...slice(e), "");
  const verdict = output.verdict.toUpperCase();
  lines.push(
    output.verdict === "block"
      ? `verdict: ${verdict} (exit 1)${evaluations.length > 1 ? ` - ${output.violations.length} violation(s) across slices` : ""}`
      : `verdict: ${verdict}${output.reason ? ` (${output.reason})` : ""}`,
  );
  return `${lines.join("\n")}\n`;
}
