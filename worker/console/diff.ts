/**
 * @module console/diff
 * A line diff of two flow definitions (pretty-printed JSON with sorted keys, so key
 * order never shows as a change): longest common subsequence over lines. Definitions
 * are small (a few hundred lines at most), so the quadratic table is fine; above
 * MAX_LINES the diff is refused rather than made slow.
 */
export type DiffLine = { kind: "same" | "add" | "del"; text: string };

const MAX_LINES = 2000;

/** JSON with object keys sorted at every level. */
export function canonicalJson(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sort) : x && typeof x === "object" ? Object.fromEntries(Object.keys(x as object).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])])) : x;
  return JSON.stringify(sort(v), null, 2);
}

/** The lines of `b` against `a`; null when either side is too long to diff. */
export function diffLines(a: string, b: string): DiffLine[] | null {
  const x = a.split("\n");
  const y = b.split("\n");
  if (x.length > MAX_LINES || y.length > MAX_LINES) return null;
  const n = x.length;
  const m = y.length;
  // lcs[i][j] = LCS length of x[i..] and y[j..]
  const lcs: Uint16Array[] = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ kind: "same", text: x[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ kind: "del", text: x[i++]! });
    else out.push({ kind: "add", text: y[j++]! });
  }
  while (i < n) out.push({ kind: "del", text: x[i++]! });
  while (j < m) out.push({ kind: "add", text: y[j++]! });
  return out;
}
