/**
 * @module report/svg
 * Server-rendered SVG charts for the HTML report: no scripts, no external
 * resources, every label escaped. Sizes are fixed so the report prints the same
 * everywhere.
 */
import type { GroupRow, ReportCalibration } from "../domain/report.js";
import { esc } from "./escape.js";

const W = 640;
const PAD_L = 150;
const PAD_R = 60;
const ROW = 26;
const plotW = W - PAD_L - PAD_R;
const x = (v: number) => PAD_L + Math.max(0, Math.min(1, v)) * plotW;
const f3 = (v: number) => v.toFixed(3);
const clip = (s: string) => (s.length > 22 ? `${s.slice(0, 21)}…` : s);

function axis(top: number, height: number): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((t) => `<line x1="${x(t)}" y1="${top}" x2="${x(t)}" y2="${top + height}" class="grid"/><text x="${x(t)}" y="${top + height + 14}" class="tick" text-anchor="middle">${t * 100}%</text>`)
    .join("");
  return ticks;
}

/**
 * Selection rate by group: one bar per group, interval whiskers when the
 * evaluation has them, and the threshold line (the lowest rate a group may have
 * under the policy) when the policy implies one.
 */
export function selectionRateChart(groups: GroupRow[], threshold: { rate: number; label: string } | null): string {
  const top = 10;
  const h = groups.length * ROW;
  const bars = groups
    .map((g, i) => {
      const y = top + i * ROW;
      const rate = g.selectionRate ?? 0;
      const ci = g.selectionRateInterval;
      const whisker = ci
        ? `<g class="whisker" data-group="${esc(g.value)}"><line x1="${x(ci.low)}" y1="${y + 11}" x2="${x(ci.high)}" y2="${y + 11}"/><line x1="${x(ci.low)}" y1="${y + 5}" x2="${x(ci.low)}" y2="${y + 17}"/><line x1="${x(ci.high)}" y1="${y + 5}" x2="${x(ci.high)}" y2="${y + 17}"/></g>`
        : "";
      const below = threshold && g.selectionRate !== null && g.selectionRate < threshold.rate;
      return `<text x="${PAD_L - 8}" y="${y + 15}" class="label" text-anchor="end">${esc(clip(g.value))}</text>
<rect class="bar${below ? " bar-below" : ""}${g.excluded ? " bar-excluded" : ""}" data-group="${esc(g.value)}" x="${PAD_L}" y="${y + 3}" width="${Math.max(1, x(rate) - PAD_L)}" height="${ROW - 8}"><title>${esc(g.value)}: ${g.selectionRate === null ? "n/a" : f3(rate)}</title></rect>${whisker}
<text x="${Math.max(x(rate), ci ? x(ci.high) : 0) + 4}" y="${y + 15}" class="value">${g.selectionRate === null ? "n/a" : `${(rate * 100).toFixed(1)}%`}</text>`;
    })
    .join("\n");
  const line = threshold
    ? `<rect class="threshold" x="${x(threshold.rate) - 1}" y="${top - 4}" width="2" height="${h + 6}"><title>${esc(threshold.label)}</title></rect><text class="threshold-label" x="${x(threshold.rate)}" y="${top + h + 28}" text-anchor="middle">${esc(threshold.label)}</text>`
    : "";
  return `<svg class="chart" role="img" aria-label="Selection rate by group" viewBox="0 0 ${W} ${top + h + 36}" width="${W}" height="${top + h + 36}" xmlns="http://www.w3.org/2000/svg">${axis(top, h)}${bars}${line}</svg>`;
}

/** True and false positive rates by group, side by side. */
export function errorRateChart(groups: GroupRow[]): string {
  const top = 24;
  const rowH = 34;
  const h = groups.length * rowH;
  const rows = groups
    .map((g, i) => {
      const y = top + i * rowH;
      const bar = (v: number | null, dy: number, cls: string) =>
        v === null
          ? `<text x="${PAD_L + 4}" y="${y + dy + 10}" class="value">n/a</text>`
          : `<rect class="${cls}" x="${PAD_L}" y="${y + dy}" width="${Math.max(1, x(v) - PAD_L)}" height="12"/><text x="${x(v) + 4}" y="${y + dy + 10}" class="value">${(v * 100).toFixed(1)}%</text>`;
      return `<text x="${PAD_L - 8}" y="${y + 18}" class="label" text-anchor="end">${esc(clip(g.value))}</text>${bar(g.tpr, 2, "tpr")}${bar(g.fpr, 16, "fpr")}`;
    })
    .join("\n");
  const legend = `<rect class="tpr" x="${PAD_L}" y="4" width="10" height="10"/><text x="${PAD_L + 14}" y="13" class="tick">true positive rate</text><rect class="fpr" x="${PAD_L + 130}" y="4" width="10" height="10"/><text x="${PAD_L + 144}" y="13" class="tick">false positive rate</text>`;
  return `<svg class="chart" role="img" aria-label="True and false positive rate by group" viewBox="0 0 ${W} ${top + h + 20}" width="${W}" height="${top + h + 20}" xmlns="http://www.w3.org/2000/svg">${legend}${axis(top, h)}${rows}</svg>`;
}

/**
 * Calibration plot (mean score vs observed outcome rate per bin and group) from
 * the evaluation's calibration statistics, or null when there are none usable.
 */
export function calibrationChart(calibration: ReportCalibration | null): string | null {
  const series = (calibration?.groups ?? [])
    .map((g) => ({ value: g.value, points: g.bins.map((b) => ({ s: b.meanScore, o: b.observedRate })).filter((p) => Number.isFinite(p.s) && Number.isFinite(p.o)) }))
    .filter((s) => s.points.length > 0);
  if (series.length === 0) return null;
  const S = 260;
  const o = 40;
  const px = (v: number) => o + v * S;
  const py = (v: number) => o + S - v * S;
  const colors = ["#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d68910", "#566573"];
  const lines = series
    .map((s, i) => {
      const col = colors[i % colors.length];
      const pts = s.points.map((p) => `${px(p.s).toFixed(1)},${py(p.o).toFixed(1)}`).join(" ");
      return `<polyline points="${pts}" fill="none" stroke="${col}" stroke-width="2"/>${s.points.map((p) => `<circle cx="${px(p.s).toFixed(1)}" cy="${py(p.o).toFixed(1)}" r="3" fill="${col}"/>`).join("")}<text x="${o + S + 12}" y="${o + 14 + i * 16}" class="tick" style="fill:${col}">${esc(clip(s.value))}</text>`;
    })
    .join("");
  return `<svg class="chart" role="img" aria-label="Calibration by group" viewBox="0 0 ${W} ${S + 2 * o}" width="${W}" height="${S + 2 * o}" xmlns="http://www.w3.org/2000/svg"><rect x="${o}" y="${o}" width="${S}" height="${S}" class="frame"/><line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" class="diagonal"/>${lines}<text x="${o + S / 2}" y="${o + S + 28}" class="tick" text-anchor="middle">mean score</text><text x="12" y="${o + S / 2}" class="tick" transform="rotate(-90 12 ${o + S / 2})" text-anchor="middle">observed rate</text></svg>`;
}
