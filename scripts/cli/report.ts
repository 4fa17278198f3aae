/**
 * @module scripts/cli/report
 * The human-readable summary printed without --json: per slice a group table
 * (n, selected, SR, TPR, FPR, FNR, PPV and Wilson intervals), every metric with its
 * bootstrap interval and status, the violations, warnings, the verdict.
 * Every number comes from the evaluation; nothing is recomputed here.
 */
import type { Evaluation } from "../../worker/domain/evaluation.js";
import type { FairnessPolicy } from "../../worker/domain/policy.js";
import { type Interval, METRIC_NAMES, METRICS, type MetricName, type ThresholdSpec, TIERS } from "../../worker/domain/tiers.js";
import type { CheckOutput } from "./check.js";

const MAX_VALUE_WIDTH = 32;
const int = (n: number) => n.toLocaleString("en-US");
const rate = (x: number | null) => (x === null ? "-" : x.toFixed(3));
const clip = (s: string) => (s.length > MAX_VALUE_WIDTH ? `${s.slice(0, MAX_VALUE_WIDTH - 3)}...` : s);

const iv = (x: Interval | null) => (x === null ? "-" : `[${x.lower.toFixed(3)}, ${x.upper.toFixed(3)}]`);

/** A threshold: a number is the block tier; tiers are listed mild to severe. */
function tierText(metric: MetricName, spec: ThresholdSpec): string {
  const op = METRICS[metric].lowerIsWorse ? ">=" : "<=";
  if (typeof spec === "number") return `${METRICS[metric].label} ${op} ${spec}`;
  return `${METRICS[metric].label} ${op} ${TIERS.filter((k) => spec[k] !== undefined).map((k) => `${spec[k]} (${k})`).join(", ")}`;
}

function thresholds(p: FairnessPolicy): string {
  const parts = METRIC_NAMES.flatMap((m) => (p.thresholds[m] === undefined ? [] : [tierText(m, p.thresholds[m]!)]));
  return `${parts.length > 0 ? parts.join(", ") : "no thresholds"}; min sample size ${p.minSampleSize} (else ${p.onInsufficientSamples})`;
}

/** Group table: the rates, then their Wilson 95% intervals; "*" marks a group below minGroupSize. */
function table(e: Evaluation): string[] {
  const head = ["group", "n", "selected", "SR", "TPR", "FPR", "FNR", "PPV", "SR 95% CI", "TPR 95% CI", "FPR 95% CI"];
  const rows = e.groups.map((g) => [
    `${clip(g.value)}${g.excluded ? " *" : ""}`,
    int(g.n),
    int(g.selected),
    rate(g.selectionRate),
    rate(g.tpr),
    rate(g.fpr),
    rate(g.fnr),
    rate(g.ppv),
    iv(g.intervals.selectionRate),
    iv(g.intervals.tpr),
    iv(g.intervals.fpr),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")}`;
  return [line(head), ...rows.map(line)];
}

/** One line per metric: value, bootstrap interval, status (and the hint when more data would decide). */
function metricLines(e: Evaluation): string[] {
  const r = e.results[0];
  if (!r) return [];
  return METRIC_NAMES.map((m) => {
    const x = r.metrics[m];
    const head = `    ${METRICS[m].label}`.padEnd(32);
    if (x.value === null) return `${head}- (${x.note ?? "not available"})`;
    const hint = x.sampleSizeHint?.factor ? `; about ${x.sampleSizeHint.factor.toFixed(1)}x the traces per group would decide` : "";
    return `${head}${x.value.toFixed(3)}  ${iv(x.interval)}  ${x.status.replace("_", " ")}${hint}`;
  });
}

function slice(e: Evaluation): string[] {
  const out = [`sensitive attribute ${JSON.stringify(e.sensitiveAttribute)}: ${int(e.sampleSize)} usable rows`];
  if (e.groups.length > 0) out.push(...table(e));
  const small = e.results[0]?.excludedGroups ?? [];
  if (small.length > 0) out.push(`  * left out of every metric (fewer than minGroupSize ${e.minGroupSize} rows): ${small.map((g) => `${g.value} (n ${int(g.n)})`).join(", ")}`);
  out.push("  metrics (95% intervals: Poisson bootstrap on the table's cells):", ...metricLines(e));
  if (e.excludedFromEqualOpportunity.length > 0) out.push(`  left out of the equal opportunity gap (no positive outcome): ${e.excludedFromEqualOpportunity.join(", ")}`);
  out.push(e.violations.length === 0 ? "  violations: none" : "  violations:", ...e.violations.map((v) => `    - ${v}`));
  if (e.warnings.length > 0) out.push("  warnings:", ...e.warnings.map((w) => `    - [${w.tier}] ${w.message}`));
  if (e.insufficientEvidence.length > 0) out.push("  insufficient evidence:", ...e.insufficientEvidence.map((v) => `    - ${v}`));
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
