/**
 * @module engine/sources/parquet-wasm
 * The page kernels (parquet-hybrid PageKernels) backed by kernels.wasm's parquet* exports
 * (wasm-core/assembly/parquet.ts): same results and ColumnarFileError messages as the
 * TypeScript reference, without the cold start. A `fairgate check` decodes a file once, and
 * V8 ran the TypeScript loops unoptimised (interpreted, then baseline code) for much of a
 * 10 M-row file while it tiered them up; Wasm is compiled before it runs.
 *
 * Only numbers cross the boundary. This wrapper owns its own instance (never the metric
 * kernels', so the two memory layouts cannot collide), copies the encoded bytes in, calls the
 * export, checks the status and copies the values out; views are re-created after every
 * grow, which detaches the old buffer. Cases the Wasm code does not cover (widths above 24,
 * an `end` past the buffer, outputs shorter than `count`) go to the reference.
 */
import { ColumnarFileError } from "./columns.js";
import { badIndex, type CodeArray, createReferencePageKernels, type PageKernels } from "./parquet-hybrid.js";

/** The parquet* exports of kernels.wasm; pointers and lengths are byte offsets and counts. */
interface ParquetExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  parquetHybrid(src: number, end: number, width: number, out: number, size: number, count: number, info: number): number;
  parquetBits(src: number, out: number, n: number): void;
  parquetFirstAtLeast(p: number, n: number, size: number, bound: number): number;
}

const PAGE = 65536;
/** Zero bytes after the copied input: the Wasm code reads whole vectors past the data. */
const PAD = 64;
/** Bytes of the buffer after `end` copied in: an RLE value (≤ 3 bytes at width 24) may lie past `end`, as the reference reads it. */
const TAIL = 4;
/** parquetHybrid's status codes (wasm-core/assembly/parquet.ts PQ_*). */
const MESSAGES: Record<number, string> = {
  [-1]: "corrupt page: encoded values end early",
  [-2]: "corrupt page: bad run header",
  [-3]: "corrupt page: bit-packed run past the end of the page",
};

const align64 = (n: number): number => Math.ceil(n / 64) * 64;

/** Checks that an instance has the parquet exports; returns them typed. */
function parquetExports(exports: WebAssembly.Exports): ParquetExports {
  for (const name of ["heapBase", "parquetHybrid", "parquetBits", "parquetFirstAtLeast"]) {
    if (typeof exports[name] !== "function") throw new Error(`kernels.wasm is missing export ${name}`);
  }
  if (!(exports.memory instanceof WebAssembly.Memory)) throw new Error("kernels.wasm does not export its memory");
  return exports as unknown as ParquetExports;
}

/** A view of `count` values of `out`'s type at `ptr`. */
function viewLike(out: CodeArray, buffer: ArrayBuffer, ptr: number, count: number): CodeArray {
  if (out instanceof Uint8Array) return new Uint8Array(buffer, ptr, count);
  if (out instanceof Uint16Array) return new Uint16Array(buffer, ptr, count);
  return new Uint32Array(buffer, ptr, count);
}

/** Page kernels on a new instance of `module` (kernels.wasm); throws when it lacks the parquet exports. */
export function createWasmPageKernels(module: WebAssembly.Module): PageKernels {
  const wasm = parquetExports(new WebAssembly.Instance(module, {}).exports);
  const reference = createReferencePageKernels();
  // Layout: [info: 64 bytes][input + PAD zeros][output], re-laid out for every call.
  const info = align64(wasm.heapBase());
  const base = info + 64;

  /** Copies buf[pos, pos + length) to `base` with PAD zeros after; reserves `outBytes` after it. Returns the output pointer. */
  const copyIn = (buf: Uint8Array, pos: number, length: number, outBytes: number): number => {
    const out = align64(base + length + PAD);
    const need = out + outBytes + PAD;
    const have = wasm.memory.buffer.byteLength;
    if (need > have) wasm.memory.grow(Math.ceil((need - have) / PAGE));
    const heap = new Uint8Array(wasm.memory.buffer);
    heap.set(buf.subarray(pos, pos + length), base);
    heap.fill(0, base + length, base + length + PAD);
    return out;
  };

  /** Decodes into Wasm memory; returns [output pointer, position after the last run, largest value]. */
  const hybrid = (buf: Uint8Array, pos: number, end: number, width: number, out: CodeArray, count: number): [number, number, number] => {
    const length = Math.max(0, Math.min(buf.length, end + TAIL) - pos);
    const outPtr = copyIn(buf, pos, length, count * out.BYTES_PER_ELEMENT);
    const r = wasm.parquetHybrid(base, base + (end - pos), width, outPtr, out.BYTES_PER_ELEMENT, count, info);
    if (r < 0) throw new ColumnarFileError(MESSAGES[r] ?? `corrupt page (status ${r})`);
    return [outPtr, pos + (r - base), new Uint32Array(wasm.memory.buffer, info, 1)[0]!];
  };

  /** The reference covers what the Wasm code does not (rare or corrupt cases), so both behave alike. */
  const covered = (buf: Uint8Array, pos: number, end: number, width: number, out: CodeArray, count: number): boolean =>
    Number.isInteger(width) && width >= 0 && width <= 24 && pos >= 0 && end <= buf.length && count >= 0 && count <= out.length;

  return {
    kind: "wasm",
    readHybrid(buf, pos, end, width, out, count) {
      if (!covered(buf, pos, end, width, out, count)) return reference.readHybrid(buf, pos, end, width, out, count);
      const [outPtr, after] = hybrid(buf, pos, end, width, out, count);
      out.set(viewLike(out, wasm.memory.buffer, outPtr, count));
      return after;
    },
    dictionaryIndices(buf, pos, end, width, out, count, size) {
      if (width === 0 || !covered(buf, pos, end, width, out, count)) return reference.dictionaryIndices(buf, pos, end, width, out, count, size);
      const [outPtr, , largest] = hybrid(buf, pos, end, width, out, count);
      const values = viewLike(out, wasm.memory.buffer, outPtr, count);
      // The decoder returned the largest index; only a bad page is searched for the first bad one.
      if (count > 0 && largest >= size) throw badIndex(values[wasm.parquetFirstAtLeast(outPtr, count, out.BYTES_PER_ELEMENT, Math.min(size, 0xffffffff) >>> 0)]!, size);
      out.set(values);
    },
    unpackBooleans(buf, pos, n, out) {
      const bytes = (n + 7) >> 3;
      if (pos < 0 || pos + bytes > buf.length || n > out.length) return reference.unpackBooleans(buf, pos, n, out);
      const outPtr = copyIn(buf, pos, bytes, n);
      wasm.parquetBits(base, outPtr, n);
      out.set(new Uint8Array(wasm.memory.buffer, outPtr, n));
    },
  };
}
