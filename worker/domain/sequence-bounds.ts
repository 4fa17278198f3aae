/**
 * @module domain/sequence-bounds
 * The confidence sequence of each metric at one level, from cumulative counts
 * (domain/sequential keeps the counts and the blocks; this module turns counts into
 * intervals). Every metric is reduced to per-stream sequences of a bounded mean —
 * a group's rate, a calibration bin's outcome rate, a request's counterfactual flip
 * share — each from the two-sided normal-mixture boundary (Robbins 1970; Howard,
 * Ramdas, McAuliffe & Sekhon 2021): a value in [0, 1] is 1/4-sub-Gaussian, so
 * p̂_t ± √((t/4 + ρ) log((t/4 + ρ)/(ρ a²))) / t covers the running mean of the
 * conditional means at every t at once with probability ≥ 1 − a (Ville's inequality).
 *
 * A metric built from several streams splits a over them (Bonferroni): all hold at
 * once with probability ≥ 1 − a, and then the metric, a function of the streams'
 * means, lies in the range interval arithmetic gives it — at every look, so the
 * result is itself anytime-valid. Over looks that holds only if each stream keeps one
 * level for all time: the kept sequences pass `weights` (the allocation of
 * domain/sequential, each group's share fixed when it was admitted). Without weights
 * the split is even over the streams with data — right for one look at a fixed set of
 * groups, not across looks whose groups change.
 */
import { type CalibrationGroup, SCORE_UNIT } from "./calibration.js";
import type { GroupCounts } from "./confusion.js";
import type { Interval, MetricName } from "./tiers.js";

/** The normal-mixture sequence for a mean of values in [0, 1] summing to k over t, at level 1 − a, clipped to [0, 1]; null when t = 0. */
export function rateSequence(k: number, t: number, a: number, rho: number): Interval | null {
  if (t === 0) return null;
  const v = t / 4 + rho;
  const r = Math.sqrt(v * Math.log(v / (rho * a * a))) / t;
  const p = k / t;
  return { lower: Math.max(0, p - r), upper: Math.min(1, p + r) };
}

/**
 * The largest FN/FP bound written: above the largest FN/FP threshold a policy accepts
 * (1e6, domain/tiers), so a bound that is really +∞ (no false positive ruled out)
 * never reads as within a threshold, and stays a JSON number.
 */
export const RATIO_BOUND_CAP = 1e9;

/** Per-stream data of a sequence beyond the groups' confusion counts. */
export interface SequenceExtra {
  /** Per group, the calibration bins (count, positives, Σ score) since the sequence began. */
  calibration?: readonly CalibrationGroup[] | null;
  /** Counterfactual requests re-run and the sum of their flip shares (flips / re-runs of each request). */
  flips?: FlipStream | null;
}

/** A stream of per-request flip shares: `n` requests, `sum` of their shares (each in [0, 1]). */
export interface FlipStream {
  n: number;
  sum: number;
}

type Rate = (g: GroupCounts) => { k: number; n: number };
const RATES: Record<"sr" | "tpr" | "fpr" | "ppv" | "fnShare" | "err", Rate> = {
  sr: (g) => ({ k: g.selected, n: g.n }),
  tpr: (g) => ({ k: g.tp, n: g.tp + g.fn }),
  fpr: (g) => ({ k: g.fp, n: g.fp + g.tn }),
  ppv: (g) => ({ k: g.tp, n: g.tp + g.fp }),
  // Among a group's errors, the share that are false negatives: q = FN / (FN + FP), so FN / FP = q / (1 − q).
  fnShare: (g) => ({ k: g.fn, n: g.fn + g.fp }),
  err: (g) => ({ k: g.fp + g.fn, n: g.tp + g.fp + g.fn + g.tn }),
};

