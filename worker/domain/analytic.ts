/**
 * @module domain/analytic
 * Closed-form intervals beside the Poisson bootstrap (policy `intervalMethod: "analytic"`):
 *  - a difference of two proportions: Newcombe's hybrid score interval (Newcombe 1998,
 *    Stat. Med. 17:873, method 10), built from the two Wilson intervals;
 *  - a ratio of two proportions: Katz's log interval (Katz et al. 1978; the interval of
 *    scipy.stats.contingency.relative_risk).
 * A gap over several groups (max − min) or a ratio (min / max) gets the interval of the
 * extreme pair that defines it — the groups with the highest and the lowest rate — and
 * the evaluation names that pair. The pair is chosen by the data, so over more than two
 * groups this interval covers the difference of that pair's true rates, not the true
 * max − min (docs/metrics.md).
 */
import type { GroupCounts } from "./confusion.js";
import { wilson } from "./intervals.js";
import type { Interval } from "./tiers.js";

/**
 * The standard normal quantile Φ⁻¹(p), 0 < p < 1: Wichura's algorithm AS 241 (PPND16,
 * Applied Statistics 37:477, 1988), about 16 significant digits.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r +
          1971.5909503065514427) *
          r +
          133.14166789178437745) *
          r +
          3.387132872796366608)) /
      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r +
        687.1870074920579083) *
        r +
        42.313330701600911252) *
        r +
        1)
    );
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x =
      (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r + 3.64784832476320460504) * r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1);
  } else {
    r -= 5;
    x =
      (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r +
        0.13692988092273580531) *
        r +
        0.59983220655588793769) *
        r +
        1);
  }
  return q < 0 ? -x : x;
}

/** z of a two-sided interval at `level` (0.95 → 1.959964). */
export const zFor = (level: number) => normalQuantile(1 - (1 - level) / 2);

/**
 * Newcombe's hybrid score interval for p1 − p2 (method 10): with Wilson limits
 * (l1, u1) and (l2, u2), [d − √((p1−l1)² + (u2−p2)²), d + √((u1−p1)² + (p2−l2)²)].
 */
export function newcombeDifference(k1: number, n1: number, k2: number, n2: number, z: number): Interval | null {
  const w1 = wilson(k1, n1, z);
  const w2 = wilson(k2, n2, z);
  if (!w1 || !w2) return null;
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const d = p1 - p2;
  return { lower: d - Math.hypot(p1 - w1.lower, w2.upper - p2), upper: d + Math.hypot(w1.upper - p1, p2 - w2.lower) };
}

/**
 * Katz's log interval for (k1/n1) / (k2/n2): exp(log r ± z·√(1/k1 − 1/n1 + 1/k2 − 1/n2)).
 * Null when either count is 0 (the log ratio is then unbounded).
 */
export function katzRatio(k1: number, n1: number, k2: number, n2: number, z: number): Interval | null {
  if (k1 === 0 || k2 === 0 || n1 === 0 || n2 === 0) return null;
  const r = k1 / n1 / (k2 / n2);
  const se = Math.sqrt(1 / k1 - 1 / n1 + 1 / k2 - 1 / n2);
  return { lower: r * Math.exp(-z * se), upper: r * Math.exp(z * se) };
}

/** One group's successes and trials for the rate a metric is built from. */
export interface RateCount {
  value: string;
  k: number;
  n: number;
}

/** The rate each proportion-based metric compares across groups. */
export const RATE_OF = {
  selectionRate: (g: GroupCounts) => ({ k: g.selected, n: g.n }),
  tpr: (g: GroupCounts) => ({ k: g.tp, n: g.tp + g.fn }),
  fpr: (g: GroupCounts) => ({ k: g.fp, n: g.fp + g.tn }),
  ppv: (g: GroupCounts) => ({ k: g.tp, n: g.tp + g.fp }),
  errorRate: (g: GroupCounts) => ({ k: g.fp + g.fn, n: g.tp + g.fp + g.fn + g.tn }),
} as const;
export type RateName = keyof typeof RATE_OF;

/** The groups with the highest and lowest rate (ties: the larger group, then the name), or null with fewer than two defined. */
export function extremePair(groups: readonly GroupCounts[], rate: RateName): { high: RateCount; low: RateCount } | null {
  const counts = groups.map((g) => ({ value: g.value, ...RATE_OF[rate](g) })).filter((c) => c.n > 0);
  if (counts.length < 2) return null;
  const cmp = (a: RateCount, b: RateCount) => a.k / a.n - b.k / b.n || a.n - b.n || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
  const sorted = [...counts].sort(cmp);
  return { high: sorted[sorted.length - 1]!, low: sorted[0]! };
}

/** The analytic interval of a gap (high − low, Newcombe) or a ratio (low / high, Katz) of an extreme pair. */
export function pairInterval(kind: "difference" | "ratio", pair: { high: RateCount; low: RateCount }, level: number): Interval | null {
  const z = zFor(level);
  const { high: h, low: l } = pair;
  return kind === "difference" ? newcombeDifference(h.k, h.n, l.k, l.n, z) : katzRatio(l.k, l.n, h.k, h.n, z);
}
