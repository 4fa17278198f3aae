/**
 * @module domain/multiplicity
 * Multiplicity control over the family of gated tests of one evaluation (every
 * metric with a block threshold, in every slice and source). Each test's null
 * hypothesis is "the metric is within its threshold"; it is rejected (the metric
 * blocks) when its interval at the test's level lies wholly beyond the threshold.
 *
 * Intervals here nest across levels (bootstrap quantiles, z-based closed forms,
 * confidence sequences), so "wholly beyond at level 1 − a" is "p ≤ a" for the
 * test's p-value, and the classical procedures can be run on intervals alone:
 *  - holm (Holm 1979): step-down — test the rest at α/(m − r) after r rejections,
 *    until no further test is rejected; each test is reported at the level it was
 *    last run at.
 *  - bh (Benjamini & Hochberg 1995): step-up — the largest k with at least k
 *    intervals beyond at level 1 − kα/m; those are rejected and every test is
 *    reported at that level (1 − α/m when nothing is rejected). BH controls the
 *    false discovery rate, not the probability of any false block.
 *  - none: every test at 1 − α.
 */
import { type Interval, intervalSide, type MetricName } from "./tiers.js";

export const MULTIPLICITY_METHODS = ["holm", "bh", "none"] as const;
export type Multiplicity = (typeof MULTIPLICITY_METHODS)[number];

/** One test of the family: its metric, block threshold and interval as a function of the level. */
export interface FamilyTest {
  metric: MetricName;
  threshold: number;
  at(level: number): Interval | null;
}

const beyondAt = (t: FamilyTest, level: number) => {
  const iv = t.at(level);
  return iv !== null && intervalSide(t.metric, iv, t.threshold) === "beyond";
};

/** The confidence level each test of `family` is run at (same order as `family`). */
export function adjustedLevels(family: readonly FamilyTest[], alpha: number, method: Multiplicity): number[] {
  const m = family.length;
  if (m === 0) return [];
  if (method === "none") return family.map(() => 1 - alpha);
  if (method === "holm") {
    const levels = new Array<number>(m).fill(0);
    let open = family.map((_, i) => i);
    let rejected = 0;
    for (;;) {
      const level = 1 - alpha / (m - rejected);
      const hit = open.filter((i) => beyondAt(family[i]!, level));
      for (const i of open) levels[i] = level;
      if (hit.length === 0 || hit.length === open.length) break;
      rejected += hit.length;
      open = open.filter((i) => !hit.includes(i));
    }
    return levels;
  }
  for (let k = m; k >= 1; k--) {
    const level = 1 - (k * alpha) / m;
    if (family.filter((t) => beyondAt(t, level)).length >= k) return family.map(() => level);
  }
  return family.map(() => 1 - alpha / m);
}
