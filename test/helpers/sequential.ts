/** Shared set-up for the sequential-decision unit tests (not a test file). */

/** xorshift32: a seeded stream for the simulation (no Math.random in tests). */
export function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** The ISO timestamp of day `d` of the simulations (day 0 = 2026-01-01 UTC). */
export const day = (d: number) => new Date(Date.UTC(2026, 0, 1) + d * 86_400_000).toISOString();
