/**
 * @module domain/order-statistics
 * Quantiles of replicate values without sorting them. A percentile interval needs two
 * quantiles, four order statistics, of ~1,000 bootstrap replicates; an evaluation reads
 * them for every metric of every slice, at one or two levels, and sorting each replicate
 * array was the largest single cost of the intervals after the resampling itself.
 * Quickselect finds an order statistic in linear time and gives exactly the value sorting
 * would put at that index, so the quantiles are the same numbers
 * (test/unit/order-statistics.test.ts checks them against a sort).
 */

/** Below this many elements a range is finished by insertion sort. */
const SMALL = 16;

/**
 * The k-th smallest (0-based) of `a`, rearranging `a[lo..hi]` only (quickselect, Hoare
 * partition, median-of-three pivot); `k` must lie in [lo, hi] and every element outside
 * the range must already be in its sorted place relative to it. `a` must hold no NaN.
 */
export function selectInPlace(a: Float64Array, k: number, lo = 0, hi = a.length - 1): number {
  if (!(k >= lo && k <= hi && lo >= 0 && hi < a.length)) throw new RangeError(`order statistic ${k} of [${lo}, ${hi}] in ${a.length} values`);
  while (hi - lo > SMALL) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!, y = a[mid]!, z = a[hi]!;
    const p = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < p) i++;
      while (a[j]! > p) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    // a[lo..j] ≤ p ≤ a[i..hi], and anything strictly between j and i equals p.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  for (let x = lo + 1; x <= hi; x++) {
    const v = a[x]!;
    let y = x - 1;
    for (; y >= lo && a[y]! > v; y--) a[y + 1] = a[y]!;
    a[y + 1] = v;
  }
  return a[k]!;
}

/**
 * The quantile function of `values` (which it rearranges and keeps): q ↦ the linear
 * interpolation between order statistics (NumPy's default) — the same arithmetic on the
 * same two order statistics as reading a sorted copy. On first use it puts the lowest and
 * highest `tail` share in sorted order (two selections and two small sorts), where the
 * quantiles of central intervals at 90% and above lie; any other quantile is selected in
 * the middle, which lies between the two tails and never disturbs them.
 */
export function quantilesOf(values: Float64Array, tail = 0.05): (q: number) => number {
  const n = values.length;
  let t = -1;
  const prepare = () => {
    t = Math.ceil(n * tail) + 1;
    if (2 * t >= n) {
      values.sort();
      t = n;
      return;
    }
    selectInPlace(values, t - 1);
    values.subarray(0, t).sort();
    selectInPlace(values, n - t, t, n - 1);
    values.subarray(n - t).sort();
  };
  const at = (i: number) => (i < t || i >= n - t ? values[i]! : selectInPlace(values, i, t, n - t - 1));
  return (q) => {
    if (n === 0) throw new RangeError("quantile of no values");
    if (t < 0) prepare();
    const h = (n - 1) * q;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, n - 1);
    const a = at(lo);
    return a + (h - lo) * (at(hi) - a);
  };
}
