/**
 * @module engine/sources/csv-wasm-node
 * Node-only loading of the module the Wasm CSV reader (csv-wasm.ts) instantiates: the
 * same kernels.wasm as the metric kernels (engine/kernels/wasm-node names where it lies,
 * in the repository and in the packaged CLI), compiled separately so the reader gets an
 * instance of its own.
 */
import { readFile } from "node:fs/promises";
import { DEFAULT_WASM_URL } from "../kernels/wasm-node.js";

/**
 * kernels.wasm compiled, or null when it cannot be read or compiled: the caller then reads
 * CSV with the TypeScript reader, which gives the same batches (a missing Wasm file is the
 * metric kernels' error to report, under --kernels wasm).
 */
export async function loadCsvWasmModule(path: string | URL = DEFAULT_WASM_URL): Promise<WebAssembly.Module | null> {
  try {
    return await WebAssembly.compile(await readFile(path));
  } catch {
    return null;
  }
}
