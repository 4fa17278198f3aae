/**
 * @module report/sweep-svg
 * Line charts of a threshold sweep (`fairgate check --sweep`): per slice, each gated
 * metric against the score threshold with its block threshold dashed and the points
 * that block marked; and the primary slice's selection rate per group against the
 * threshold — the two views TFMA's Fairness Indicators give of a scoring model. Same
 * rules as report/svg: no scripts, fixed sizes, every label escaped.
 */
import type { ThresholdSweep } from "../domain/threshold-sweep.js";
import { METRICS, type MetricName } from "../domain/tiers.js";
import { esc } from "./escape.js";

const W = 640;
const H = 240;
const L = 56;
const R = 170;
const T = 14;
const B = 40;
const COLORS = ["#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d68910", "#566573", "#17a2b8", "#7f8c8d"];
const clip = (s: string) => (s.length > 24 ? `${s.slice(0, 23)}…` : s);
const fmt = (v: number) => String(+v.toPrecision(4));

interface Series {
  label: string;
  points: { t: number; v: number | null; bad?: boolean }[];
  /** A horizontal reference line (the metric's block threshold). */
  limit?: number;
}

function lineChart(title: string, sweep: ThresholdSweep, series: Series[], yLabel: string): string {
  const ts = sweep.points.map((p) => p.threshold);
  const x0 = Math.min(...ts);
  const x1 = Math.max(...ts);
  const values = series.flatMap((s) => [...s.points.map((p) => p.v), s.limit ?? null]).filter((v): v is number => v !== null && Number.isFinite(v));
  const yMax = Math.max(1, ...values);
  const pw = W - L - R;
  const ph = H - T - B;
  const px = (t: number) => L + (x1 === x0 ? pw / 2 : ((t - x0) / (x1 - x0)) * pw);
  const py = (v: number) => T + ph - (Math.max(0, v) / yMax) * ph;
  const xTicks = ts.length <= 11 ? ts : [0, 0.25, 0.5, 0.75, 1].map((f) => x0 + f * (x1 - x0));
  const grid = [
    ...[0, 0.25, 0.5, 0.75, 1].map((f) => `<line x1="${L}" y1="${py(f * yMax)}" x2="${L + pw}" y2="${py(f * yMax)}" class="grid"/><text x="${L - 6}" y="${py(f * yMax) + 4}" class="tick" text-anchor="end">${fmt(f * yMax)}</text>`),
    ...xTicks.map((t) => `<text x="${px(t)}" y="${T + ph + 14}" class="tick" text-anchor="middle">${esc(fmt(t))}</text>`),
    `<text x="${L + pw / 2}" y="${H - 6}" class="tick" text-anchor="middle">threshold on ${esc(clip(sweep.column))} (selected = score ≥ threshold)</text>`,
    `<text x="12" y="${T + ph / 2}" class="tick" transform="rotate(-90 12 ${T + ph / 2})" text-anchor="middle">${esc(yLabel)}</text>`,
  ].join("");
  const lines = series
    .map((s, i) => {
      const col = COLORS[i % COLORS.length];
      const known = s.points.filter((p) => p.v !== null && Number.isFinite(p.v));
      const poly = known.length > 1 ? `<polyline points="${known.map((p) => `${px(p.t).toFixed(1)},${py(p.v!).toFixed(1)}`).join(" ")}" fill="none" stroke="${col}" stroke-width="2"/>` : "";
      const dots = known
        .map((p) => `<circle cx="${px(p.t).toFixed(1)}" cy="${py(p.v!).toFixed(1)}" r="${p.bad ? 4.5 : 2.5}" fill="${col}"${p.bad ? ' stroke="#101828" stroke-width="2" class="sweep-block"' : ""}><title>${esc(s.label)} at ${esc(fmt(p.t))}: ${p.v!.toFixed(3)}${p.bad ? " (block)" : ""}</title></circle>`)
        .join("");
      const limit = s.limit === undefined ? "" : `<line x1="${L}" y1="${py(s.limit)}" x2="${L + pw}" y2="${py(s.limit)}" stroke="${col}" stroke-dasharray="5 4" stroke-width="1"/>`;
      const legend = `<rect x="${L + pw + 12}" y="${T + i * 16}" width="10" height="10" fill="${col}"/><text x="${L + pw + 26}" y="${T + 9 + i * 16}" class="tick">${esc(clip(s.label))}</text>`;
      return `${limit}${poly}${dots}${legend}`;
    })
    .join("");
  // Block points are ringed in black rather than recoloured, so a point keeps its series' colour.
  const anyBad = series.some((x) => x.points.some((p) => p.bad));
  const key = anyBad ? `<circle cx="${L + pw + 17}" cy="${T + series.length * 16 + 9}" r="4.5" fill="#fff" stroke="#101828" stroke-width="2"/><text x="${L + pw + 26}" y="${T + series.length * 16 + 13}" class="tick">blocks here</text>` : "";
  return `<svg class="chart sweep" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${grid}${lines}${key}</svg>`;
}

/** Per slice (at most `maxSlices`), the gated metrics against the threshold. */
export function sweepMetricCharts(sweep: ThresholdSweep, maxSlices = 4): { slice: string; svg: string }[] {
  const first = sweep.points[0];
  if (!first) return [];
  return first.slices.slice(0, maxSlices).map((s0, si) => {
    const metrics = Object.keys(s0.metrics) as MetricName[];
    const series: Series[] = metrics.map((m) => {
      const block = s0.metrics[m]?.block ?? null;
      return {
        label: METRICS[m].label,
        ...(block !== null ? { limit: block } : {}),
        points: sweep.points.map((p) => {
          const e = p.slices[si]?.metrics[m];
          return { t: p.threshold, v: e?.value ?? null, bad: e?.status === "block" };
        }),
      };
    });
    return { slice: s0.slice, svg: lineChart(`Gated metrics of ${s0.slice} by threshold`, sweep, series, "metric value") };
  });
}

/** The primary slice's selection rate per group against the threshold. */
export function sweepSelectionChart(sweep: ThresholdSweep): string | null {
  const first = sweep.points[0]?.slices[0];
  if (!first) return null;
  const groups = first.groups.map((g) => g.value).slice(0, COLORS.length);
  if (groups.length === 0) return null;
  const series: Series[] = groups.map((value) => ({
    label: value,
    points: sweep.points.map((p) => ({ t: p.threshold, v: p.slices[0]?.groups.find((g) => g.value === value)?.selectionRate ?? null })),
  }));
  return lineChart(`Selection rate by group of ${first.slice} by threshold`, sweep, series, "selection rate");
}
