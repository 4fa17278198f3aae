/**
 * @module scripts/bench-sequential
 * `npm run bench:sequential [-- --flows 2000 --days 365 --traffic 500 --window 7 --drift-day 60 --seed 1 --metric demographicParityGap]`:
 * how often a daily recheck pauses a flow that is within its threshold, and how fast it
 * pauses one that drifts, under each decision rule — by simulation through the domain
 * gate (decideGate; no HTTP, no store).
 *
 * Model: two groups, `traffic` decisions a day split evenly; the gated metric is the
 * demographic parity gap with block threshold 0.1, analytic intervals.
 *  - fair: selection rates 0.5 and 0.4 every day — a true gap of exactly the threshold,
 *    the least favourable flow that is still within it (equal is within), so the
 *    false-pause rate here bounds it for every flow within the threshold.
 *  - drift: rates 0.5 and 0.5 until `drift-day`, then 0.5 and 0.3 (gap 0.2).
 * `--metric treatmentEqualityGap`: each group has `traffic / 2` errors a day, a share q of
 * them false negatives (FN/FP = q/(1 − q)), threshold 0.5: fair q = 0.5 and 0.6 (ratios 1
 * and 1.5, a gap of exactly 0.5); drift 0.5 and 0.5, then 0.5 and 0.7 (gap 1.33). The
 * confident rule uses the Poisson bootstrap (TS reference kernel, 200 replicates).
 * `--metric counterfactualFlipRate`: `traffic` requests a day re-run with the other group
 * value, threshold 0.1: fair flip rate 0.1; drift 0.05, then 0.2.
 * Rules: point and confident judge the rolling `window`-day window every day; sequential
 * keeps its confidence sequence from day 1 (state passed from one look to the next as
 * the recheck stores it). Each flow's days are drawn once and judged by all three rules.
 *
 * Last line: one JSON object {"fair":{"point":{"everPaused"},…},"drift":{"point":{"medianDaysToPause",…},…}}.
 * Days to pause count from the drift day; flows paused before it are counted as
 * `pausedBeforeDrift`, flows never paused as `neverPaused`.
 */
import { parseArgs } from "node:util";
import { seededRandom } from "./seeded-random.js";
import type { GroupCounts } from "../worker/domain/confusion.js";
import { decideGate } from "../worker/domain/gate.js";
import { type FairnessPolicy, fairnessPolicySchema } from "../worker/domain/policy.js";
import type { SequenceState } from "../worker/domain/sequential.js";
import { wilson } from "../worker/domain/intervals.js";
import type { CounterfactualResult } from "../worker/domain/replay.js";
import { createReferenceKernels } from "../worker/engine/kernels/reference.js";

const { values } = parseArgs({
  options: {
    flows: { type: "string", default: "2000" },
    days: { type: "string", default: "365" },
    traffic: { type: "string", default: "500" },
    window: { type: "string", default: "7" },
    "drift-day": { type: "string", default: "60" },
    seed: { type: "string", default: "1" },
    metric: { type: "string", default: "demographicParityGap" },
  },
});
const FLOWS = Number(values.flows);
const DAYS = Number(values.days);
const TRAFFIC = Number(values.traffic);
const WINDOW = Number(values.window);
const DRIFT_DAY = Number(values["drift-day"]);
const SEED = Number(values.seed);
const group = (value: string, n: number, selected: number): GroupCounts => ({ value, n, selected, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 });
/** `n` errors of which `fn` are false negatives (plus as many correct decisions, so the group has traces). */
const errors = (value: string, n: number, fn: number): GroupCounts => ({ value, n: 2 * n, selected: n, labeled: 2 * n, positives: n, tp: n - fn, fp: n - fn, fn, tn: fn });
const flips = (requests: number, k: number): CounterfactualResult => ({
  requests, trials: requests, flips: k, rate: k / requests, interval: wilson(k, requests), pairs: [], pairsTruncated: false, refused: 0, shares: { n: requests, sum: k },
});
/** Per metric: threshold, the two streams' daily rates (fair; drift before and after), and a look's gate input from (n per stream, a, b). */
const MODELS = {
  demographicParityGap: { threshold: 0.1, fair: [0.5, 0.4], before: [0.5, 0.5], after: [0.5, 0.3], look: (n: number, a: number, b: number) => ({ groups: [group("a", n, a), group("b", n, b)], cf: null }) },
  treatmentEqualityGap: { threshold: 0.5, fair: [0.5, 0.6], before: [0.5, 0.5], after: [0.5, 0.7], look: (n: number, a: number, b: number) => ({ groups: [errors("a", n, a), errors("b", n, b)], cf: null }) },
  counterfactualFlipRate: { threshold: 0.1, fair: [0.1, 0.1], before: [0.05, 0.05], after: [0.2, 0.2], look: (n: number, a: number, b: number) => ({ groups: [group("a", n, 0), group("b", n, 0)], cf: flips(2 * n, a + b) }) },
} as const;
const METRIC = values.metric as keyof typeof MODELS;
if (!(METRIC in MODELS)) throw new Error(`--metric must be one of ${Object.keys(MODELS).join(", ")}`);
const MODEL = MODELS[METRIC];
const THRESHOLD = MODEL.threshold;
// The FN/FP gap has no analytic interval: the confident rule reads the bootstrap (a resampler is needed).
const resample = METRIC === "treatmentEqualityGap" ? createReferenceKernels().bootstrap : null;
const RULES = ["point", "confident", "sequential"] as const;
type Rule = (typeof RULES)[number];

