/**
 * @module scripts/cli/report
 * The human-readable summary printed without --json: for every slice of the
 * evaluation's `results[]` a group table (n, selected, SR, TPR, FPR, FNR, PPV and
 * Wilson intervals) and every metric with its bootstrap interval and status; then the
 * evaluation's one verdict with its violations, warnings and insufficient evidence.
 * Every number comes from the evaluation; nothing is recomputed here.
 */
import type { Evaluation } from "../../worker/domain/evaluation.js";
import type { FairnessPolicy } from "../../worker/domain/policy.js";
import { type Interval, METRIC_NAMES, METRICS, type MetricName, type ThresholdSpec, TIERS } from "../../worker/domain/tiers.js";

type SliceResult = Evaluation["results"][number];

/** What was read, for the first line (not part of the evaluation). */
export interface InputSummary {
  file: string;
  format: string;
  rows: number;
}

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
function table(r: SliceResult): string[] {
  const head = ["group", "n", "selected", "SR", "TPR", "FPR", "FNR", "PPV", "SR 95% CI", "TPR 95% CI", "FPR 95% CI"];
  const rows = r.groups.map((g) => [
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
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
  const line = (x: string[]) => `  ${x.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")}`;
  return [line(head), ...rows.map(line)];
}

/** One line per metric: value, bootstrap interval, status (and the hint when more data would decide). */
function metricLines(r: SliceResult): string[] {
  return METRIC_NAMES.map((m) => {
    const x = r.metrics[m];
    const head = `    ${METRICS[m].label}`.padEnd(32);
    if (x.value === null) return `${head}- (${x.note ?? "not available"})`;
    const hint = x.sampleSizeHint?.factor ? `; about ${x.sampleSizeHint.factor.toFixed(1)}x the traces per group would decide` : "";
    return `${head}${x.value.toFixed(3)}  ${iv(x.interval)}  ${x.status.replace("_", " ")}${hint}`;
  });
}

function slice(r: SliceResult, minGroupSize: number | null): string[] {
  const what = r.attributes.length > 1 ? "intersection" : "sensitive attribute";
  const out = [`${what} ${JSON.stringify(r.slice)}: ${int(r.sampleSize)} usable rows`];
  if (r.groups.length > 0) out.push(...table(r));
  if (r.excludedGroups.length > 0)
    out.push(`  * left out of every metric (fewer than minGroupSize ${minGroupSize} rows): ${r.excludedGroups.map((g) => `${g.value} (n ${int(g.n)})`).join(", ")}`);
  out.push("  metrics (95% intervals: Poisson bootstrap on the table's cells):", ...metricLines(r));
  return out;
}

/** Renders the summary of `e`, an evaluation of the file described by `input`. */
export function renderSummary(e: Evaluation, input: InputSummary): string {
  const policy = e.policy as FairnessPolicy;
  const lines = [`fairgate check: ${input.file} (${input.format}, ${int(input.rows)} rows)`, `policy: ${policy.enabled ? thresholds(policy) : "disabled"}`, ""];
  for (const r of e.results) lines.push(...slice(r, e.minGroupSize), "");
  if (e.excludedFromEqualOpportunity.length > 0)
    lines.push(`left out of the equal opportunity gap of ${JSON.stringify(e.sensitiveAttribute)} (no positive outcome): ${e.excludedFromEqualOpportunity.join(", ")}`);
  lines.push(e.violations.length === 0 ? "violations: none" : "violations:", ...e.violations.map((v) => `  - ${v}`));
  if (e.warnings.length > 0) lines.push("warnings:", ...e.warnings.map((w) => `  - [${w.tier}] ${w.message}`));
  if (e.insufficientEvidence.length > 0) lines.push("insufficient evidence:", ...e.insufficientEvidence.map((v) => `  - ${v}`));
  const verdict = e.verdict.toUpperCase();
  lines.push(e.verdict === "block" ? `verdict: ${verdict} (exit 1)` : `verdict: ${verdict}${e.reason ? ` (${e.reason})` : ""}`);
  return `${lines.join("\n")}\n`;
}
