/**
 * @module engine/sources/parquet-wasm
 * The page kernels (parquet-hybrid PageKernels) backed by kernels.wasm's parquet* exports
 * (wasm-core/assembly/parquet.ts): same results and ColumnarFileError messages as the
 * TypeScript reference, without the cold start. A `fairgate check` decodes a file once, and
 * V8 ran the TypeScript loops unoptimised (interpreted, then baseline code) for much of a
 * 10 M-row file while it tiered them up; Wasm is compiled before it runs.
 *
 * Only numbers cross the boundary. This wrapper owns its own instances (never the metric
 * kernels', so the two memory layouts cannot collide), copies the encoded bytes in, calls the
 * export and checks the status. Page buffers (pageBytes) are regions of the instance's
 * memory, decoded into in place; any other output array gets the values copied out. Cases
 * the Wasm code does not cover (widths above 24, an `end` past the buffer, outputs shorter
 * than `count`) go to the reference.
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

/**
 * One instance and its layout: [info: 64 bytes][input area][regions]. Its memory is grown
 * once, when it is opened, and never again: regions handed out as views (a column's page
 * values, which the batches read in place) stay valid until their column's next page, so
 * when more room is needed a new instance is opened instead and the old one is left to the
 * garbage collector with the views still using it.
 */
interface Heap {
  wasm: ParquetExports;
  info: number;
  input: number;
  inCap: number;
  regionCap: number;
  top: number;
  limit: number;
}

/** Page kernels on instances of `module` (kernels.wasm); throws when it lacks the parquet exports. */
export function createWasmPageKernels(module: WebAssembly.Module): PageKernels {
  const reference = createReferencePageKernels();
  const open = (inCap: number, regionCap: number): Heap => {
    const wasm = parquetExports(new WebAssembly.Instance(module, {}).exports);
    const info = align64(wasm.heapBase());
    const input = info + 64;
    const top = align64(input + inCap + PAD);
    const limit = top + regionCap;
    const have = wasm.memory.buffer.byteLength;
    if (limit + PAD > have) wasm.memory.grow(Math.ceil((limit + PAD - have) / PAGE));
    return { wasm, info, input, inCap, regionCap, top, limit };
  };
  let heap = open(1 << 20, 4 << 20);
  /** Each page scratch's region (and TEMP's, for outputs that are not in the heap). */
  const regions = new WeakMap<object, { heap: Heap; ptr: number; cap: number }>();
  const TEMP = {};

  /** `bytes` bytes for `key` in the current heap (its old region when big enough), or -1 when they do not fit. */
  const region = (key: object, bytes: number): number => {
    const r = regions.get(key);
    if (r && r.heap === heap && r.cap >= bytes) return r.ptr;
    if (heap.top + bytes + PAD > heap.limit) return -1;
    const ptr = heap.top;
    heap.top = align64(heap.top + bytes + PAD);
    regions.set(key, { heap, ptr, cap: bytes });
    return ptr;
  };

  /**
   * Copies buf[pos, pos + length) to the input area (PAD zeros after) and picks where
   * `outBytes` of output go: `out` itself when it is a view of this heap, else TEMP's region.
   * Opens a bigger heap when either does not fit. Returns [output pointer, whether it is out].
   */
  const place = (buf: Uint8Array, pos: number, length: number, out: CodeArray, outBytes: number): [number, boolean] => {
    for (;;) {
      const direct = out.buffer === heap.wasm.memory.buffer;
      const outPtr = direct ? out.byteOffset : region(TEMP, outBytes);
      if (length + PAD <= heap.inCap && outPtr !== -1) {
        const bytes = new Uint8Array(heap.wasm.memory.buffer);
        bytes.set(buf.subarray(pos, pos + length), heap.input);
        bytes.fill(0, heap.input + length, heap.input + length + PAD);
        return [outPtr, direct];
      }
      heap = open(Math.max(heap.inCap, 2 * length), Math.max(heap.regionCap, 2 * outBytes));
    }
  };

  /** Decodes into Wasm memory; returns [output pointer, decoded in place, position after the last run, largest value]. */
  const hybrid = (buf: Uint8Array, pos: number, end: number, width: number, out: CodeArray, count: number): [number, boolean, number, number] => {
    const length = Math.max(0, Math.min(buf.length, end + TAIL) - pos);
    const [outPtr, direct] = place(buf, pos, length, out, count * out.BYTES_PER_ELEMENT);
    const { wasm, input, info } = heap;
    const r = wasm.parquetHybrid(input, input + (end - pos), width, outPtr, out.BYTES_PER_ELEMENT, count, info);
    if (r < 0) throw new ColumnarFileError(MESSAGES[r] ?? `corrupt page (status ${r})`);
    return [outPtr, direct, pos + (r - input), new Uint32Array(wasm.memory.buffer, info, 1)[0]!];
  };

  /** The reference covers what the Wasm code does not (rare or corrupt cases), so both behave alike. */
  const covered = (buf: Uint8Array, pos: number, end: number, width: number, out: CodeArray, count: number): boolean =>
    Number.isInteger(width) && width >= 0 && width <= 24 && pos >= 0 && end <= buf.length && count >= 0 && count <= out.length;

  return {
    kind: "wasm",
    readHybrid(buf, pos, end, width, out, count) {
      if (!covered(buf, pos, end, width, out, count)) return reference.readHybrid(buf, pos, end, width, out, count);
      const [outPtr, direct, after] = hybrid(buf, pos, end, width, out, count);
      if (!direct) out.set(viewLike(out, heap.wasm.memory.buffer, outPtr, count));
      return after;
    },
    dictionaryIndices(buf, pos, end, width, out, count, size) {
      if (width === 0 || !covered(buf, pos, end, width, out, count)) return reference.dictionaryIndices(buf, pos, end, width, out, count, size);
      const [outPtr, direct, , largest] = hybrid(buf, pos, end, width, out, count);
      const values = direct ? out : viewLike(out, heap.wasm.memory.buffer, outPtr, count);
      // The decoder returned the largest index; only a bad page is searched for the first bad one.
      if (count > 0 && largest >= size) throw badIndex(values[heap.wasm.parquetFirstAtLeast(outPtr, count, out.BYTES_PER_ELEMENT, Math.min(size, 0xffffffff) >>> 0)]!, size);
      if (!direct) out.set(values);
    },
    unpackBooleans(buf, pos, n, out) {
      const bytes = (n + 7) >> 3;
      if (pos < 0 || pos + bytes > buf.length || n > out.length) return reference.unpackBooleans(buf, pos, n, out);
      const [outPtr, direct] = place(buf, pos, bytes, out, n);
      heap.wasm.parquetBits(heap.input, outPtr, n);
      if (!direct) out.set(new Uint8Array(heap.wasm.memory.buffer, outPtr, n));
    },
    pageBytes(scratch, n) {
      // A region of the current heap: decoding writes there and the batches read it, no copy.
      let ptr = region(scratch, n);
      if (ptr === -1) {
        heap = open(heap.inCap, Math.max(heap.regionCap, 2 * n));
        ptr = region(scratch, n);
      }
      return new Uint8Array(heap.wasm.memory.buffer, ptr, n);
    },
  };
}
