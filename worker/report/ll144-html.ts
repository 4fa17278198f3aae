/**
 * @module report/ll144-html
 * The NYC Local Law 144 bias audit as one self-contained HTML page (inline CSS,
 * no scripts, no fetches): provenance, the three tables with impact ratios and
 * their significance, unknown categories, the small-category justification and
 * the findings in plain language. Every value is escaped (categories are user data).
 */
import type { Ll144Audit, Ll144Row } from "../domain/ll144.js";
import { esc } from "./escape.js";

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#111}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}caption{text-align:left;font-weight:600;padding:.3em 0}
.low{background:#fde2e2}.excl{color:#777;font-style:italic}dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}
dt{font-weight:600}@media print{body{margin:0}}`;

/** The Content-Security-Policy of the page (also sent as a response header). */
export const LL144_CSP = "default-src 'none'; style-src 'unsafe-inline'";

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const num = (x: number | null, d = 3) => (x === null ? "—" : x.toFixed(d));

function rowHtml(r: Ll144Row): string {
  const s = r.significance;
  const sig = s ? `${s.pValue < 0.0001 ? "&lt; 0.0001" : esc(Number(s.pValue.toPrecision(3)))} (${s.test === "fisher-exact" ? "Fisher" : "z"})` : "—";
  const cls = r.excluded ? "excl" : r.impactRatio !== null && r.impactRatio < 0.8 ? "low" : "";
  return `<tr class="${cls}"><td>${esc(r.category)}</td><td>${r.count}</td><td>${pct(r.share)}</td><td>${num(r.rate, 4)}</td><td>${r.excluded ? "excluded" : num(r.impactRatio)}</td><td>${sig}</td><td>${s ? (s.oneSelectionFlips ? "yes" : "no") : "—"}</td></tr>`;
}

function tableHtml(title: string, rateWord: string, rows: Ll144Row[]): string {
  if (rows.length === 0) return `<p>${esc(title)}: no individuals with a known category.</p>`;
  return `<table><caption>${esc(title)}</caption><thead><tr><th>Category</th><th>Count</th><th>Share</th><th>${esc(rateWord)} rate</th><th>Impact ratio</th><th>p (vs highest)</th><th>Flips with one selection</th></tr></thead><tbody>${rows.map(rowHtml).join("")}</tbody></table>`;
}

/** Renders the audit as a complete HTML document. */
export function renderLl144Html(a: Ll144Audit): string {
  const rateWord = a.rateKind === "selection" ? "Selection" : "Scoring";
  const m = a.meta;
  const small = a.smallCategories;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${LL144_CSP}">
<title>Bias audit (NYC Local Law 144)</title><style>${CSS}</style></head><body>
<h1>Bias audit — NYC Local Law 144</h1>
<dl><dt>Audit date</dt><dd>${esc(m.auditDate)}</dd><dt>Data source</dt><dd>${esc(m.dataSource)}</dd>
<dt>Window</dt><dd>${m.window ? `${esc(m.window.from)} – ${esc(m.window.to)}` : "the whole data source"}</dd>
<dt>Distribution date of the tool</dt><dd>${m.distributionDate ? esc(m.distributionDate) : "not supplied"}</dd>
<dt>Individuals assessed</dt><dd>${a.individuals}</dd>
<dt>Rate</dt><dd>${a.rateKind === "selection" ? "selection rate (selected ÷ count)" : `scoring rate (share scoring above the sample median${a.medianScore === null ? "" : ` ${esc(a.medianScore)}`})`}</dd>
<dt>Attributes</dt><dd>sex: <code>${esc(m.sexAttribute)}</code>, race/ethnicity: <code>${esc(m.raceAttribute)}</code></dd>
<dt>Unknown category</dt><dd>${a.unknown.count} individuals (sex unknown: ${a.unknown.sex}, race/ethnicity unknown: ${a.unknown.race})</dd></dl>
<h2>Findings</h2>${a.statements.length ? `<ul>${a.statements.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>` : "<p>Every impact ratio is at or above four-fifths and no difference is statistically significant.</p>"}
${tableHtml("Sex", rateWord, a.tables.sex)}
${tableHtml("Race/ethnicity", rateWord, a.tables.race)}
${tableHtml("Intersection (sex | race/ethnicity)", rateWord, a.tables.intersection)}
<h2>Categories under ${pct(small.threshold)}</h2>
<p>${small.justification ? `Excluded from the impact ratios (count and rate still shown): ${small.excluded.length ? small.excluded.map((e) => `${esc(e.table)} “${esc(e.category)}”`).join(", ") : "none qualified"}. Justification: ${esc(small.justification)}` : "None excluded (no justification stated)."}</p>
<p>Significance: two-sided Fisher's exact test when an expected cell is below 5, else a pooled two-proportion z-test, α = 0.05, each category against the table's highest; “flips with one selection”: UGESP's practical-significance check (29 CFR § 1607.4D).</p>
</body></html>`;
}
