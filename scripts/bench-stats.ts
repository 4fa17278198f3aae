/**
 * @module scripts/bench-stats
 * The median the gate, publish and what-if benches report: the upper middle value of a
 * non-empty list (for an even count, the larger of the two middle ones), so each figure is
 * a time that was actually measured.
 */

/** The upper median of `xs` (non-empty). */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
