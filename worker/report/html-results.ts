/**
 * @module report/html-results
 * The result sections of the HTML report: every metric of every slice against
 * each tier (pass/fail, interval, evaluator status, sample-size hint, delta to
 * the baseline), labelled observed or replayed; the slice's groups and
 * counterfactual flips; the warnings with their tiers; the baseline comparison
 * and the replay. Plain tables and text (they print), every value escaped.
 */
import type { MetricRow, Report, ReportCounterfactual, SliceMetrics, TierCheck } from "../domain/report.js";
import { metricLabel } from "../domain/report-results.js";
import { esc } from "./escape.js";

const f3 = (v: number | null) => (v === null ? "n/a" : v.toFixed(3));
const pct = (v: number | null) => (v === null ? "n/a" : `${(v * 100).toFixed(1)}%`);
/** A signed difference of rates in percentage points (the group against the slice's overall rate). */
export const pp = (v: number | null) => (v === null ? "n/a" : `${v > 0 ? "+" : v < 0 ? "−" : "±"}${Math.abs(v * 100).toFixed(1)} pp`);
const signed = (v: number) => `${v > 0 ? "+" : v < 0 ? "−" : "±"}${Math.abs(v).toFixed(3)}`;
const table = (head: string[], rows: string[], cls = "", colgroup = "") =>
  `<table${cls ? ` class="${cls}"` : ""}>${colgroup}<thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;

const STATUS: Record<string, [string, string]> = {
  pass: ["pass", "ok"],
  warning: ["warning", "warn"],
  critical: ["CRITICAL", "crit"],
  block: ["BLOCK", "fail"],
  insufficient_evidence: ["insufficient evidence", "warn"],
  not_checked: ["not gated", "note"],
  unavailable: ["unavailable", "note"],
};

/** The evaluator's status, or (top-level metrics carry none) one derived from the tier checks. */
function statusCell(m: MetricRow): string {
  const derived = m.value === null ? "unavailable" : m.tiers.length === 0 ? "not_checked" : ([...m.tiers].reverse().find((t) => t.pass === false)?.tier ?? "pass");
  const [text, cls] = STATUS[m.status ?? derived] ?? [m.status ?? derived, ""];
  return `<span class="${cls}">${esc(text)}</span>`;
}

function tierCell(m: MetricRow, t: TierCheck | undefined): string {
  if (!t) return `<span class="note">–</span>`;
  const rule = `${m.direction === "min" ? "≥" : "≤"} ${esc(t.threshold)}`;
  if (t.pass === null) return `${rule}: <span class="note">${m.value === null ? "n/a" : "undecided"}</span>`;
  return t.pass ? `${rule}: <span class="ok">pass</span>` : `${rule}: <span class="fail">FAIL</span>`;
}

function baselineCell(m: MetricRow): string {
  const b = m.baseline;
  if (!b) return `<span class="note">–</span>`;
  const how = b.worsening > 1e-12 ? "worse" : b.worsening < -1e-12 ? "better" : "same";
  const flag = b.regression ? `<br><span class="fail">regression${b.maxRegression !== null ? ` &gt; ${esc(b.maxRegression)}` : ""}</span>` : "";
  return `was ${f3(b.value)}<br>${esc(signed(b.delta))} <span class="${how === "worse" ? "warn" : "note"}">${how}</span>${flag}`;
}

const EQUIVALENCE: Record<string, [string, string]> = {
  shown_within: ["shown within", "ok"],
  shown_beyond: ["shown beyond", "fail"],
  undetermined: ["not shown either way", "note"],
};

/** Whether the interval showed the metric within or beyond its threshold, or neither; the full sentence as a tooltip. */
function equivalenceCell(m: MetricRow): string {
  if (!m.equivalence) return "";
  const [text, cls] = EQUIVALENCE[m.equivalence]!;
  return `<div class="sub ${cls}" title="${esc(m.equivalenceText ?? "")}">${esc(text)}</div>`;
}

/** What the three equivalence findings mean, once above the tables that use them. */
const EQUIVALENCE_LEGEND =
  '<p class="note">Under each result: <em>shown within</em> — the whole interval lies on the acceptable side of the threshold, so the data show the metric within it; <em>shown beyond</em> — the whole interval lies past it; <em>not shown either way</em> — the interval straddles it: a pass there means a breach was not shown, not that fairness was shown.</p>';

/** The tiers any metric of the report uses, in order: one column each. */
function tierColumns(r: Report): TierCheck["tier"][] {
  const used = new Set(r.sliceMetrics.flatMap((s) => s.metrics.flatMap((m) => m.tiers.map((t) => t.tier))));
  return (["warning", "critical", "block"] as const).filter((t) => used.has(t));
}

/** One table of metrics against each tier (also used for the top-level metrics of an evaluation without results). */
export function metricsTable(metrics: MetricRow[], tiers: TierCheck["tier"][], withBaseline: boolean): string {
  if (metrics.length === 0) return `<p class="note">No metrics were computed.</p>`;
  const head = ["metric", "value", "95% interval", ...(tiers.length ? tiers.map((t) => `${t} tier`) : ["threshold"]), "result", ...(withBaseline ? ["vs baseline"] : [])];
  // Fixed widths, so the tables of every slice line up column for column.
  // With few tiers the spare width goes to the metric column (its notes and hints wrap less).
  const n = Math.max(1, tiers.length);
  const rest = withBaseline ? 28 : 43;
  const tierW = Math.min(12, rest / n);
  const cols = [25 + rest - tierW * n, 8, 13, ...Array.from({ length: n }, () => tierW), 11, ...(withBaseline ? [15] : [])];
  const colgroup = `<colgroup>${cols.map((w) => `<col style="width:${w.toFixed(2)}%">`).join("")}</colgroup>`;
  const rows = metrics.map((m) => {
    const sub = [m.note, m.sequenceText, m.hint].filter((x): x is string => !!x).map((x) => `<div class="sub">${esc(x)}</div>`).join("");
    const cells = tiers.length ? tiers.map((t) => `<td>${tierCell(m, m.tiers.find((x) => x.tier === t))}</td>`).join("") : `<td><span class="note">no threshold</span></td>`;
    // An interval at another level than 95% (alpha, or a multiplicity-adjusted test) says which.
    const at = m.level !== undefined && Math.abs(m.level - 0.95) > 1e-12 ? ` at ${+(m.level * 100).toFixed(3)}%` : "";
    const ci = m.interval ? `[${f3(m.interval.low)}, ${f3(m.interval.high)}]${at}` : "–";
    return `<tr><td>${esc(m.label)}${sub}</td><td class="num">${f3(m.value)}</td><td class="num">${esc(ci)}</td>${cells}<td>${statusCell(m)}${equivalenceCell(m)}</td>${withBaseline ? `<td>${baselineCell(m)}</td>` : ""}</tr>`;
  });
  return table(head, rows, "metrics", colgroup);
}

function groupsTable(s: SliceMetrics): string {
  if (s.groups.length === 0) return "";
  const rows = s.groups.map((g) => {
    const ci = g.selectionRateInterval ? `[${f3(g.selectionRateInterval.low)}, ${f3(g.selectionRateInterval.high)}]` : "–";
    return `<tr><td>${esc(g.value)}${g.excluded ? ' <span class="note">(small cell, left out)</span>' : ""}</td><td class="num">${g.n}</td><td class="num">${g.selected}</td><td class="num">${pct(g.selectionRate)}</td><td class="num">${esc(ci)}</td><td class="num">${pct(g.tpr)}</td><td class="num">${pct(g.fpr)}</td><td class="num">${pct(g.ppv)}</td><td class="num">${pct(g.errorRate)}</td><td class="num">${pp(g.errorRateToOverall)}</td></tr>`;
  });
  return `<p class="caption">Groups of this slice (${esc(s.source)})</p>${table(["group", "n", "selected", "selection rate", "95% interval", "TPR", "FPR", "PPV", "error rate", "vs overall"], rows)}`;
}

/** The counterfactual of one slice: the flip rate and the pairs that flipped (all pairs are in report.json). */
function counterfactualBlock(c: ReportCounterfactual): string {
  const pairs = c.pairs.filter((p) => p.flips > 0).sort((a, b) => b.rate - a.rate);
  const shown = pairs.slice(0, 8);
  const rows = shown.map((p) => `<tr><td>${esc(p.from)} → ${esc(p.to)}</td><td class="num">${esc(p.trials)}</td><td class="num">${esc(p.flips)}</td><td class="num">${pct(p.rate)}</td></tr>`);
  const iv = c.interval ? ` (95% interval ${pct(c.interval.lower)} to ${pct(c.interval.upper)})` : "";
  const lead = `<p><strong>Counterfactual:</strong> ${esc(c.flips)} of ${esc(c.trials)} re-run decisions changed when only this slice's attribute changed: ${pct(c.rate)}${iv}.${pairs.length === 0 ? " No pair of values flipped a decision." : ""}</p>`;
  const more = pairs.length > shown.length ? `<p class="note">${pairs.length - shown.length} more flipping pair(s) in report.json.</p>` : "";
  return lead + (rows.length ? table(["attribute changed", "trials", "flips", "flip rate"], rows) : "") + more;
}