/**
 * max_g (e_g − Σ_h w_h e_h) with the weights w_h = labeled_h / labeled held at their
 * observed values: e_g − Σ w_h e_h = (1 − w_g) e_g − Σ_{h≠g} w_h e_h, which is increasing
 * in e_g and decreasing in every other e_h, so its range over the groups' sequences is
 * [(1 − w_g) l_g − Σ_{h≠g} w_h u_h, (1 − w_g) u_g − Σ_{h≠g} w_h l_h]; the max over g follows.
 */
function aboveOverallOf(groups: readonly GroupCounts[], levelOf: (g: GroupCounts, split: number) => number, rho: number): Interval | null {
  const ratedGroups = groups.filter((g) => RATES.err(g).n > 0);
  const rated = ratedGroups.map(RATES.err);
  if (rated.length < 2) return null;
  const total = rated.reduce((s, c) => s + c.n, 0);
  const ivs = rated.map((c, i) => rateSequence(c.k, c.n, levelOf(ratedGroups[i]!, rated.length), rho)!);
  const w = rated.map((c) => c.n / total);
  let lower = -Infinity;
  let upper = -Infinity;
  ivs.forEach((g, i) => {
    let lo = (1 - w[i]!) * g.lower;
    let hi = (1 - w[i]!) * g.upper;
    ivs.forEach((h, j) => {
      if (j === i) return;
      lo -= w[j]! * h.upper;
      hi -= w[j]! * h.lower;
    });
    lower = Math.max(lower, lo);
    upper = Math.max(upper, hi);
  });
  return { lower: Math.max(0, lower), upper: Math.min(1, upper) };
}

/** Each admitted group's share of a sequence's level, by value (domain/sequential's allocation). */
export type GroupWeights = ReadonlyMap<string, number>;

/** The level of a group's stream: a given for each group by `levelOf`. */
type LevelOf = (g: GroupCounts) => number;

/** Per-group sequences of one rate, each at its group's level. */
function groupSequences(groups: readonly GroupCounts[], rate: Rate, levelOf: LevelOf, rho: number): Interval[] {
  return groups.flatMap((g) => {
    const { k, n } = rate(g);
    const iv = rateSequence(k, n, levelOf(g), rho);
    return iv ? [iv] : [];
  });
}

/** The range of max − min over values each known to lie in its interval, clipped to [0, cap]. */
function gapOf(ivs: Interval[], cap = 1): Interval | null {
  if (ivs.length < 2) return null;
  const maxLower = Math.max(...ivs.map((i) => i.lower));
  const minUpper = Math.min(...ivs.map((i) => i.upper));
  const maxUpper = Math.max(...ivs.map((i) => i.upper));
  const minLower = Math.min(...ivs.map((i) => i.lower));
  return { lower: Math.min(cap, Math.max(0, maxLower - minUpper)), upper: Math.min(cap, maxUpper - minLower) };
}

/** The range of min / max. */
function ratioOf(ivs: Interval[]): Interval | null {
  if (ivs.length < 2) return null;
  const minLower = Math.min(...ivs.map((i) => i.lower));
  const maxUpper = Math.max(...ivs.map((i) => i.upper));
  const minUpper = Math.min(...ivs.map((i) => i.upper));
  const maxLower = Math.max(...ivs.map((i) => i.lower));
  return { lower: maxUpper > 0 ? minLower / maxUpper : 0, upper: maxLower > 0 ? Math.min(1, minUpper / maxLower) : 1 };
}

/** q / (1 − q), increasing on [0, 1): maps a sequence for q = FN / (FN + FP) onto one for FN / FP. */
const odds = (q: number) => (q >= 1 ? RATIO_BOUND_CAP : Math.min(RATIO_BOUND_CAP, q / (1 - q)));

/**
 * A group's ECE given its scores: with every bin's outcome rate μ_b in its sequence
 * [l_b, u_b], ECE = Σ_b (n_b / N) |μ_b − s̄_b| lies between the weighted distances from
 * s̄_b to the nearest and the farthest point of [l_b, u_b].
 */
