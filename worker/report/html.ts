/**
 * @module report/html
 * Renders a Report as one self-contained HTML file: inline CSS, inline SVG, no
 * scripts and no external fetches (a Content-Security-Policy meta forbids both),
 * readable on screen and in print. The plain-language summary comes first, then
 * the charts, findings and every metric of every slice (report/html-results),
 * the engineering appendix last. Every value is escaped.
 */
import type { Report } from "../domain/report.js";
import { esc } from "./escape.js";
import { driversSection } from "./html-drivers.js";
import { baselineSection, insufficientSection, metricsTable, pp, slicesSection, warningsSection } from "./html-results.js";
import { calibrationChart, errorRateChart, selectionRateChart } from "./svg.js";
import { sweepMetricCharts, sweepSelectionChart } from "./sweep-svg.js";

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;max-width:900px;margin:24px auto;padding:0 20px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.meta{color:#57606a;font-size:12px}
.summary{border:2px solid #57606a;border-radius:6px;padding:12px 16px;margin:16px 0}
.summary.block{border-color:#b42318;background:#fef3f2}.summary.bypass{border-color:#b54708;background:#fffaeb}.summary.pass{border-color:#067647;background:#ecfdf3}
.verdict{display:inline-block;font-weight:700;padding:1px 8px;border-radius:4px;background:#57606a;color:#fff}
.verdict.block{background:#b42318}.verdict.bypass{background:#b54708}.verdict.pass{background:#067647}
table{border-collapse:collapse;width:100%;margin:6px 0;font-size:13px}th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.fail{color:#b42318;font-weight:600}.ok{color:#067647}.warn{color:#b54708;font-weight:600}.crit{color:#c4320a;font-weight:700}
.sub{color:#57606a;font-size:11px;line-height:1.3;margin-top:2px}
.src{display:inline-block;font-size:11px;font-weight:600;padding:0 6px;border-radius:8px;vertical-align:middle;background:#eaecf0;color:#344054}
.src.replayed{background:#f4ebff;color:#5925dc}.src.observed{background:#e0f2fe;color:#026aa2}
section.slice{margin-bottom:14px}section.slice p.meta{margin:0 0 4px}table.metrics{table-layout:fixed;font-size:12px}table.metrics td.num{white-space:nowrap}
.caption{font-weight:600;font-size:13px;margin:10px 0 2px}
code,.hash{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
pre{background:#f6f8fa;padding:8px;overflow-x:auto;font-size:11px;white-space:pre-wrap;word-break:break-all}
.chart{max-width:100%;height:auto;display:block;margin:8px 0}
.chart .bar{fill:#1f5fa8}.chart .bar-below{fill:#b42318}.chart .bar-excluded{fill:#98a2b3}
.chart .whisker line{stroke:#101828;stroke-width:1.5}.chart .threshold{fill:#b42318}
.chart .threshold-label{fill:#b42318;font-size:11px}.chart .grid{stroke:#eaecf0}.chart .tick,.chart .value{font-size:11px;fill:#475467}.chart .label{font-size:12px;fill:#1b1f24}
.chart .tpr{fill:#2e8b57}.chart .fpr{fill:#d68910}.chart .frame{fill:none;stroke:#d0d7de}.chart .diagonal{stroke:#98a2b3;stroke-dasharray:4 3}
.note{color:#57606a;font-style:italic}
@media print{body{margin:0;max-width:none}h2,h3{break-after:avoid}.chart,table{break-inside:avoid}.summary,.src{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
`;

const f3 = (v: number | null) => (v === null ? "n/a" : v.toFixed(3));
const pct = (v: number | null) => (v === null ? "n/a" : `${(v * 100).toFixed(1)}%`);
const json = (v: unknown) => `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;

/** The lowest selection rate a group may have under the policy, for the chart's threshold line. */
export function selectionThreshold(r: Report): { rate: number; label: string } | null {
  const rates = r.groups.filter((g) => !g.excluded && g.selectionRate !== null).map((g) => g.selectionRate!);
  if (rates.length === 0) return null;
  const max = Math.max(...rates);
  const block = (m: string) => r.metrics.find((x) => x.metric === m)?.tiers.find((t) => t.tier === "block")?.threshold ?? null;
  const dir = block("disparateImpactRatio");
  if (dir !== null) return { rate: dir * max, label: `threshold: ${(dir * max * 100).toFixed(1)}% (= ${dir} × highest group rate)` };
  const dp = block("demographicParityGap");
  if (dp !== null) return { rate: Math.max(0, max - dp), label: `threshold: ${(Math.max(0, max - dp) * 100).toFixed(1)}% (= highest rate − ${dp})` };
  return null;
}

function groupTable(r: Report): string {
  if (r.groups.length === 0) return `<p class="note">No groups: no usable decisions in the evaluated data.</p>`;
  const rows = r.groups.map((g) => {
    const ci = g.selectionRateInterval ? `[${f3(g.selectionRateInterval.low)}, ${f3(g.selectionRateInterval.high)}]` : "–";
    return `<tr><td>${esc(g.value)}${g.excluded ? ' <span class="note">(small cell, left out of gaps)</span>' : ""}</td><td class="num">${g.n}</td><td class="num">${g.selected}</td><td class="num">${pct(g.selectionRate)}</td><td class="num">${esc(ci)}</td><td class="num">${pct(g.tpr)}</td><td class="num">${pct(g.fpr)}</td><td class="num">${pct(g.ppv)}</td><td class="num">${pct(g.errorRate)}</td><td class="num">${pp(g.errorRateToOverall)}</td></tr>`;
  });
  return `<table><thead><tr><th>group</th><th>n</th><th>selected</th><th>selection rate</th><th>95% interval</th><th>TPR</th><th>FPR</th><th>PPV</th><th>error rate</th><th>vs overall</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function trail(r: Report): string {
  if (r.overrideTrail.length === 0) return `<p class="note">No override was requested for this flow.</p>`;
  const rows = r.overrideTrail.map(
    (o) =>
      `<tr${o.appliedToThisEvaluation ? ' class="fail"' : ""}><td><code>${esc(o.id)}</code>${o.appliedToThisEvaluation ? "<br>applied here" : ""}</td><td>${esc(o.status)}</td><td>${esc(o.requestedBy)}<br><span class="meta">${esc(o.requestedAt)}</span></td><td>${esc(o.approvedBy ?? "–")}<br><span class="meta">${esc(o.approvedAt ?? "")}</span></td><td>${esc(o.expiresAt)}</td><td>${esc(o.reason)}${o.revokedBy ? `<br>revoked by ${esc(o.revokedBy)} at ${esc(o.revokedAt)}: ${esc(o.revokeReason ?? "")}` : ""}</td></tr>`,
  );
  return `<table><thead><tr><th>override</th><th>status</th><th>requested</th><th>approved</th><th>expires</th><th>reason</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function optional(title: string, v: unknown, absent: string): string {
  return `<h3>${esc(title)}</h3>${v === null || v === undefined ? `<p class="note">${esc(absent)}</p>` : json(v)}`;
}

/** Without per-slice results (an upgraded v1 evaluation) there is no slice section to show analyses in: say so here. */
function analysesWithoutResults(r: Report): string {
  if (r.sliceMetrics.length) return "";
  return [
    r.counterfactual ? "" : optional("Counterfactual", null, "No counterfactual analysis in this evaluation."),
    optional("Replayed results", r.replay, "No replay in this evaluation."),
  ].join("");
}

/** Decision rule, small-cell rule and interval methods in one line. */
function method(r: Report): string {
  const iv = r.intervals;
  const parts = [
    `decision rule: ${r.decisionRule ?? "point"}`,
    r.minGroupSize !== null ? `groups under ${r.minGroupSize} decisions left out of aggregates` : "",
    iv
      ? `${Math.round(iv.level * 100)}% intervals: ${iv.groupRates} for group rates, ${iv.aggregates === "none" ? "none" : `${iv.aggregates} (${iv.replicates} replicates, seed ${iv.seed})`} for aggregates`
      : "no intervals recorded",
    r.highestTier ? `most severe tier reached: ${r.highestTier}` : "",
  ];
  return parts.filter(Boolean).join("; ");
}

/** The threshold sweep's charts and its verdict per threshold; empty without a sweep. */
function sweepSection(r: Report): string {
  const s = r.thresholdSweep;
  if (!s || s.points.length === 0) return "";
  const charts = sweepMetricCharts(s).map((c) => `<h3>Gated metrics of ${esc(c.slice)}</h3>${c.svg}`);
  const sel = sweepSelectionChart(s);
  const verdicts = s.points.map((p) => `<td class="num${p.verdict === "block" ? " fail" : ""}">${esc(p.threshold)}<br>${esc(p.verdict)}</td>`).join("");
  return `<h2 id="threshold-sweep">Threshold sweep (${esc(s.column)} from ${esc(s.from)} to ${esc(s.to)}, step ${esc(s.step)})</h2>
<p class="note">The gate decided again at each threshold on the same rows (selected = score ≥ threshold); the verdict above is the run's own threshold.</p>
${charts.join("\n")}
${sel ? `<h3>Selection rate by group</h3>${sel}` : ""}
<table><tbody><tr>${verdicts}</tr></tbody></table>`;
}

/** Renders the report as a complete HTML document. */
export function renderReportHtml(r: Report): string {
  const v = r.summary.verdict;
  const cal = calibrationChart(r.calibration);
  const rows = (pairs: [string, string][]) => `<table><tbody>${pairs.map(([k, val]) => `<tr><th>${esc(k)}</th><td>${val}</td></tr>`).join("")}</tbody></table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(r.title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(r.title)}</h1>
<div class="meta">Tenant ${esc(r.tenant.name ?? r.tenant.id)} · evaluation <code>${esc(r.evaluation.id)}</code> · ${esc(r.evaluation.createdAt)} · generated ${esc(r.generatedAt)}</div>
<section class="summary ${esc(v)}" id="summary">
<p><span class="verdict ${esc(v)}">${esc(v.toUpperCase())}</span> <strong>${esc(r.summary.headline)}</strong></p>
<ul>${r.summary.points.map((p) => `<li>${esc(p)}</li>`).join("")}</ul>
</section>
<h2>Selection rate by group</h2>
${r.groups.length ? selectionRateChart(r.groups, selectionThreshold(r)) : '<p class="note">No groups to chart.</p>'}
<h2>True and false positive rates by group</h2>
${r.groups.length ? errorRateChart(r.groups) : '<p class="note">No groups to chart.</p>'}
<h2>Calibration</h2>
${cal ?? '<p class="note" id="no-calibration">No calibration data: this evaluation has no scores with known outcomes.</p>'}
${sweepSection(r)}
<h2>Groups (${esc(r.sensitiveAttribute ?? "primary attribute")})</h2>
${groupTable(r)}
<h2>Violations</h2>
${r.violations.length ? `<ul>${r.violations.map((x) => `<li class="fail">${esc(x)}</li>`).join("")}</ul>` : '<p class="ok">None.</p>'}
${driversSection(r)}
${warningsSection(r)}
${insufficientSection(r)}
${r.sliceMetrics.length ? slicesSection(r) : `<h2>Metrics against each tier</h2>${metricsTable(r.metrics, ["warning", "critical", "block"].filter((t) => r.metrics.some((m) => m.tiers.some((x) => x.tier === t))) as ("warning" | "critical" | "block")[], false)}`}
${baselineSection(r)}
${analysesWithoutResults(r)}
<h2>Override and approval trail</h2>
${trail(r)}
<h2>Engineering appendix</h2>
<h3>Provenance</h3>
${rows([
  ["tenant", `${esc(r.tenant.name ?? "")} <code>${esc(r.tenant.id)}</code>`],
  ["flow", `${esc(r.flow.key ?? "–")} <code>${esc(r.flow.id ?? "")}</code> version ${esc(r.flow.version ?? "–")}`],
  ["flow definition SHA-256", `<span class="hash">${esc(r.flow.definitionHash ?? "–")}</span>`],
  ["evaluator", esc(r.evaluation.evaluatorVersion)],
  ["trigger", esc(r.evaluation.trigger)],
  ["window", r.window ? `${esc(r.window.from)} → ${esc(r.window.to)}${r.window.days ? ` (${esc(r.window.days)} days)` : ""}` : "the whole input"],
  ["dataset SHA-256", `<span class="hash">${esc(r.dataset.hash ?? "–")}</span><br><span class="meta">${esc(r.dataset.scope)}; ${esc(r.dataset.sampleSize)} usable decisions</span>`],
  ["policy SHA-256", `<span class="hash">${esc(r.policy.hash ?? "–")}</span>`],
  ["sensitive attribute", esc(r.sensitiveAttribute ?? "–")],
  ["method", esc(method(r))],
])}
<h3>Excluded small cells</h3>
${r.excludedSmallCells.length ? `<ul>${r.excludedSmallCells.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>` : '<p class="note">None.</p>'}
<h3>Policy snapshot</h3>
${json(r.policy.snapshot)}
</body></html>
`;
}
