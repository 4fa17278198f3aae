/**
 * @module scripts/cli/wasm-tiering
 * Asks V8 to optimise every Wasm function as soon as its module is compiled, instead of
 * when the function turns hot. V8's default ("dynamic tiering") runs a function's baseline
 * (Liftoff) code until it has run for a while, then compiles it with TurboFan in the
 * background and switches at its next call. A server calls its kernels for hours and loses
 * nothing by waiting; `fairgate check` reads each file once, and on a 10 M-row zstd Parquet
 * file most of zstd's, the page kernels' and the metric kernels' work ran in baseline code:
 * the cold check took ~40 ms longer than with eager tier-up (measured: 158-181 ms vs
 * 90-136 ms on a loaded 2-core machine). The baseline code still comes first, so start-up
 * is not slower; the optimised code is compiled on another thread and replaces it.
 */
import { setFlagsFromString } from "node:v8";

/**
 * Process-wide and read when a module is compiled, so it applies to the modules compiled
 * after the call (the CLI calls it before loading any). Idempotent.
 */
export function tierUpWasmEagerly(): void {
  setFlagsFromString("--no-wasm-dynamic-tiering");
}
