/**
 * @module engine/sources/csv-wasm-memory
 * The linear-memory side of the Wasm CSV reader (csv-wasm.ts): its own instance of
 * kernels.wasm (never the metric kernels' instance, so the two layouts cannot collide), a
 * bump allocator over that instance's memory, and the control-block and descriptor offsets
 * shared with wasm-core/assembly/csv.ts. Regions that must grow are allocated afresh and
 * the old ones abandoned: the instance lives for one file, and geometric growth bounds the
 * waste to the final size. Views are rebuilt whenever memory.grow detached the buffer.
 */

/** The exports the reader needs (checked by name; abiVersion stays 1 and is not bumped for them). */
export interface CsvWasmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  csvParse(ctl: number): number;
  csvRehash(descriptor: number, table: number, mask: number): void;
}

/** Control block word offsets (bytes), as in wasm-core/assembly/csv.ts. */
export const C = {
  P: 0,
  TO: 4,
  LAST: 8,
  LINE: 12,
  LEN: 16,
  BATCH: 20,
  PENDING_CR: 24,
  MODE: 28,
  NACTIONS: 32,
  ACTIONS: 36,
  LAST_NEEDED: 40,
  COLUMNS: 44,
  LINES: 48,
  ARENA: 52,
  ARENA_USED: 56,
  FALLBACKS: 60,
  FALLBACK_COUNT: 64,
  FALLBACK_LIMIT: 68,
  SERVICE: 72,
  ERROR: 76,
  ERROR_LINE: 80,
  ERROR_FIELD: 84,
  RECORD_START: 88,
  RECORD_LINE: 92,
  JSON: 96,
  JSON_USED: 100,
  JSON_CAP: 104,
  SIZE: 128,
} as const;

/**
 * Column descriptor word offsets (bytes). CODES has bit 0 set once the column is u32-coded;
 * numeric columns keep the values' address in TABLE and the valid flags' in MASK.
 */
export const D = { TABLE: 0, MASK: 4, COUNT: 8, LIMIT: 12, ENTRIES: 16, CODES: 20, SIZE: 32 } as const;

export const STATUS = { DONE: 0, FULL: 1, SERVICE: 2, HEADER: 3, ERROR: 4 } as const;
export const ERR = { UNTERMINATED: 1, AFTER_QUOTE: 2, QUOTE_IN_FIELD: 3, SHORT_ROW: 4 } as const;

/** Bytes of one numeric fallback entry (row, column, start, end, line). */
export const FALLBACK_BYTES = 20;
/** Readable bytes the scanner may touch past the end of the input (one 64-byte block). */
export const PADDING = 64;

const PAGE = 65536;

/** Instantiates `module` and checks it has the CSV exports; null when it has not (an older build). */
export function instantiateCsvWasm(module: WebAssembly.Module): CsvWasmExports | null {
  const exports = new WebAssembly.Instance(module, {}).exports;
  for (const name of ["heapBase", "csvParse", "csvRehash"]) if (typeof exports[name] !== "function") return null;
  if (!(exports.memory instanceof WebAssembly.Memory)) return null;
  return exports as unknown as CsvWasmExports;
}

/** Bump allocation over the instance's memory, with views that survive memory.grow. */
export function createWasmHeap(wasm: CsvWasmExports) {
  let top = (wasm.heapBase() + 63) & ~63;
  let buffer = wasm.memory.buffer;
  let u8 = new Uint8Array(buffer);
  let u32 = new Uint32Array(buffer);
  let i32 = new Int32Array(buffer);
  const fresh = () => {
    if (buffer !== wasm.memory.buffer) {
      buffer = wasm.memory.buffer;
      u8 = new Uint8Array(buffer);
      u32 = new Uint32Array(buffer);
      i32 = new Int32Array(buffer);
    }
  };
  return {
    /** A 64-byte-aligned region of `bytes` (plus padding), growing memory when needed; never reused, so still zero. */
    alloc(bytes: number): number {
      const at = top;
      top = (top + bytes + PADDING + 63) & ~63;
      if (top > 0xffff_0000) throw new RangeError("CSV reader: more than 4 GiB of Wasm memory");
      const have = wasm.memory.buffer.byteLength;
      if (top > have) wasm.memory.grow(Math.ceil((top - have) / PAGE));
      fresh();
      return at;
    },
    get u8() {
      fresh();
      return u8;
    },
    get u32() {
      fresh();
      return u32;
    },
    get i32() {
      fresh();
      return i32;
    },
    get buffer() {
      fresh();
      return buffer;
    },
  };
}

export type WasmHeap = ReturnType<typeof createWasmHeap>;
