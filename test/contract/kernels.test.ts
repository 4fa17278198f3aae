/**
 * @module test/contract/kernels.test
 * Runs the shared Kernels contract against both implementations.
 * The Wasm suite needs wasm-core/build/kernels.wasm (`npm run build:wasm`).
 */

import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { loadWasmKernelsFromFile } from "../../worker/engine/kernels/wasm-node.js";
import { describeKernelsContract } from "./kernels.case.js";

describeKernelsContract("reference", async () => createReferenceKernels());
describeKernelsContract("wasm", () => loadWasmKernelsFromFile());
