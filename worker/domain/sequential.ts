/**
 * @module domain/sequential
 * Anytime-valid confidence sequences for `decisionRule: "sequential"`: a recheck that
 * looks again every day may look forever, and still pauses a flow within its threshold
 * with probability at most alpha over all looks together.
 *
 * Per group rate (a stream of 0/1 outcomes in arrival order): the two-sided normal-
 * mixture boundary for sub-Gaussian increments (Robbins 1970; Howard, Ramdas,
 * McAuliffe & Sekhon 2021, "Time-uniform, nonparametric, nonasymptotic confidence
 * sequences", Ann. Statist. 49:1055). A value in [0, 1] is 1/4-sub-Gaussian
 * (Hoeffding), so with S_t = Σ (X_i − μ_i) and V_t = t/4,
 *   P(∃ t: |S_t| ≥ √((V_t + ρ) · log((V_t + ρ) / (ρ α²)))) ≤ α     (Ville's inequality),
 * i.e. p̂_t ± √((t/4 + ρ) log((t/4 + ρ)/(ρ α²))) / t covers the running mean of the
 * (possibly drifting) conditional rates at every t simultaneously.
 *
 * A gap (max − min over k groups) or ratio (min / max) gets the sequence implied by
 * all its groups' sequences at α/k each (Bonferroni over groups; equalized odds: α/2k
 * over TPR and FPR), so it covers the true max − min however the extreme pair is
 * chosen. The state of a sequence is the per-group cumulative counts since it began.
 */
import type { GroupCounts } from "./confusion.js";
import type { IntervalSource } from "./interval-sources.js";
import type { Interval, MetricName } from "./tiers.js";

/** The metrics a confidence sequence is kept for (proportions compared across groups). */
export const SEQUENTIAL_METRICS = ["disparateImpactRatio", "demographicParityGap", "equalOpportunityGap", "equalizedOddsGap", "predictiveParityGap"] as const;
export type SequentialMetric = (typeof SEQUENTIAL_METRICS)[number];
export const isSequentialMetric = (m: MetricName): m is SequentialMetric => (SEQUENTIAL_METRICS as readonly string[]).includes(m);

/**
 * The number of traces per group at which the boundary is tightest (ρ is fixed in
 * advance, never chosen from the data: any ρ > 0 keeps the guarantee).
 */
export const SEQUENCE_TUNED_FOR = 10_000;

/** One sequence's state: per group, the counts accumulated over every look since it began. */
export interface SequenceState {
  slice: string;
  metric: SequentialMetric;
  /** Looks so far, this one included. */
  looks: number;
  /** When the sequence began (its first look) and the end of the data it has seen. */
  since: string;
  through: string;
  groups: GroupCounts[];
}

/**
 * ρ for a boundary tightest at V = m/4 (m traces): ρ = c·V where c solves
 * log((1 + c)/(c α²)) = 1/c (minimising the boundary over ρ at that V).
 */
export function mixtureRho(alpha: number, m = SEQUENCE_TUNED_FOR): number {
  let lo = 1e-6;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const c = (lo + hi) / 2;
    if (Math.log((1 + c) / (c * alpha * alpha)) - 1 / c > 0) hi = c;
    else lo = c;
  }
  return ((lo + hi) / 2) * (m / 4);
}

/** The normal-mixture sequence for a rate of k in t at level 1 − a, clipped to [0, 1]; null when t = 0. */
export function rateSequence(k: number, t: number, a: number, rho: number): Interval | null {
  if (t === 0) return null;
  const v = t / 4 + rho;
  const r = Math.sqrt(v * Math.log(v / (rho * a * a))) / t;
  const p = k / t;
  return { lower: Math.max(0, p - r), upper: Math.min(1, p + r) };
}

type Rate = (g: GroupCounts) => { k: number; n: number };
const RATES: Record<"sr" | "tpr" | "fpr" | "ppv", Rate> = {
  sr: (g) => ({ k: g.selected, n: g.n }),
  tpr: (g) => ({ k: g.tp, n: g.tp + g.fn }),
  fpr: (g) => ({ k: g.fp, n: g.fp + g.tn }),
  ppv: (g) => ({ k: g.tp, n: g.tp + g.fp }),
};

