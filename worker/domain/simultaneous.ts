/**
 * @module domain/simultaneous
 * Intervals for max − min (and min / max) over k groups that cover the true value,
 * however the extreme pair falls (policy `intervalMethod: "simultaneous"`): an interval
 * for every pair of groups at Bonferroni level α / (k(k−1)/2) — Newcombe's hybrid score
 * interval for differences, Katz's log interval for ratios — so that all of them cover
 * at once with probability ≥ 1 − α. Then for the gap G = max over ordered pairs of
 * (p_i − p_j): every pairwise lower bound is ≤ G and G ≤ the largest upper bound; for the
 * ratio R = min over ordered pairs of p_i / p_j the same with min. Conservative (coverage
 * ≥ nominal, above it once groups separate); with two groups it is the interval of |p₁ − p₂|.
 */
import { katzRatio, newcombeDifference, RATE_OF, type RateName, zFor } from "./analytic.js";
import type { GroupCounts } from "./confusion.js";
import type { Interval } from "./tiers.js";

const counts = (groups: readonly GroupCounts[], rate: RateName) => groups.map((g) => RATE_OF[rate](g)).filter((c) => c.n > 0);

/** Pairs among the groups that have `rate`. */
export const pairCount = (groups: readonly GroupCounts[], rate: RateName) => {
  const k = counts(groups, rate).length;
  return (k * (k - 1)) / 2;
};

/** max − min of `rate` at family level `level` over `pairs` tests (default: this rate's pairs alone); null with fewer than two groups. */
export function simultaneousGap(groups: readonly GroupCounts[], rate: RateName, level: number, pairs = pairCount(groups, rate)): Interval | null {
  const c = counts(groups, rate);
  if (c.length < 2) return null;
  const z = zFor(1 - (1 - level) / pairs);
  let lower = 0;
  let upper = 0;
  for (let i = 0; i < c.length; i++)
    for (let j = i + 1; j < c.length; j++) {
      const iv = newcombeDifference(c[i]!.k, c[i]!.n, c[j]!.k, c[j]!.n, z)!;
      // p_i − p_j ∈ [L, U] and p_j − p_i ∈ [−U, −L].
      lower = Math.max(lower, iv.lower, -iv.upper);
      upper = Math.max(upper, iv.upper, -iv.lower);
    }
  return { lower, upper: Math.min(1, upper) };
}

/** min / max of the selection rate at family level `level`; null with fewer than two groups or a group selecting nobody. */
export function simultaneousRatio(groups: readonly GroupCounts[], level: number): Interval | null {
  const c = counts(groups, "selectionRate");
  if (c.length < 2) return null;
  const z = zFor(1 - (1 - level) / ((c.length * (c.length - 1)) / 2));
  let lower = Infinity;
  let upper = 1;
  for (let i = 0; i < c.length; i++)
    for (let j = i + 1; j < c.length; j++) {
      const iv = katzRatio(c[i]!.k, c[i]!.n, c[j]!.k, c[j]!.n, z);
      if (!iv) return null;
      // p_i / p_j ∈ [L, U] and p_j / p_i ∈ [1/U, 1/L].
      lower = Math.min(lower, iv.lower, 1 / iv.upper);
      upper = Math.min(upper, iv.upper, 1 / iv.lower);
    }
  return { lower, upper };
}
