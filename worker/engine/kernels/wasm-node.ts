/**
 * @module engine/kernels/wasm-node
 * Node-only loader for the Wasm kernels: reads wasm-core/build/kernels.wasm from disk,
 * compiles it and wraps it. Kept apart from wasm.ts so that file stays free of node:*
 * imports and runs unchanged on Workers and Deno.
 */

import { readFile } from "node:fs/promises";
import type { Kernels } from "./types.js";
import { createWasmKernels } from "./wasm.js";

/** Where `npm run build:wasm` writes the module, resolved relative to this source file. */
export const DEFAULT_WASM_URL = new URL("../../../wasm-core/build/kernels.wasm", import.meta.url);

/**
 * Loads the Wasm kernels from `path` (default: the repository's build output).
 * Throws with a hint to run the build when the file is missing.
 */
export async function loadWasmKernelsFromFile(path: string | URL = DEFAULT_WASM_URL): Promise<Kernels> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new Error(`Wasm kernels not found at ${String(path)}; run \`npm run build:wasm\``, { cause: err });
    }
    throw err;
  }
  const module = await WebAssembly.compile(bytes);
  return createWasmKernels(module);
}