function eceRange(g: CalibrationGroup, a: number, rho: number): Interval | null {
  // a is the level of each of the group's bins.
  let total = 0;
  let lower = 0;
  let upper = 0;
  for (let b = 0; b < g.count.length; b++) {
    const c = g.count[b]!;
    if (c === 0) continue;
    const s = g.scoreSum[b]! / SCORE_UNIT / c;
    const iv = rateSequence(g.positives[b]!, c, a, rho)!;
    total += c;
    lower += c * (s < iv.lower ? iv.lower - s : s > iv.upper ? s - iv.upper : 0);
    upper += c * Math.max(Math.abs(iv.lower - s), Math.abs(iv.upper - s));
  }
  return total === 0 ? null : { lower: lower / total, upper: upper / total };
}

/** How many groups have a defined rate: the even Bonferroni split of the level when no weights are given. */
const defined = (groups: readonly GroupCounts[], rate: Rate) => groups.filter((g) => rate(g).n > 0).length;

/**
 * The confidence sequence of `metric` over cumulative `groups` (and, for the calibration
 * gap and the flip rate, `extra`) at level 1 − a; null when it has fewer than the streams it needs.
 */
export function metricSequence(
  metric: MetricName,
  groups: readonly GroupCounts[],
  a: number,
  rho: number,
  extra: SequenceExtra = {},
  weights: GroupWeights | null = null,
): Interval | null {
  // With weights a group's streams share a·w_g (`parts` of them: TPR and FPR for equalized odds) and a group
  // without a weight is left out; without, a is split evenly over `split` streams.
  const share = (value: string) => (weights ? (weights.get(value) ?? 0) : 1);
  groups = weights ? groups.filter((g) => share(g.value) > 0) : groups;
  const levelOf = (g: { value: string }, split: number, parts = 1) => (weights ? (a * share(g.value)) / parts : a / Math.max(1, split));
  const at = (rate: Rate, split: number, parts = 1) => groupSequences(groups, rate, (g) => levelOf(g, split, parts), rho);
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
      const t = gapOf(at(RATES.tpr, split, 2));
      const f = gapOf(at(RATES.fpr, split, 2));
      return t && f ? { lower: Math.max(t.lower, f.lower), upper: Math.max(t.upper, f.upper) } : null;
    }
    case "treatmentEqualityGap": {
      // Each group's FN / FP = q/(1 − q) for its FN share q of errors; a monotone map keeps the sequence's coverage.
      // The level is split over every group with an error, so all their sequences hold at once; the gap then takes
      // the groups the point metric takes (a false positive, FN/FP defined) — any subset of sequences that all hold
      // bounds that subset's gap, and its lower bound never exceeds the whole gap's.
      const split = defined(groups, RATES.fnShare);
      const qs = groupSequences(groups.filter((g) => g.fp > 0), RATES.fnShare, (g) => levelOf(g, split), rho);
      return gapOf(qs.map((q) => ({ lower: odds(q.lower), upper: odds(q.upper) })), RATIO_BOUND_CAP);
    }
    case "calibrationGap": {
      // Bonferroni over every bin of every group with calibration data (bins fixed by the policy, not by the data).
      // With weights a group's a·w_g is split over its own bins.
      const cal = (extra.calibration ?? []).filter((g) => g.count.some((c) => c > 0) && share(g.value) > 0);
      const streams = cal.reduce((s, g) => s + g.count.length, 0);
      const ranges = cal.flatMap((g) => {
        const r = eceRange(g, weights ? levelOf(g, 0, g.count.length) : a / Math.max(1, streams), rho);
        return r ? [r] : [];
      });
      return gapOf(ranges);
    }
    case "counterfactualFlipRate":
      return extra.flips ? rateSequence(extra.flips.sum, extra.flips.n, a, rho) : null;
    case "errorRateGap":
      return gapOf(at(RATES.err, defined(groups, RATES.err)));
    case "errorRateToOverall":
      return aboveOverallOf(groups, levelOf, rho);
  }
}
