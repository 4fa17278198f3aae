/**
 * @module engine/sources/csv-wasm
 * The CSV byte path with its record scan in Wasm (wasm-core/assembly/csv.ts): the same
 * options, batches, dictionaries, notes and errors as createCsvColumnReader (csv-columns.ts,
 * the plain-TypeScript reference, checked equal by the shared tests), several times faster.
 * The file is read straight into the instance's memory (`space`/`commit`); Wasm finds the
 * records and fields, gives each requested text field a per-column dictionary code and
 * parses plain decimals. Only numbers cross: new dictionary entries are decoded here once
 * each, numbers Wasm does not parse come back as byte ranges and get the reference's rules,
 * and an error comes back as a kind and a line for this side to word exactly as the
 * reference does.
 */
import { type ColumnBatch, type DecodedColumn } from "./columns.js";
import { type CsvColumnsOptions, fieldsOfHeader, shortRowError } from "./csv-columns.js";
import { CsvError } from "./csv.js";
import { C, D, ERR, FALLBACK_BYTES, instantiateCsvWasm, STATUS, type WasmHeap, createWasmHeap } from "./csv-wasm-memory.js";

/** Longest record carried over between chunks, as in the reference. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Numeric cells Wasm hands back per call before it stops for this side to read them. */
const FALLBACK_LIMIT = 4096;
const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Dictionary table slots at first; a table doubles once more than half of them are used. */
const FIRST_SLOTS = 256;

export type CsvWasmReader = ReturnType<typeof createCsvWasmReaderOn>;

/**
 * The reader on a fresh instance of `module` (kernels.wasm); null when the module lacks the
 * CSV exports, so the caller can fall back to createCsvColumnReader.
 */
export function createCsvWasmReader(module: WebAssembly.Module, opts: CsvColumnsOptions): CsvWasmReader | null {
  const wasm = instantiateCsvWasm(module);
  return wasm ? createCsvWasmReaderOn(createWasmHeap(wasm), wasm.csvParse, wasm.csvRehash, opts) : null;
}

/** The header record's names from bytes [s, e), a record whose quoting Wasm has checked. */
function headerNames(u8: Uint8Array, s: number, e: number, decoder: TextDecoder): string[] {
  const names: string[] = [];
  for (let p = s; ; p++) {
    let q = p;
    if (u8[p] === QUOTE) {
      const bytes: number[] = [];
      for (q = p + 1; ; q++) {
        if (u8[q] === QUOTE && u8[++q] !== QUOTE) break; // a closing quote, not a doubled one
        bytes.push(u8[q]!);
      }
      names.push(decoder.decode(Uint8Array.from(bytes)));
    } else {
      while (q < e && u8[q] !== COMMA && u8[q] !== LF && u8[q] !== CR) q++;
      names.push(decoder.decode(u8.subarray(p, q)));
    }
    p = q;
    if (p >= e || u8[p] !== COMMA) return names;
  }
}

/** One Wasm column: a dictionary (text) or doubles, filling one header field. */
interface WasmColumn {
  at: number; // descriptor address
  numeric: boolean;
  /** First requested column it fills (numeric: the one a bad number is reported for). */
  slot: number;
  cells: string[];
}