/** Every slice × source: its metrics against each tier, its groups (the primary's are above) and its counterfactual. */
export function slicesSection(r: Report): string {
  const tiers = tierColumns(r);
  const withBaseline = r.sliceMetrics.some((s) => s.metrics.some((m) => m.baseline));
  const cf = r.counterfactual ?? [];
  const replay = r.replay;
  const intro = replay
    ? `<p>Results labelled <span class="src replayed">replayed</span> come from candidate version ${esc(replay.version ?? "?")} re-run on ${esc(replay.requests)} recorded requests (${esc(replay.refused)} refused, ${esc(replay.changed)} changed their decision); <span class="src observed">observed</span> results are the recorded decisions.</p>`
    : "";
  const parts = r.sliceMetrics.map((s, i) => {
    const c = cf.find((x) => x.slice === s.slice && x.source === s.source);
    return `<section class="slice"><h3>Slice ${esc(s.slice)} <span class="src ${esc(s.source)}">${esc(s.source)}</span></h3>
<p class="meta">${esc(s.sourceLabel)} · ${esc(s.sampleSize.toLocaleString("en-US"))} decisions</p>
${metricsTable(s.metrics, tiers, withBaseline)}${i > 0 ? groupsTable(s) : ""}${c ? counterfactualBlock(c) : ""}</section>`;
  });
  const legend = r.sliceMetrics.some((s) => s.metrics.some((m) => m.equivalence)) ? EQUIVALENCE_LEGEND : "";
  return `<h2>Metrics by slice</h2>${intro}${legend}${parts.join("\n")}`;
}

