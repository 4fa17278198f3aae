/**
 * @module wasm-core
 * Fairgate metric kernels compiled to Wasm (runtime stub, SIMD, -O3).
 *
 * Boundary rule (as in ChainSafe's as-sha256): only numbers cross. Every export takes
 * pointers and lengths into the exported linear memory; the TypeScript wrapper
 * (worker/engine/kernels/wasm.ts) owns the layout, grows memory and copies columns in and
 * results out. Nothing here allocates, so memory never grows during a call.
 */
export { confusion, foldCells } from "./confusion";
export { histogram } from "./histogram";
export { bootstrap } from "./bootstrap";
export { log, exp, logFactorial } from "./portable-math";
export { parquetHybrid, parquetBits, parquetFirstAtLeast } from "./parquet";
export { csvParse, csvRehash } from "./csv";

/** ABI version, bumped whenever an export's signature or memory contract changes. */
export function abiVersion(): i32 {
  return 1;
}

/** First byte the wrapper may use: static data ends here (aligned to 64 bytes). */
export function heapBase(): usize {
  return (__heap_base + 63) & ~<usize>63;
}
