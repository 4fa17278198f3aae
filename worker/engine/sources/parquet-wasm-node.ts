/**
 * @module engine/sources/parquet-wasm-node
 * Node-only loader of the Parquet page kernels: compiles kernels.wasm from where the metric
 * kernels' loader finds it (wasm-node.ts DEFAULT_WASM_URL, which the packaged CLI rewrites)
 * and wraps it with parquet-wasm. Kept apart so the reader itself imports no node:*.
 */
import { readFileSync } from "node:fs";
import { DEFAULT_WASM_URL } from "../kernels/wasm-node.js";
import { createReferencePageKernels, type PageKernels } from "./parquet-hybrid.js";
import { createWasmPageKernels } from "./parquet-wasm.js";

/**
 * The Wasm page kernels, or the TypeScript reference when kernels.wasm is missing or predates
 * the parquet exports: the results are the same either way, only slower, so reading a file
 * never fails for want of the build (`--kernels reference` must work without it).
 */
export async function loadPageKernels(path: string | URL = DEFAULT_WASM_URL): Promise<PageKernels> {
  try {
    // Synchronous on purpose: the file is small and, in the CLI, already compiled once for
    // the metric kernels (V8 reuses the compiled module for the same bytes), while the
    // thread-pool read and background compile of the async calls left ~2-4 ms idle.
    return createWasmPageKernels(new WebAssembly.Module(readFileSync(path)));
  } catch {
    return createReferencePageKernels();
  }
}