/** Per-group sequences of one rate, each at a / split. */
function groupSequences(groups: readonly GroupCounts[], rate: Rate, a: number, rho: number): Interval[] {
  return groups.map(rate).flatMap(({ k, n }) => {
    const iv = rateSequence(k, n, a, rho);
    return iv ? [iv] : [];
  });
}

/** The sequence of max − min implied by the groups' sequences. */
function gapOf(ivs: Interval[]): Interval | null {
  if (ivs.length < 2) return null;
  const maxLower = Math.max(...ivs.map((i) => i.lower));
  const minUpper = Math.min(...ivs.map((i) => i.upper));
  const maxUpper = Math.max(...ivs.map((i) => i.upper));
  const minLower = Math.min(...ivs.map((i) => i.lower));
  return { lower: Math.max(0, maxLower - minUpper), upper: Math.min(1, maxUpper - minLower) };
}

/** The sequence of min / max implied by the groups' sequences. */
function ratioOf(ivs: Interval[]): Interval | null {
  if (ivs.length < 2) return null;
  const minLower = Math.min(...ivs.map((i) => i.lower));
  const maxUpper = Math.max(...ivs.map((i) => i.upper));
  const minUpper = Math.min(...ivs.map((i) => i.upper));
  const maxLower = Math.max(...ivs.map((i) => i.lower));
  return { lower: maxUpper > 0 ? minLower / maxUpper : 0, upper: maxLower > 0 ? Math.min(1, minUpper / maxLower) : 1 };
}

/** How many groups have a defined rate: the Bonferroni split of the level. */
const defined = (groups: readonly GroupCounts[], rate: Rate) => groups.filter((g) => rate(g).n > 0).length;

/** The confidence sequence of `metric` over cumulative `groups` at level 1 − a. */
export function metricSequence(metric: SequentialMetric, groups: readonly GroupCounts[], a: number, rho: number): Interval | null {
  const at = (rate: Rate, split: number) => groupSequences(groups, rate, a / Math.max(1, split), rho);
  switch (metric) {
    case "disparateImpactRatio":
      return ratioOf(at(RATES.sr, defined(groups, RATES.sr)));
    case "demographicParityGap":
      return gapOf(at(RATES.sr, defined(groups, RATES.sr)));
    case "equalOpportunityGap":
      return gapOf(at(RATES.tpr, defined(groups, RATES.tpr)));
    case "predictiveParityGap":
      return gapOf(at(RATES.ppv, defined(groups, RATES.ppv)));
    case "equalizedOddsGap": {
      const split = defined(groups, RATES.tpr) + defined(groups, RATES.fpr);
      const t = gapOf(at(RATES.tpr, split));
      const f = gapOf(at(RATES.fpr, split));
      return t && f ? { lower: Math.max(t.lower, f.lower), upper: Math.max(t.upper, f.upper) } : null;
    }
  }
}

/** Adds `more` to `base`, group by group (by value). */
export function addCounts(base: readonly GroupCounts[], more: readonly GroupCounts[]): GroupCounts[] {
  const out = new Map(base.map((g) => [g.value, { ...g }]));
  for (const g of more) {
    const b = out.get(g.value);
    if (!b) {
      out.set(g.value, { ...g });
      continue;
    }
    for (const k of ["n", "selected", "labeled", "positives", "tp", "fp", "fn", "tn"] as const) b[k] += g[k];
  }
  return [...out.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/** The next state of a sequence: `prior` (null: it begins now, with `look` as its first data) plus this look. */
export function advance(prior: SequenceState | null, slice: string, metric: SequentialMetric, look: readonly GroupCounts[], from: string, through: string): SequenceState {
  return {
    slice,
    metric,
    looks: (prior?.looks ?? 0) + 1,
    since: prior?.since ?? from,
    through,
    groups: addCounts(prior?.groups ?? [], look),
  };
}

/** The interval source of a state: the sequence at any level, over groups of at least `minGroupSize`. */
export function sequenceSource(state: SequenceState, minGroupSize: number, rho: number): IntervalSource {
  const groups = state.groups.filter((g) => g.n >= minGroupSize);
  return { method: "confidence-sequence", pair: null, at: (level) => metricSequence(state.metric, groups, 1 - level, rho) };
}
