/**
 * @module scripts/bench-kernels
 * Benchmarks the metric kernels and prints ONE JSON object on stdout.
 *
 *   npx tsx scripts/bench-kernels.ts [--rows N] [--groups G] [--input-dir DIR] [--runs R]
 *
 * Confusion counts are timed three ways (medians after warm-up):
 *  - wasmRowsPerSec: end to end through the wrapper (copy into linear memory included),
 *  - wasmKernelOnlyRowsPerSec: the export alone on columns already in linear memory,
 *  - referenceRowsPerSec: the plain TypeScript kernels;
 * plus ms.copyOnly, the wrapper's chunked copy alone (the floor under the end-to-end time).
 * Bootstrap: 1,000 replicates of the cell table of the first 1M rows (the gate's window).
 *
 * --input-dir reads raw one-byte-per-row columns group.u8, label.u8 (outcome 0/1) and
 * decision.u8 (selected 0/1), so other tools can be timed on identical data. Without it,
 * seeded random data is generated (uniform groups, 50 % selected, 30 % positive labels).
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createReferenceKernels } from "../worker/engine/kernels/reference.js";
import { CELLS_PER_GROUP, CONFUSION_FIELDS, type Kernels, type TraceColumns } from "../worker/engine/kernels/types.js";
import { type KernelExports, kernelExports, wrapWasmInstance } from "../worker/engine/kernels/wasm.js";
import { DEFAULT_WASM_URL } from "../worker/engine/kernels/wasm-node.js";

const WINDOW_ROWS = 1_000_000;
const REPLICATES = 1_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median wall time (ms) of `runs` calls after `warmup` untimed calls. */
function time(fn: () => void, runs: number, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

function generate(rows: number, groups: number, seed: number): TraceColumns {
  const group = new Uint16Array(rows);
  const selected = new Uint8Array(rows);
  const outcome = new Uint8Array(rows);
  let x = seed >>> 0;
  for (let i = 0; i < rows; i++) {
    // xorshift32: fast, seeded and good enough to defeat branch prediction in the reference.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    group[i] = (x >>> 8) % groups;
    selected[i] = x & 1;
    outcome[i] = (x >>> 1) % 10 < 3 ? 1 : 0;
  }
  return { group, selected, outcome };
}

async function readInputDir(dir: string, maxRows: number | undefined): Promise<TraceColumns> {
  const [g, label, decision] = await Promise.all(
    ["group.u8", "label.u8", "decision.u8"].map((f) => readFile(join(dir, f))),
  );
  const rows = Math.min(g!.length, label!.length, decision!.length, maxRows ?? Infinity);
  if (g!.length !== label!.length || g!.length !== decision!.length) {
    throw new RangeError(`column files differ in length: ${g!.length}, ${label!.length}, ${decision!.length}`);
  }
  return {
    group: Uint16Array.from(g!.subarray(0, rows)),
    selected: new Uint8Array(decision!.subarray(0, rows)),
    outcome: new Uint8Array(label!.subarray(0, rows)),
  };
}

/** Times the raw export on columns copied into linear memory once, outside the timing. */
function kernelOnlyMs(wasm: KernelExports, cols: TraceColumns, groups: number, runs: number): number {
  const n = cols.group.length;
  const base = Math.ceil(wasm.heapBase() / 64) * 64;
  const gp = base;
  const sp = gp + Math.ceil((n * 2) / 64) * 64;
  const op = sp + Math.ceil(n / 64) * 64;
  const counts = op + Math.ceil(n / 64) * 64;
  const cells = counts + groups * CONFUSION_FIELDS * 4;
  const need = cells + groups * 8 * 4;
  const have = wasm.memory.buffer.byteLength;
  if (need > have) wasm.memory.grow(Math.ceil((need - have) / 65536));
  new Uint16Array(wasm.memory.buffer, gp, n).set(cols.group);
  new Uint8Array(wasm.memory.buffer, sp, n).set(cols.selected);
  new Uint8Array(wasm.memory.buffer, op, n).set(cols.outcome);
  return time(() => {
    new Uint32Array(wasm.memory.buffer, counts, groups * 16).fill(0);
    if (wasm.confusion(gp, sp, op, n, groups, counts, cells) !== 0) throw new RangeError("group code out of range");
    wasm.foldCells(cells, groups, counts);
  }, runs);
}

/**
 * Times only the wrapper's copy step (64 Ki-row chunks into linear memory, no kernel call):
 * the part of the end-to-end time the kernel cannot remove.
 */
function copyOnlyMs(wasm: KernelExports, cols: TraceColumns, runs: number): number {
  const chunk = 65536;
  const base = Math.ceil(wasm.heapBase() / 64) * 64;
  const need = base + chunk * 4;
  const have = wasm.memory.buffer.byteLength;
  if (need > have) wasm.memory.grow(Math.ceil((need - have) / 65536));
  const n = cols.group.length;
  return time(() => {
    for (let start = 0; start < n; start += chunk) {
      const len = Math.min(chunk, n - start);
      new Uint16Array(wasm.memory.buffer, base, len).set(cols.group.subarray(start, start + len));
      new Uint8Array(wasm.memory.buffer, base + chunk * 2, len).set(cols.selected.subarray(start, start + len));
      new Uint8Array(wasm.memory.buffer, base + chunk * 3, len).set(cols.outcome.subarray(start, start + len));
    }
  }, runs);
}

/** Bootstrap cells (TP, FP, sel∧unknown, FN, TN, ¬sel∧unknown per group) from confusion counts. */
function cellsFromCounts(counts: Uint32Array, groups: number): Uint32Array {
  const cells = new Uint32Array(groups * CELLS_PER_GROUP);
  for (let g = 0; g < groups; g++) {
    const [n, sel, , , tp, fp, fn, tn] = counts.subarray(g * CONFUSION_FIELDS, (g + 1) * CONFUSION_FIELDS);
    cells.set([tp!, fp!, sel! - tp! - fp!, fn!, tn!, n! - sel! - fn! - tn!], g * CELLS_PER_GROUP);
  }
  return cells;
}

function sameCounts(a: Uint32Array, b: Uint32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string" },
      groups: { type: "string" },
      "input-dir": { type: "string" },
      runs: { type: "string", default: "9" },
      seed: { type: "string", default: "2463534242" },
    },
  });
  const runs = Number(values.runs);
  const inputDir = values["input-dir"];
  const cols = inputDir
    ? await readInputDir(inputDir, values.rows === undefined ? undefined : Number(values.rows))
    : generate(Number(values.rows ?? 10_000_000), Number(values.groups ?? 4), Number(values.seed));
  const rows = cols.group.length;
  const groups = values.groups !== undefined ? Number(values.groups) : cols.group.reduce((m, g) => Math.max(m, g), 0) + 1;

  const { instance } = await WebAssembly.instantiate(await readFile(DEFAULT_WASM_URL), {});
  const wasm: Kernels = wrapWasmInstance(instance);
  const raw = kernelExports((await WebAssembly.instantiate(await readFile(DEFAULT_WASM_URL), {})).instance.exports);
  const reference = createReferenceKernels();

  const wasmCounts = wasm.confusion(cols, groups);
  const referenceCounts = reference.confusion(cols, groups);
  const wasmMs = time(() => wasm.confusion(cols, groups), runs);
  const referenceMs = time(() => reference.confusion(cols, groups), Math.max(3, Math.ceil(runs / 2)), 1);
  const kernelMs = kernelOnlyMs(raw, cols, groups, runs);
  const copyMs = copyOnlyMs(raw, cols, runs);

  const windowRows = Math.min(rows, WINDOW_ROWS);
  const window = {
    group: cols.group.subarray(0, windowRows),
    selected: cols.selected.subarray(0, windowRows),
    outcome: cols.outcome.subarray(0, windowRows),
  };
  const cells = cellsFromCounts(wasm.confusion(window, groups), groups);
  const seed = 0x5eed;
  const bootstrapMatch = sameCounts(wasm.bootstrap(cells, REPLICATES, seed), reference.bootstrap(cells, REPLICATES, seed));
  const bootstrapMs = time(() => wasm.bootstrap(cells, REPLICATES, seed), runs);
  const bootstrapReferenceMs = time(() => reference.bootstrap(cells, REPLICATES, seed), 3, 1);

  const perSec = (ms: number) => Math.round(rows / (ms / 1000));
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  const result = {
    rows,
    groups,
    source: inputDir ? "input-dir" : "generated",
    runs,
    wasmRowsPerSec: perSec(wasmMs),
    referenceRowsPerSec: perSec(referenceMs),
    speedup: Math.round((referenceMs / wasmMs) * 100) / 100,
    wasmKernelOnlyRowsPerSec: perSec(kernelMs),
    ms: { wasm: round(wasmMs), reference: round(referenceMs), wasmKernelOnly: round(kernelMs), copyOnly: round(copyMs) },
    countsMatch: sameCounts(wasmCounts, referenceCounts),
    bootstrap: {
      replicates: REPLICATES,
      cells: cells.length,
      windowRows,
      ms: round(bootstrapMs),
      referenceMs: round(bootstrapReferenceMs),
      match: bootstrapMatch,
    },
    node: process.version,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
