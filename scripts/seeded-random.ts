/**
 * @module scripts/seeded-random
 * A small seeded PRNG (mulberry32) and a stateless integer hash for benches and test
 * fixtures, so generated data and simulation trials are reproducible. Not for anything
 * the gate computes: the bootstrap has its own counter-based generator shared with the
 * Wasm core.
 */

/** Returns a generator of uniform numbers in [0, 1) for `seed`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A cheap integer hash of (j, salt) to a u32: stateless, so the same j always gives the
 * same synthetic trace (bench:gate, bench:recheck generate their traffic from it).
 */
export function mixHash(j: number, salt: number): number {
  let h = Math.imul(j ^ salt, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  h ^= h >>> 13;
  return h >>> 0;
}
