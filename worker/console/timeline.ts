/**
 * @module console/timeline
 * The Flow screen's evaluations timeline: for each gated metric (one with a block
 * threshold in some evaluation), its value over time on the primary slice as a line,
 * its interval as a shaded band, and the block threshold as a dashed line — server-
 * rendered SVG, every label escaped, no script. Points of blocking evaluations are
 * drawn red and each point has a <title> with its date, value and verdict.
 */
import type { Evaluation } from "../domain/evaluation.js";
import { esc } from "../report/escape.js";

const W = 640;
const H = 180;
const L = 56;
const R = 16;
const T = 14;
const B = 30;

export interface TimelineSeries {
  metric: string;
  points: { at: string; value: number | null; lower: number | null; upper: number | null; threshold: number | null; verdict: string }[];
}

/** The primary (first, observed) slice's evidence of each gated metric, oldest evaluation first. */
export function timelineSeries(evaluations: readonly Evaluation[]): TimelineSeries[] {
  const ordered = [...evaluations].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  const gated = new Set<string>();
  for (const e of ordered) for (const [m, ev] of Object.entries(e.results[0]?.metrics ?? {})) if (ev.threshold?.block !== undefined) gated.add(m);
  return [...gated].map((metric) => ({
    metric,
    points: ordered.map((e) => {
      const ev = (e.results[0]?.metrics as Record<string, Evaluation["results"][number]["metrics"]["disparateImpactRatio"]> | undefined)?.[metric];
      return { at: e.createdAt, value: ev?.value ?? null, lower: ev?.interval?.lower ?? null, upper: ev?.interval?.upper ?? null, threshold: ev?.threshold?.block ?? null, verdict: e.verdict };
    }),
  }));
}

/** One metric's chart. */
export function timelineChart(s: TimelineSeries): string {
  const pts = s.points;
  const values = pts.flatMap((p) => [p.value, p.lower, p.upper, p.threshold]).filter((v): v is number => v !== null && Number.isFinite(v));
  const hi = Math.max(1, ...values);
  const lo = Math.min(0, ...values);
  const px = (i: number) => L + (pts.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (pts.length - 1));
  const py = (v: number) => T + (1 - (v - lo) / (hi - lo || 1)) * (H - T - B);
  const f = (v: number) => v.toFixed(1);
  // The band: upper edge left to right, lower edge back, over the points that have an interval.
  const withCi = pts.map((p, i) => ({ p, i })).filter(({ p }) => p.lower !== null && p.upper !== null);
  const band = withCi.length
    ? `<polygon class="band" points="${[...withCi.map(({ p, i }) => `${f(px(i))},${f(py(p.upper!))}`), ...[...withCi].reverse().map(({ p, i }) => `${f(px(i))},${f(py(p.lower!))}`)].join(" ")}"><title>interval</title></polygon>`
    : "";
  const line = pts
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => p.value !== null)
    .map(({ p, i }) => `${f(px(i))},${f(py(p.value!))}`)
    .join(" ");
  const thresholds = pts.map((p, i) => ({ t: p.threshold, i })).filter((x) => x.t !== null);
  const limit = thresholds.length
    ? `<polyline class="limit" fill="none" points="${thresholds.length === 1 ? `${L},${f(py(thresholds[0]!.t!))} ${W - R},${f(py(thresholds[0]!.t!))}` : thresholds.map(({ t, i }) => `${f(px(i))},${f(py(t!))}`).join(" ")}"><title>block threshold ${esc(thresholds[thresholds.length - 1]!.t)}</title></polyline>`
    : "";
  const dots = pts
    .map((p, i) =>
      p.value === null
        ? ""
        : `<circle class="point${p.verdict === "block" ? " point-block" : ""}" cx="${f(px(i))}" cy="${f(py(p.value))}" r="4"><title>${esc(p.at.slice(0, 16).replace("T", " "))} UTC: ${esc(p.value.toFixed(3))} (${esc(p.verdict)})</title></circle>`,
    )
    .join("");
  const ticks = [lo, (lo + hi) / 2, hi].map((v) => `<line class="grid" x1="${L}" x2="${W - R}" y1="${f(py(v))}" y2="${f(py(v))}" stroke="#eaecf0"/><text class="tick" x="${L - 6}" y="${f(py(v) + 4)}" text-anchor="end">${esc(v.toFixed(2))}</text>`).join("");
  const first = pts[0]?.at.slice(0, 10) ?? "";
  const last = pts[pts.length - 1]?.at.slice(0, 10) ?? "";
  const axis = `<text class="tick" x="${L}" y="${H - 8}">${esc(first)}</text><text class="tick" x="${W - R}" y="${H - 8}" text-anchor="end">${esc(last)}</text>`;
  return `<svg class="chart timeline" data-metric="${esc(s.metric)}" role="img" aria-label="${esc(s.metric)} over ${pts.length} evaluations, with its block threshold and interval band" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><rect class="frame" x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}"/>${ticks}${band}${limit}${line ? `<polyline class="series" points="${line}"/>` : ""}${dots}${axis}</svg>`;
}
