/**
 * @module engine/kernels/wasm
 * Kernels backed by the AssemblyScript module in wasm-core (runtime stub, SIMD).
 *
 * Only numbers cross the boundary: this wrapper owns the linear-memory layout, grows the
 * exported memory when a call needs more room, copies input columns in (in bounded chunks so
 * memory stays small and the kernel reads from cache), calls the export and copies results
 * out. It imports nothing from node:*, so it runs unchanged on Node, Deno and Cloudflare
 * Workers (where the .wasm is imported as a WebAssembly.Module); see wasm-node.ts for loading
 * from disk.
 */

import { CONFUSION_FIELDS, type Kernels, type TraceColumns } from "./types.js";
import {
  checkBootstrap,
  checkColumns,
  checkGroupCount,
  checkHistogram,
  checkInto,
  groupRangeError,
} from "./validate.js";

/** ABI version this wrapper was written against (wasm-core/assembly/index.ts abiVersion). */
const ABI_VERSION = 1;
const PAGE = 65536;
/** Rows copied per kernel call: 64 Ki rows × 4 B = 256 KiB of columns, sized for L2. */
const CHUNK_ROWS = 65536;
/** Bootstrap output entries per kernel call (4 MiB). */
const BOOTSTRAP_CHUNK = 1 << 20;
/** u32 attribute cells per group used by the scalar strategy (see foldCells in wasm-core). */
const ATTRIBUTE_CELLS = 8;

/** The raw exports of kernels.wasm; pointers and lengths are byte offsets and counts. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  abiVersion(): number;
  heapBase(): number;
  confusion(gp: number, sp: number, op: number, len: number, groupCount: number, counts: number, cells: number): number;
  foldCells(cells: number, groupCount: number, counts: number): void;
  histogram(gp: number, scp: number, op: number, len: number, groupCount: number, bins: number, count: number, positives: number): number;
  bootstrap(cells: number, cellCount: number, repStart: number, repCount: number, seed: number, out: number): void;
}

/** Checks that an instance has every export at the expected ABI version; returns them typed. */
export function kernelExports(exports: WebAssembly.Exports): KernelExports {
  const names = ["abiVersion", "heapBase", "confusion", "foldCells", "histogram", "bootstrap"];
  for (const name of names) {
    if (typeof exports[name] !== "function") throw new Error(`kernels.wasm is missing export ${name}`);
  }
  if (!(exports.memory instanceof WebAssembly.Memory)) throw new Error("kernels.wasm does not export its memory");
  const typed = exports as unknown as KernelExports;
  const abi = typed.abiVersion();
  if (abi !== ABI_VERSION) throw new Error(`kernels.wasm ABI ${abi}, wrapper expects ${ABI_VERSION}`);
  return typed;
}

const align64 = (n: number): number => Math.ceil(n / 64) * 64;

/**
 * Scratch-region manager for one instance. Offsets are relative to the heap base; views are
 * always built from the current memory.buffer because memory.grow detaches the old one.
 */
function createArena(wasm: KernelExports) {
  const base = wasm.heapBase();
  return {
    /** Ensures `bytes` bytes are available from the heap base; returns the base pointer. */
    reserve(bytes: number): number {
      const need = base + bytes;
      const have = wasm.memory.buffer.byteLength;
      if (need > have) wasm.memory.grow(Math.ceil((need - have) / PAGE));
      return base;
    },
    u8: (ptr: number, len: number) => new Uint8Array(wasm.memory.buffer, ptr, len),
    u16: (ptr: number, len: number) => new Uint16Array(wasm.memory.buffer, ptr, len),
    u32: (ptr: number, len: number) => new Uint32Array(wasm.memory.buffer, ptr, len),
    f32: (ptr: number, len: number) => new Float32Array(wasm.memory.buffer, ptr, len),
  };
}