const policies: Record<Rule, FairnessPolicy> = Object.fromEntries(
  RULES.map((rule) => [
    rule,
    fairnessPolicySchema.parse({
      enabled: true,
      sensitiveAttribute: "g",
      thresholds: { [METRIC]: THRESHOLD },
      minSampleSize: 10,
      minGroupSize: 1,
      decisionRule: rule,
      intervalMethod: "analytic",
      bootstrapReplicates: 200,
    }),
  ]),
) as Record<Rule, FairnessPolicy>;

const slice = (groups: GroupCounts[]) => [{ name: "g", attributes: ["g"], table: { groups }, calibration: null }];
const dayIso = (d: number) => new Date(Date.UTC(2026, 0, 1) + d * 86_400_000).toISOString();

/** Selected counts per day for groups a and b (n each = traffic / 2). */
function drawDays(rates: (day: number) => [number, number], u: () => number): Int32Array {
  const per = TRAFFIC / 2;
  const out = new Int32Array(DAYS * 2);
  for (let d = 0; d < DAYS; d++) {
    const [pa, pb] = rates(d);
    let a = 0;
    let b = 0;
    for (let i = 0; i < per; i++) {
      if (u() < pa) a++;
      if (u() < pb) b++;
    }
    out[d * 2] = a;
    out[d * 2 + 1] = b;
  }
  return out;
}

/** The first day (0-based) on which `rule` pauses the flow, or -1. */
function firstPause(rule: Rule, days: Int32Array): number {
  const per = TRAFFIC / 2;
  const p = policies[rule];
  let prior: SequenceState[] = [];
  for (let d = 0; d < DAYS; d++) {
    let wa = 0;
    let wb = 0;
    const from = Math.max(0, d - WINDOW + 1);
    for (let k = from; k <= d; k++) {
      wa += days[k * 2]!;
      wb += days[k * 2 + 1]!;
    }
    const wn = per * (d - from + 1);
    const win = MODEL.look(wn, wa, wb);
    const observed = slice(win.groups);
    // The first look has no kept state: its data is the window (one day here), as in the recheck.
    const day = MODEL.look(per, days[d * 2]!, days[d * 2 + 1]!);
    const increment = prior.length ? slice(day.groups) : null;
    const incrementCounterfactual = prior.length && day.cf ? { g: day.cf } : null;
    const sequential = rule === "sequential" ? { prior, increment, incrementCounterfactual, from: dayIso(from), through: dayIso(d + 1), persist: true } : null;
    const counterfactual = win.cf ? { g: win.cf } : null;
    const gate = decideGate(p, { observed, sequential, counterfactual }, null, { resample: rule === "confident" ? resample : null });
    if (gate.verdict === "block") return d;
    prior = gate.sequences;
  }
  return -1;
}

const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

const t0 = performance.now();
const fairPaused: Record<Rule, number> = { point: 0, confident: 0, sequential: 0 };
const delays: Record<Rule, number[]> = { point: [], confident: [], sequential: [] };
const before: Record<Rule, number> = { point: 0, confident: 0, sequential: 0 };
const never: Record<Rule, number> = { point: 0, confident: 0, sequential: 0 };
for (let f = 0; f < FLOWS; f++) {
  const fair = drawDays(() => [...MODEL.fair], seededRandom((SEED * 1_000_003 + f) >>> 0));
  const drift = drawDays((d) => [...(d < DRIFT_DAY ? MODEL.before : MODEL.after)], seededRandom((SEED * 1_000_003 + FLOWS + f) >>> 0));
  for (const rule of RULES) {
    if (firstPause(rule, fair) >= 0) fairPaused[rule]++;
    const d = firstPause(rule, drift);
    if (d < 0) never[rule]++;
    else if (d < DRIFT_DAY) before[rule]++;
    else delays[rule].push(d - DRIFT_DAY + 1);
  }
}

const fairOut = Object.fromEntries(
  RULES.map((rule) => {
    const band = wilson(fairPaused[rule], FLOWS)!;
    return [rule, { everPaused: r4(fairPaused[rule] / FLOWS), band95: [r4(band.lower), r4(band.upper)] }];
  }),
);
const driftOut = Object.fromEntries(
  RULES.map((rule) => {
    const xs = delays[rule];
    const sorted = [...xs].sort((a, b) => a - b);
    return [
      rule,
      {
        medianDaysToPause: median(xs),
        p90DaysToPause: sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)]! : null,
        maxDaysToPause: sorted.length ? sorted[sorted.length - 1]! : null,
        pausedBeforeDrift: before[rule],
        neverPaused: never[rule],
      },
    ];
  }),
);
process.stdout.write(
  `${JSON.stringify({
    fair: fairOut,
    drift: driftOut,
    model: { metric: METRIC, flows: FLOWS, days: DAYS, trafficPerDay: TRAFFIC, windowDays: WINDOW, driftDay: DRIFT_DAY, threshold: THRESHOLD, fairRates: MODEL.fair, driftRates: [MODEL.before, MODEL.after], alpha: 0.05, seed: SEED },
    ms: Math.round(performance.now() - t0),
  })}\n`,
);
