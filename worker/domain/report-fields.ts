/**
 * @module domain/report-fields
 * Defensive readers for JSON of unknown shape (stored evaluations of any
 * evaluator version): each returns a typed value or null, never throws.
 */

/** A confidence interval [low, high]. */
export interface Interval {
  low: number;
  high: number;
}

/** The value as a plain object ({} for anything else). */
export function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A finite number, or null. */
export function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** A string, or null. */
export function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

/** An interval from `[lo, hi]`, `{low, high}`, `{lo, hi}` or `{lower, upper}`; null otherwise. */
export function intervalOf(v: unknown): Interval | null {
  if (Array.isArray(v) && v.length === 2 && num(v[0]) !== null && num(v[1]) !== null) return { low: v[0] as number, high: v[1] as number };
  const o = obj(v);
  const low = num(o.low) ?? num(o.lo) ?? num(o.lower);
  const high = num(o.high) ?? num(o.hi) ?? num(o.upper);
  return low !== null && high !== null ? { low, high } : null;
}