export function warningsSection(r: Report): string {
  if (r.warnings.length === 0) return `<h2>Warnings (published anyway)</h2><p class="ok">None.</p>`;
  const rows = r.warnings.map((w) => {
    const cls = w.tier === "critical" ? "crit" : "warn";
    const where = w.slice ? `${esc(w.slice)} <span class="src ${esc(w.source)}">${esc(w.source)}</span>` : "–";
    return `<tr><td><span class="${cls}">${esc(w.tier)}</span></td><td>${esc(w.kind)}</td><td>${where}</td><td>${esc(w.message)}</td></tr>`;
  });
  return `<h2>Warnings (published anyway)</h2>${table(["tier", "kind", "slice", "finding"], rows)}`;
}

export function insufficientSection(r: Report): string {
  if (r.insufficientEvidence.length === 0 && r.decisionRule !== "confident" && r.decisionRule !== "sequential") return "";
  return `<h2>Insufficient evidence</h2>${r.insufficientEvidence.length ? `<ul>${r.insufficientEvidence.map((x) => `<li class="warn">${esc(x)}</li>`).join("")}</ul>` : '<p class="ok">None: every gated interval lies on one side of its block threshold.</p>'}`;
}

export function baselineSection(r: Report): string {
  const b = r.baseline;
  if (!b) return `<h2>Baseline</h2><p class="note">No baseline comparison in this evaluation (no earlier passing evaluation to compare with).</p>`;
  const rows = b.regressions.map(
    (x) =>
      `<tr><td>${esc(x.slice)} <span class="src ${esc(x.source)}">${esc(x.source)}</span></td><td>${esc(metricLabel(x.metric))}</td><td class="num">${f3(x.baseline)}</td><td class="num">${f3(x.current)}</td><td class="num fail">${f3(x.worsening)}</td><td class="num">${esc(x.maxRegression)}</td></tr>`,
  );
  const deltas = r.sliceMetrics.some((s) => s.metrics.some((m) => m.baseline)) ? ' Per-metric deltas are in the "vs baseline" column above.' : "";
  return `<h2>Baseline</h2><p>Compared with evaluation <code>${esc(b.evaluationId)}</code> of ${esc(b.createdAt)} (the flow's last passing evaluation).${deltas}</p>${
    rows.length ? table(["slice", "metric", "baseline", "now", "worse by", "allowed"], rows) : '<p class="ok">No metric got worse by more than its allowed regression.</p>'
  }`;
}
