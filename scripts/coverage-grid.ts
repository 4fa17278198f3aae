/**
 * @module scripts/coverage-grid
 * The hard part of `npm run bench:coverage`: coverage of the demographic parity gap
 * (max − min of k selection rates) where it is hard — true gaps 0, 0.01 and 0.05,
 * k = 2, 4 and 8 groups, n = 50, 500 and 5,000 per group — for three intervals:
 *  - bootstrap: the gate's Poisson-bootstrap percentile interval of max − min;
 *  - analytic: the gate's Newcombe interval of the extreme pair;
 *  - simultaneous: the gate's `intervalMethod: "simultaneous"` (domain/simultaneous):
 *    Newcombe for every pair at Bonferroni level α/(k(k−1)/2), combined into
 *    [max(0, max over ordered pairs of the lower bounds), max of the upper bounds].
 *    Whenever every pairwise interval covers its difference, this covers the true
 *    max − min, so its coverage is at least 95% — conservative (above 97%) when k is
 *    large or the gap is well separated.
 * Model: group i selects with probability 0.3 + gap · i/(k − 1), so the true gap is `gap`.
 */
import type { GroupCounts } from "../worker/domain/confusion.js";
import { intervalSources } from "../worker/domain/interval-sources.js";
import type { Resampler } from "../worker/domain/intervals.js";
import type { Interval } from "../worker/domain/tiers.js";
import { seededRandom } from "./seeded-random.js";

export const GRID = { gaps: [0, 0.01, 0.05], groups: [2, 4, 8], sizes: [50, 500, 5000] } as const;
const METHODS = ["bootstrap", "analytic", "simultaneous"] as const;
type Method = (typeof METHODS)[number];

function draw(k: number, n: number, gap: number, u: () => number): GroupCounts[] {
  return Array.from({ length: k }, (_, i) => {
    const p = 0.3 + (k === 1 ? 0 : (gap * i) / (k - 1));
    let s = 0;
    for (let t = 0; t < n; t++) if (u() < p) s++;
    return { value: `g${i}`, n, selected: s, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 };
  });
}

export interface GridCell {
  gap: number;
  k: number;
  n: number;
  coverage: Record<Method, number>;
}

/** Runs `trials` seeded trials per cell; coverage of the true gap per method. */
export function coverageGrid(resample: Resampler, trials: number, replicates: number, seed: number): GridCell[] {
  const cells: GridCell[] = [];
  let c = 0;
  for (const gap of GRID.gaps)
    for (const k of GRID.groups)
      for (const n of GRID.sizes) {
        const hits: Record<Method, number> = { bootstrap: 0, analytic: 0, simultaneous: 0 };
        for (let t = 0; t < trials; t++) {
          const s = (seed + c * 100_003 + t) >>> 0;
          const groups = draw(k, n, gap, seededRandom(s));
          const boot = intervalSources(groups, null, { method: "bootstrap", resample, replicates, seed: s }).demographicParityGap?.at(0.95) ?? null;
          const ana = intervalSources(groups, null, { method: "analytic", resample: null, replicates, seed: s }).demographicParityGap?.at(0.95) ?? null;
          const sim = intervalSources(groups, null, { method: "simultaneous", resample: null, replicates, seed: s }).demographicParityGap?.at(0.95) ?? null;
          // A tolerance for the gap's floating-point representation (0.3 + 0.05 − 0.3 ≠ 0.05 exactly).
          const covers = (iv: Interval | null) => iv !== null && iv.lower <= gap + 1e-12 && gap - 1e-12 <= iv.upper;
          if (covers(boot)) hits.bootstrap++;
          if (covers(ana)) hits.analytic++;
          if (covers(sim)) hits.simultaneous++;
        }
        const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
        cells.push({ gap, k, n, coverage: { bootstrap: r4(hits.bootstrap / trials), analytic: r4(hits.analytic / trials), simultaneous: r4(hits.simultaneous / trials) } });
        c++;
      }
  return cells;
}

/** The cells of `method` outside [lo, hi]. */
export const outside = (cells: GridCell[], method: Method, lo = 0.93, hi = 0.97) =>
  cells.filter((x) => x.coverage[method] < lo || x.coverage[method] > hi).map((x) => `gap ${x.gap}, k ${x.k}, n ${x.n}: ${x.coverage[method]}`);