/** Wraps an instantiated kernels module. Exposed for tests; most callers want createWasmKernels. */
export function wrapWasmInstance(instance: WebAssembly.Instance): Kernels {
  const wasm = kernelExports(instance.exports);
  const arena = createArena(wasm);

  function confusion(columns: TraceColumns, groupCount: number, into?: Uint32Array): Uint32Array {
    const n = checkColumns(columns);
    checkGroupCount(groupCount);
    checkInto(into, groupCount);
    const fields = groupCount * CONFUSION_FIELDS;
    const chunk = Math.min(n, CHUNK_ROWS);
    // Layout: counts | cells | group (u16) | selected | outcome, each 64-byte aligned.
    const countsOff = 0;
    const cellsOff = align64(fields * 4);
    const groupOff = cellsOff + align64(groupCount * ATTRIBUTE_CELLS * 4);
    const selOff = groupOff + align64(chunk * 2);
    const outOff = selOff + align64(chunk);
    const base = arena.reserve(outOff + align64(chunk));
    arena.u32(base, (groupOff - countsOff) / 4).fill(0);
    for (let start = 0; start < n; start += chunk) {
      const len = Math.min(chunk, n - start);
      arena.u16(base + groupOff, len).set(columns.group.subarray(start, start + len));
      arena.u8(base + selOff, len).set(columns.selected.subarray(start, start + len));
      arena.u8(base + outOff, len).set(columns.outcome.subarray(start, start + len));
      const rc = wasm.confusion(base + groupOff, base + selOff, base + outOff, len, groupCount, base + countsOff, base + cellsOff);
      if (rc !== 0) throw groupRangeError(groupCount);
    }
    wasm.foldCells(base + cellsOff, groupCount, base + countsOff);
    const counts = arena.u32(base + countsOff, fields);
    if (into === undefined) return counts.slice();
    // Uint32Array stores wrap modulo 2^32, like the kernel's own u32 counters.
    for (let k = 0; k < fields; k++) into[k] = into[k]! + counts[k]!;
    return into;
  }

  function histogram(
    group: Uint16Array,
    score: Float32Array,
    outcome: Uint8Array,
    groupCount: number,
    bins: number,
  ): { count: Uint32Array; positives: Uint32Array } {
    const n = checkHistogram(group, score, outcome, groupCount, bins);
    const cells = groupCount * bins;
    const chunk = Math.min(n, CHUNK_ROWS);
    // Layout: count | positives | group (u16) | score (f32) | outcome.
    const posOff = align64(cells * 4);
    const groupOff = posOff + align64(cells * 4);
    const scoreOff = groupOff + align64(chunk * 2);
    const outOff = scoreOff + align64(chunk * 4);
    const base = arena.reserve(outOff + align64(chunk));
    arena.u32(base, groupOff / 4).fill(0);
    for (let start = 0; start < n; start += chunk) {
      const len = Math.min(chunk, n - start);
      arena.u16(base + groupOff, len).set(group.subarray(start, start + len));
      arena.f32(base + scoreOff, len).set(score.subarray(start, start + len));
      arena.u8(base + outOff, len).set(outcome.subarray(start, start + len));
      const rc = wasm.histogram(base + groupOff, base + scoreOff, base + outOff, len, groupCount, bins, base, base + posOff);
      if (rc !== 0) throw groupRangeError(groupCount);
    }
    return { count: arena.u32(base, cells).slice(), positives: arena.u32(base + posOff, cells).slice() };
  }

  function bootstrap(cells: Uint32Array, replicates: number, seed: number): Uint32Array {
    checkBootstrap(cells, replicates, seed);
    const width = cells.length;
    const result = new Uint32Array(replicates * width);
    if (result.length === 0) return result;
    const perCall = Math.max(1, Math.floor(BOOTSTRAP_CHUNK / width));
    const reps = Math.min(perCall, replicates);
    const outOff = align64(width * 4);
    const base = arena.reserve(outOff + reps * width * 4);
    arena.u32(base, width).set(cells);
    for (let r = 0; r < replicates; r += reps) {
      const count = Math.min(reps, replicates - r);
      wasm.bootstrap(base, width, r, count, seed, base + outOff);
      result.set(arena.u32(base + outOff, count * width), r * width);
    }
    return result;
  }

  return { name: "wasm", confusion, histogram, bootstrap };
}

/**
 * Instantiates the kernels from a compiled module (on Workers: the imported .wasm; on Node:
 * see loadWasmKernelsFromFile). Each call gets its own instance and linear memory, so
 * instances can be used from different isolates/workers independently. Calls on one
 * instance must not interleave (they are synchronous, so within one thread they cannot).
 */
export async function createWasmKernels(module: WebAssembly.Module): Promise<Kernels> {
  const instance = await WebAssembly.instantiate(module, {});
  return wrapWasmInstance(instance);
}
