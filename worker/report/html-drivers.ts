/**
 * @module report/html-drivers
 * The report's "Drivers of the breach" section: the parts of the evaluated flow
 * version ranked by how far neutralising each moves a breached selection metric
 * towards fair, with the failure class. Escaped, no scripts.
 */
import { driverText, type Report } from "../domain/report.js";
import { esc } from "./escape.js";

const num = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));

/** The section, or "" when the evaluation has no drivers analysis. */
export function driversSection(r: Report): string {
  const d = r.drivers;
  if (!d) return "";
  const cls = r.failureClass ? `<p>Failure class: <strong>${esc(r.failureClass)}</strong>.</p>` : "";
  const head = `<h2 id="drivers">Drivers of the breach</h2>${cls}<p class="note">Each part of version ${esc(r.flow.version ?? "–")} was neutralised in turn (weight 0, rule dropped, minimum propensity 0) and the version replayed on ${esc(d.requests)} recorded request(s) of the window${d.refused ? ` (${esc(d.refused)} refused)` : ""}; ${esc(d.parts)} part(s) tried.</p>`;
  if (d.items.length === 0) return `${head}<p class="note">${esc(d.note ?? "No part narrows the gap when neutralised.")}</p>`;
  const rows = d.items
    .map(
      (x) =>
        `<tr${x.directUse ? ' class="fail"' : ""}><td>${esc(x.effect.slice)}</td><td>${esc(x.effect.metric)}</td><td>${esc(x.kind)}</td><td>${esc(driverText(x))}</td><td class="num">${num(x.effect.before)}</td><td class="num">${num(x.effect.after)}</td><td class="num">${num(x.contribution)}</td><td>${x.directUse ? "yes" : "no"}</td></tr>`,
    )
    .join("");
  return `${head}<table><thead><tr><th>slice</th><th>metric</th><th>kind</th><th>part</th><th>with</th><th>without</th><th>contribution</th><th>direct use</th></tr></thead><tbody>${rows}</tbody></table>`;
}
