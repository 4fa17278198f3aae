/**
 * @module wasm-core/errors
 * Status codes returned by kernel exports (0 = success). The TypeScript wrapper maps them to
 * the RangeError the Kernels contract requires.
 */

/** A group code ≥ groupCount was found; partial results must be discarded. */
export const ERR_GROUP_RANGE: i32 = -1;
