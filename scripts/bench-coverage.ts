/**
 * @module scripts/bench-coverage
 * `npm run bench:coverage [-- --trials 500 --n 1000 --replicates 1000 --kernels wasm|reference]`:
 * checks by simulation that the gate's 95% intervals cover the truth about 95% of the
 * time. Each seeded trial draws two groups of n traces from a known model, builds their
 * confusion table, and asks the domain for the Poisson-bootstrap intervals (through
 * Kernels.bootstrap, as the gateway does) and the Wilson intervals of the group rates.
 * Prints one JSON object: the true values and, per metric, the share of trials whose
 * interval contains the true value, with a 95% Wilson band for that share; and `grid`,
 * the parity gap over k groups where coverage is hard (scripts/coverage-grid.ts;
 * `--grid-trials 0` leaves it out).
 */
import { parseArgs } from "node:util";
import { coverageGrid, outside } from "./coverage-grid.js";
import { seededRandom } from "./seeded-random.js";
import type { GroupCounts } from "../worker/domain/confusion.js";
import { bootstrapAggregates, wilson } from "../worker/domain/intervals.js";
import { createReferenceKernels } from "../worker/engine/kernels/reference.js";
import { loadWasmKernelsFromFile } from "../worker/engine/kernels/wasm-node.js";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "500" },
    n: { type: "string", default: "1000" },
    replicates: { type: "string", default: "1000" },
    kernels: { type: "string", default: "wasm" },
    seed: { type: "string", default: "20240601" },
    "grid-trials": { type: "string", default: "400" },
    "grid-replicates": { type: "string", default: "1000" },
  },
});
const trials = Number(values.trials);
const n = Number(values.n);
const replicates = Number(values.replicates);
const kernels = values.kernels === "reference" ? createReferenceKernels() : await loadWasmKernelsFromFile();

/**
 * The model: outcome positive with probability 0.4 and known with probability 0.8;
 * selection depends on the outcome with group-specific TPR and FPR. The true metrics
 * follow in closed form (SR = 0.4·TPR + 0.6·FPR, PPV = 0.4·TPR / SR, FN/FP = 0.4(1−TPR) / 0.6·FPR).
 */
const BASE = 0.4;
const KNOWN = 0.8;
const MODEL = { A: { tpr: 0.7, fpr: 0.3 }, B: { tpr: 0.5, fpr: 0.2 } };
const sr = (m: { tpr: number; fpr: number }) => BASE * m.tpr + (1 - BASE) * m.fpr;
const te = (m: { tpr: number; fpr: number }) => (BASE * (1 - m.tpr)) / ((1 - BASE) * m.fpr);
const TRUTH = {
  disparateImpactRatio: sr(MODEL.B) / sr(MODEL.A),
  demographicParityGap: sr(MODEL.A) - sr(MODEL.B),
  equalOpportunityGap: MODEL.A.tpr - MODEL.B.tpr,
  equalizedOddsGap: Math.max(MODEL.A.tpr - MODEL.B.tpr, MODEL.A.fpr - MODEL.B.fpr),
  treatmentEqualityGap: te(MODEL.B) - te(MODEL.A),
} as const;

function draw(value: string, m: { tpr: number; fpr: number }, u: () => number): GroupCounts {
  const g: GroupCounts = { value, n, selected: 0, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < n; i++) {
    const positive = u() < BASE;
    const selected = u() < (positive ? m.tpr : m.fpr);
    if (selected) g.selected++;
    if (u() >= KNOWN) continue;
    g.labeled++;
    if (positive) g.positives++;
    if (selected && positive) g.tp++;
    else if (selected) g.fp++;
    else if (positive) g.fn++;
    else g.tn++;
  }
  return g;
}

type Metric = keyof typeof TRUTH;
const metrics = Object.keys(TRUTH) as Metric[];
const hits: Record<string, number> = Object.fromEntries([...metrics, "selectionRate(A) wilson", "tpr(B) wilson"].map((m) => [m, 0]));
const width: Record<string, number> = Object.fromEntries(metrics.map((m) => [m, 0]));
const t0 = performance.now();
const base = Number(values.seed);
for (let t = 0; t < trials; t++) {
  const u = seededRandom(base + t);
  const a = draw("A", MODEL.A, u);
  const b = draw("B", MODEL.B, u);
  const iv = bootstrapAggregates([a, b], null, { resample: kernels.bootstrap, replicates, seed: (base + t) >>> 0 });
  for (const m of metrics) {
    const i = iv[m];
    if (i && i.lower <= TRUTH[m] && TRUTH[m] <= i.upper) hits[m]!++;
    if (i) width[m]! += (i.upper - i.lower) / trials;
  }
  const w = wilson(a.selected, a.n)!;
  if (w.lower <= sr(MODEL.A) && sr(MODEL.A) <= w.upper) hits["selectionRate(A) wilson"]!++;
  const wt = wilson(b.tp, b.tp + b.fn)!;
  if (wt.lower <= MODEL.B.tpr && MODEL.B.tpr <= wt.upper) hits["tpr(B) wilson"]!++;
}
const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
const gridTrials = Number(values["grid-trials"]);
const gridCells = gridTrials > 0 ? coverageGrid(kernels.bootstrap, gridTrials, Number(values["grid-replicates"]), base) : [];
const grid =
  gridTrials > 0
    ? {
        metric: "demographicParityGap (max − min of k selection rates)",
        trials: gridTrials,
        replicates: Number(values["grid-replicates"]),
        cells: gridCells,
        outside93to97: { bootstrap: outside(gridCells, "bootstrap"), analytic: outside(gridCells, "analytic"), simultaneous: outside(gridCells, "simultaneous") },
      }
    : null;
const coverage = Object.fromEntries(
  Object.entries(hits).map(([m, h]) => {
    const band = wilson(h, trials)!;
    return [m, { coverage: r4(h / trials), band95: [r4(band.lower), r4(band.upper)], ...(m in width ? { meanWidth: r4(width[m]!) } : {}) }];
  }),
);
process.stdout.write(
  `${JSON.stringify({
    trials,
    replicates,
    tracesPerGroup: n,
    kernels: kernels.name,
    seed: base,
    truth: Object.fromEntries(Object.entries(TRUTH).map(([k, v]) => [k, r4(v)])),
    coverage,
    withinTarget: metrics.every((m) => hits[m]! / trials >= 0.93 && hits[m]! / trials <= 0.97),
    grid,
    ms: Math.round(performance.now() - t0),
  })}\n`,
);
