/**
 * @module domain/order-statistics
 * Quantiles of replicate values without sorting them. A percentile interval needs two
 * quantiles, four order statistics, of ~1,000 bootstrap replicates; an evaluation reads
 * them for every metric of every slice, and sorting each replicate array was the largest
 * single cost of the intervals after the resampling itself. Quickselect finds an order
 * statistic in linear time and gives exactly the value sorting would put at that index,
 * so the quantiles are the same numbers (test/unit/order-statistics.test.ts checks them
 * against a sort).
 */

/** Below this many elements a range is finished by insertion sort. */
const SMALL = 16;

/**
 * The k-th smallest (0-based) of `a`, rearranging `a` (quickselect, Hoare partition, median-of-three
 * pivot). `a` must hold no NaN. Calls on the same array may follow each other: each works on
 * whatever order the last one left.
 */
export function selectInPlace(a: Float64Array, k: number): number {
  if (!(k >= 0 && k < a.length)) throw new RangeError(`order statistic ${k} of ${a.length} values`);
  let lo = 0;
  let hi = a.length - 1;
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
 * The quantile q of `values` with linear interpolation between order statistics (NumPy's
 * default), rearranging `values`: the same arithmetic on the same two order statistics as
 * reading a sorted copy.
 */
export function quantileInPlace(values: Float64Array, q: number): number {
  const h = (values.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, values.length - 1);
  const a = selectInPlace(values, lo);
  // After selecting lo, every element above index lo is ≥ a: the next order statistic is their least.
  let b = a;
  if (hi > lo) {
    b = values[hi]!;
    for (let i = hi + 1; i < values.length; i++) if (values[i]! < b) b = values[i]!;
  }
  return a + (h - lo) * (b - a);
}