function createCsvWasmReaderOn(heap: WasmHeap, parse: (ctl: number) => number, rehash: (d: number, t: number, m: number) => void, opts: CsvColumnsOptions) {
  const batchRows = opts.batchRows ?? 65_536;
  const decoder = new TextDecoder();
  const ctl = heap.alloc(C.SIZE);
  const lines = heap.alloc(batchRows * 4);
  const fallbacks = heap.alloc((FALLBACK_LIMIT + opts.columns.length) * FALLBACK_BYTES);
  const jsonCap = (FALLBACK_LIMIT + opts.columns.length) * 41; // cells of up to 40 bytes and a comma
  const json = heap.alloc(jsonCap);
  let input = heap.alloc(1 << 21);
  let inputCap = 1 << 21;
  let have = 0;
  let arena = 0;
  let arenaCap = 0;
  let header: string[] | null = null;
  let fieldOf: number[] = [];
  let wasmOf: WasmColumn[] = []; // per requested column
  let wasmColumns: WasmColumn[] = [];
  let firstRow = 0; // rows handed over so far
  let bom = true;
  const set = (off: number, v: number) => (heap.u32[(ctl + off) >> 2] = v);
  const get = (off: number) => heap.u32[(ctl + off) >> 2]!;
  set(C.LINE, 1);
  set(C.BATCH, batchRows);
  set(C.MODE, 1);
  set(C.LINES, lines);
  set(C.FALLBACKS, fallbacks);
  set(C.FALLBACK_LIMIT, FALLBACK_LIMIT);
  set(C.JSON, json);
  set(C.JSON_CAP, jsonCap);

  /** Keeps at least `free` bytes (and the padding) free in the arena, moving it when it must grow. */
  const arenaRoom = (free: number) => {
    const used = get(C.ARENA_USED);
    if (arena !== 0 && arenaCap - used >= free) return;
    const cap = Math.max(arenaCap * 2, used + free, 1 << 16);
    const next = heap.alloc(cap);
    if (used > 0) heap.u8.copyWithin(next, arena, arena + used);
    arena = next;
    arenaCap = cap;
    set(C.ARENA, arena);
  };

  /** A dictionary table of `slots` empty slots (length word 0xffffffff). */
  const newTable = (slots: number) => {
    const t = heap.alloc(slots * 16);
    heap.u8.fill(0xff, t, t + slots * 16);
    return t;
  };

  const setHeader = (names: string[], at: number) => {
    header = names;
    fieldOf = fieldsOfHeader(names, opts.columns, at, opts.onNote);
    // One Wasm column per (field, kind): a field requested twice is scanned and coded once.
    const byKey = new Map<string, WasmColumn>();
    wasmOf = opts.columns.map((_, slot) => {
      const numeric = opts.numeric.has(slot);
      const key = `${fieldOf[slot]}:${numeric}`;
      let col = byKey.get(key);
      if (!col) byKey.set(key, (col = { at: 0, numeric, slot, cells: [] }));
      return col;
    });
    wasmColumns = [...byKey.values()];
    const descriptors = heap.alloc(wasmColumns.length * D.SIZE);
    const lastNeeded = Math.max(-1, ...fieldOf);
    const actions = heap.alloc((lastNeeded + 1) * 4);
    wasmColumns.forEach((col, k) => {
      col.at = descriptors + k * D.SIZE;
      const d = col.at >> 2;
      if (col.numeric) {
        const values = heap.alloc(batchRows * 8);
        const valid = heap.alloc(batchRows);
        heap.u32[d + D.TABLE / 4] = values;
        heap.u32[d + D.MASK / 4] = valid;
      } else {
        const table = newTable(FIRST_SLOTS);
        const entries = heap.alloc((FIRST_SLOTS / 2 + 2) * 8);
        const codes = heap.alloc(batchRows * 4);
        const u32 = heap.u32;
        u32[d + D.TABLE / 4] = table;
        u32[d + D.MASK / 4] = FIRST_SLOTS - 1;
        u32[d + D.LIMIT / 4] = FIRST_SLOTS / 2;
        u32[d + D.ENTRIES / 4] = entries;
        u32[d + D.CODES / 4] = codes;
      }
    });
    wasmColumns.forEach((col, k) => {
      const at = (actions >> 2) + fieldOf[col.slot]!;
      heap.u32[at] = heap.u32[at]! | (col.numeric ? (k + 1) << 16 : k + 1);
    });
    set(C.COLUMNS, descriptors);
    set(C.ACTIONS, actions);
    set(C.NACTIONS, lastNeeded + 1);
    heap.i32[(ctl + C.LAST_NEEDED) >> 2] = lastNeeded;
    set(C.MODE, 0);
  };

  /** Decodes the dictionary entries Wasm added since the last call. */
  const newEntries = () => {
    const u32 = heap.u32;
    for (const col of wasmColumns) {
      if (col.numeric) continue;
      const d = col.at >> 2;
      const count = u32[d + D.COUNT / 4]!;
      if (col.cells.length === count) continue;
      const entries = u32[d + D.ENTRIES / 4]! >> 2;
      for (let k = col.cells.length; k < count; k++) {
        const off = arena + u32[entries + 2 * k]!;
        col.cells.push(decoder.decode(heap.u8.subarray(off, off + u32[entries + 2 * k + 1]!)));
      }
    }
  };

  /**
   * Numbers Wasm did not parse, with the reference's rules (trim, Number, finite or an
   * error), in file order. Those Wasm also copied to the JSON area are parsed in one
   * JSON.parse (a JSON number's value is Number()'s); a cell it rejects, or a non-finite
   * value, goes through the cell-by-cell rules, which word any error.
   */
  const readFallbacks = () => {
    const count = get(C.FALLBACK_COUNT);
    if (count === 0) return;
    const jsonUsed = get(C.JSON_USED);
    let parsed: unknown[] | null = null;
    if (jsonUsed > 0) {
      try {
        parsed = JSON.parse(`[${decoder.decode(heap.u8.subarray(json, json + jsonUsed - 1))}]`) as unknown[];
      } catch {
        parsed = null; // some cell is no JSON number ("007", ".5", "1e"): cell by cell
      }
    }
    let j = 0;
    const u32 = heap.u32;
    const u8 = heap.u8;
    // Each numeric column's values and valid flags, viewed once per call.
    const values = wasmColumns.map((col) => (col.numeric ? new Float64Array(heap.buffer, u32[(col.at + D.TABLE) >> 2]!, batchRows) : null));
    const valid = wasmColumns.map((col) => u32[(col.at + D.MASK) >> 2]!);
    for (let k = 0; k < count; k++) {
      const f = (fallbacks + k * FALLBACK_BYTES) >> 2;
      const row = u32[f]!;
      const c = u32[f + 1]! & 0x7fffffff;
      let v = u32[f + 1]! >>> 31 ? parsed?.[j++] : undefined;
      let ok = 1;
      if (typeof v !== "number" || !Number.isFinite(v)) {
        const text = decoder.decode(u8.subarray(u32[f + 2]!, u32[f + 3]!));
        const t = text.trim();
        v = 0;
        if (t === "") ok = 0;
        else {
          v = Number(t);
          if (!Number.isFinite(v)) opts.onBadNumber(u32[f + 4]!, wasmColumns[c]!.slot, text);
        }
      }
      values[c]![row] = ok ? (v as number) : 0;
      u8[valid[c]! + row] = ok;
    }
    set(C.FALLBACK_COUNT, 0);
    set(C.JSON_USED, 0);
  };

  /** Tables past half full double; a byte-coded column at 256 entries becomes u32-coded. */
  const service = () => {
    const u32 = heap.u32;
    const len = get(C.LEN);
    for (const col of wasmColumns) {
      if (col.numeric) continue;
      const d = col.at >> 2;
      const count = u32[d + D.COUNT / 4]!;
      if (count > u32[d + D.LIMIT / 4]!) {
        const slots = (u32[d + D.MASK / 4]! + 1) * 2;
        const table = newTable(slots);
        const entries = heap.alloc((slots / 2 + 2) * 8);
        heap.u8.copyWithin(entries, heap.u32[d + D.ENTRIES / 4]!, heap.u32[d + D.ENTRIES / 4]! + count * 8);
        rehash(col.at, table, slots - 1);
        heap.u32[d + D.ENTRIES / 4] = entries;
        heap.u32[d + D.LIMIT / 4] = slots / 2;
      }
      const codes = heap.u32[d + D.CODES / 4]!;
      if (count >= 256 && (codes & 1) === 0) {
        // Widened in place from the back: u32 i lies at or after byte i.
        const u8 = heap.u8;
        const wide = heap.u32;
        for (let i = len - 1; i >= 0; i--) wide[(codes >> 2) + i] = u8[codes + i]!;
        wide[d + D.CODES / 4] = codes | 1;
      }
    }
    set(C.SERVICE, 0);
  };

  const flush = () => {
    const len = get(C.LEN);
    if (len === 0) return;
    const buffer = heap.buffer;
    const columns = wasmOf.map((col): DecodedColumn => {
      const d = col.at >> 2;
      const u32 = heap.u32;
      if (col.numeric) return { kind: "number", values: new Float64Array(buffer, u32[d + D.TABLE / 4]!, len), valid: new Uint8Array(buffer, u32[d + D.MASK / 4]!, len) };
      const codes = u32[d + D.CODES / 4]!;
      // Every field has an entry, so every code is below the dictionary's length (`max`: the sink need not scan).
      return { kind: "dict", codes: codes & 1 ? new Uint32Array(buffer, codes - 1, len) : new Uint8Array(buffer, codes, len), dict: col.cells, max: col.cells.length - 1 };
    });
    const batch: ColumnBatch = { firstRow, length: len, columns, lines: new Uint32Array(buffer, lines, len) };
    firstRow += len;
    set(C.LEN, 0);
    opts.onBatch(batch);
  };

  /** The reference's message for an error Wasm reported. */
  const error = (): CsvError => {
    const line = get(C.ERROR_LINE);
    switch (get(C.ERROR)) {
      case ERR.UNTERMINATED:
        return new CsvError(line, `unterminated quoted field starting on line ${line}`);
      case ERR.AFTER_QUOTE:
        return new CsvError(line, `unexpected character after a closing quote (line ${line})`);
      case ERR.QUOTE_IN_FIELD:
        return new CsvError(line, `unexpected quote inside an unquoted field (line ${line})`);
      default:
        return shortRowError(line, get(C.ERROR_FIELD), header!.length, opts.columns, fieldOf);
    }
  };

  /** Parses the complete records of input[from, have); returns where the incomplete one starts. */
  const run = (from: number, last: boolean): number => {
    arenaRoom(have - from + 64);
    set(C.P, input + from);
    set(C.TO, input + have);
    set(C.LAST, last ? 1 : 0);
    for (;;) {
      const status = parse(ctl);
      newEntries();
      readFallbacks();
      if (status === STATUS.DONE) return get(C.P) - input;
      if (status === STATUS.ERROR) throw error();
      if (status === STATUS.FULL) flush();
      else if (status === STATUS.SERVICE) service();
      else if (status === STATUS.HEADER) setHeader(headerNames(heap.u8, get(C.RECORD_START), get(C.P), decoder), get(C.RECORD_LINE));
    }
  };

  return {
    /** A view of `n` free bytes after the carried-over tail, to read the next chunk into. */
    space(n: number): Uint8Array {
      if (inputCap - have < n) {
        const cap = Math.max(inputCap * 2, have + n);
        const next = heap.alloc(cap);
        heap.u8.copyWithin(next, input, input + have);
        input = next;
        inputCap = cap;
      }
      return new Uint8Array(heap.buffer, input + have, n);
    },
    /** `n` bytes were written at the last space(): parses the complete records. */
    commit(n: number): void {
      have += n;
      let from = 0;
      if (bom) {
        bom = false;
        const u8 = heap.u8;
        if (have >= 3 && u8[input] === 0xef && u8[input + 1] === 0xbb && u8[input + 2] === 0xbf) from = 3;
      }
      const rest = run(from, false);
      if (have - rest > MAX_RECORD_BYTES) throw new CsvError(get(C.LINE), `record longer than ${MAX_RECORD_BYTES} bytes`);
      heap.u8.copyWithin(input, input + rest, input + have);
      have -= rest;
    },
    push(chunk: Uint8Array): void {
      this.space(chunk.length).set(chunk);
      this.commit(chunk.length);
    },
    end(): number {
      if (have > 0) run(0, true);
      have = 0;
      flush();
      if (header === null) throw new CsvError(1, "empty file: no header row");
      return firstRow;
    },
  };
}
