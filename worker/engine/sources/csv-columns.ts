/**
 * @module engine/sources/csv-columns
 * CSV straight from bytes into column batches: the same RFC 4180 rules and messages as
 * the text parser in csv.ts (quoted fields, doubled quotes, newlines inside quotes, CRLF,
 * blank lines skipped, line numbers for errors), without a string per field. Requested
 * text columns are dictionary-encoded on the fly by their bytes (a hash table over the
 * raw field, a string only for a value never seen before); numeric columns are parsed
 * from digits (exactly as Number() would for up to 15 significant digits, Number() itself
 * beyond). Everything else in a row is only scanned.
 */
import { type Cell, type ColumnBatch } from "./columns.js";
import { CsvError } from "./csv.js";

export interface CsvColumnsOptions {
  /** Header names to extract, in batch order. */
  columns: string[];
  /** Indices (into `columns`) parsed as numbers; the others are dictionary-encoded text. */
  numeric: ReadonlySet<number>;
  onBatch(batch: ColumnBatch): void;
  /** A numeric cell that is not a number: the caller raises its own error (file, line, column). */
  onBadNumber(line: number, column: number, text: string): never;
  onNote?(note: string): void;
  batchRows?: number;
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;
/** Longest record carried over between chunks (a file without newlines is not CSV we can stream). */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** A growing dictionary of byte strings: open addressing over FNV-1a hashes. */
function createByteDictionary() {
  const cells: Cell[] = [];
  let arena = new Uint8Array(1 << 12);
  let used = 0;
  let starts = new Uint32Array(64);
  let lengths = new Uint32Array(64);
  let slots = new Int32Array(128).fill(-1);
  let hashes = new Uint32Array(128);
  // Fields of at most 4 bytes (labels, 0/1, true, most group codes) are compared as one
  // number — length × 2^32 + the bytes — instead of byte by byte.
  let shortKeys = new Float64Array(128).fill(-1);
  const decoder = new TextDecoder();
  const rehash = () => {
    const size = slots.length * 2;
    const s2 = new Int32Array(size).fill(-1);
    const h2 = new Uint32Array(size);
    const k2 = new Float64Array(size).fill(-1);
    for (let i = 0; i < slots.length; i++) {
      const e = slots[i]!;
      if (e === -1) continue;
      let j = hashes[i]! & (size - 1);
      while (s2[j] !== -1) j = (j + 1) & (size - 1);
      s2[j] = e;
      h2[j] = hashes[i]!;
      k2[j] = shortKeys[i]!;
    }
    slots = s2;
    hashes = h2;
    shortKeys = k2;
  };
  return {
    cells,
    /** The code of bytes buf[s..e), adding them on first sight. */
    code(buf: Uint8Array, s: number, e: number): number {
      const len = e - s;
      let h: number;
      let key = -1;
      if (len <= 4) {
        let packed = 0;
        for (let i = s; i < e; i++) packed = (packed << 8) | buf[i]!;
        key = len * 4294967296 + (packed >>> 0);
        h = Math.imul(packed ^ (len << 29), 0x9e3779b1) >>> 0;
        const mask = slots.length - 1;
        for (let j = h & mask; ; j = (j + 1) & mask) {
          const entry = slots[j]!;
          if (entry === -1) break;
          if (shortKeys[j] === key) return entry;
        }
      } else {
        h = 0x811c9dc5;
        for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
        h >>>= 0;
      }
      const mask = slots.length - 1;
      let j = h & mask;
      for (;;) {
        const entry = slots[j]!;
        if (entry === -1) break;
        if (key === -1 && hashes[j] === h && lengths[entry] === len) {
          const at = starts[entry]!;
          let same = true;
          for (let i = 0; i < len; i++) if (arena[at + i] !== buf[s + i]) (same = false), (i = len);
          if (same) return entry;
        }
        j = (j + 1) & mask;
      }
      const entry = cells.length;
      if (used + len > arena.length) {
        const grown = new Uint8Array(Math.max(arena.length * 2, used + len));
        grown.set(arena.subarray(0, used));
        arena = grown;
      }
      arena.set(buf.subarray(s, e), used);
      if (entry === starts.length) {
        const s2 = new Uint32Array(entry * 2);
        s2.set(starts);
        starts = s2;
        const l2 = new Uint32Array(entry * 2);
        l2.set(lengths);
        lengths = l2;
      }
      starts[entry] = used;
      lengths[entry] = len;
      used += len;
      cells.push(decoder.decode(buf.subarray(s, e)));
      slots[j] = entry;
      hashes[j] = h;
      shortKeys[j] = key;
      if (cells.length * 2 > slots.length) rehash();
      return entry;
    },
  };
}

/**
 * Each requested column's field index in the header `names` (the first occurrence wins,
 * a repeat is noted), or the unknown-column error at line `at`.
 */
export function fieldsOfHeader(names: string[], columns: string[], at: number, onNote?: (note: string) => void): number[] {
  return columns.map((c) => {
    const i = names.indexOf(c);
    if (i === -1) throw new CsvError(at, `unknown column ${JSON.stringify(c)} (available: ${names.join(", ")})`);
    const repeats = names.filter((n) => n === c).length;
    // The first occurrence wins (COMPAS repeats decile_score; the first is the recidivism score).
    if (repeats > 1) onNote?.(`column ${JSON.stringify(c)} appears ${repeats} times in the header; using the first (field ${i + 1})`);
    return i;
  });
}

/** The error for a record on `line` whose last field is `field` (0-based) when a requested column lies past it. */
export function shortRowError(line: number, field: number, headerLength: number, columns: string[], fieldOf: number[]): CsvError {
  const c = fieldOf.findIndex((f) => f > field);
  return new CsvError(line, `row has ${field + 1} fields, header has ${headerLength}; column ${JSON.stringify(columns[c])} is field ${fieldOf[c]! + 1}`);
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Digits[.digits] with an optional sign, ≤ 15 significant digits: m / 10^k is the
 * correctly rounded value, the same double Number() gives. NaN when the fast form does
 * not apply (the caller falls back to Number on the text).
 */
function parseDecimal(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  let neg = false;
  if (i < e && (buf[i] === 45 || buf[i] === 43)) neg = buf[i++] === 45;
  let m = 0;
  let digits = 0;
  let scale = 0;
  let dot = false;
  let any = false;
  for (; i < e; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) {
      any = true;
      if (m !== 0 || c !== 48) digits++;
      m = m * 10 + (c - 48);
      if (dot) scale++;
    } else if (c === 46 && !dot) dot = true;
    else return NaN;
  }
  if (!any || digits > 15 || scale > 22) return NaN;
  const v = scale === 0 ? m : m / POW10[scale]!;
  return neg ? -v : v;
}

/** Byte classes of the record scan: 1 = a byte that ends or breaks an unquoted field. */
const SPECIAL = new Uint8Array(256);
SPECIAL[COMMA] = SPECIAL[LF] = SPECIAL[CR] = SPECIAL[QUOTE] = 1;

/**
 * Creates the reader. Either `push(bytes)` per chunk, or — to reuse one buffer and copy
 * nothing — `parse(buf, length, last)`, which returns where the incomplete last record
 * starts for the caller to move to the front before reading on. `end()` once; it returns
 * the number of data rows.
 */
export function createCsvColumnReader(opts: CsvColumnsOptions) {
  const batchRows = opts.batchRows ?? 65_536;
  const k = opts.columns.length;
  const dicts = opts.columns.map((_, c) => (opts.numeric.has(c) ? null : createByteDictionary()));
  const codes = opts.columns.map((_, c) => (opts.numeric.has(c) ? null : new Uint32Array(batchRows)));
  const numbers = opts.columns.map((_, c) => (opts.numeric.has(c) ? new Float64Array(batchRows) : null));
  const valid = opts.columns.map((_, c) => (opts.numeric.has(c) ? new Uint8Array(batchRows) : null));
  const lines = new Uint32Array(batchRows);
  const decoder = new TextDecoder();
  let len = 0;
  let rows = 0;
  let firstRow = 0;
  let header: string[] | null = null;
  let slotsOfField: number[][] = []; // field index → requested columns it fills
  let firstSlot = new Int32Array(0); // field index → its first requested column, or -1
  let fieldOf: number[] = [];
  let lastNeeded = -1; // highest field index any requested column needs
  let carry: Uint8Array | null = null;
  let line = 1;
  let pendingCR = false;
  let bom = true;
  let scratch = new Uint8Array(256);

  const flush = () => {
    if (len === 0) return;
    const columns = opts.columns.map((_, c) =>
      // Every field has an entry, so every code is below the dictionary's length (`max`: the sink need not scan).
      dicts[c] ? { kind: "dict" as const, codes: codes[c]!.subarray(0, len), dict: dicts[c]!.cells, max: dicts[c]!.cells.length - 1 } : { kind: "number" as const, values: numbers[c]!.subarray(0, len), valid: valid[c]!.subarray(0, len) },
    );
    opts.onBatch({ firstRow, length: len, columns, lines: lines.subarray(0, len) });
    firstRow += len;
    len = 0;
  };

  const setHeader = (names: string[], at: number) => {
    header = names;
    slotsOfField = names.map(() => []);
    fieldOf = fieldsOfHeader(names, opts.columns, at, opts.onNote);
    fieldOf.forEach((i, slot) => slotsOfField[i]!.push(slot));
    firstSlot = Int32Array.from(slotsOfField, (sl) => (sl.length ? sl[0]! : -1));
    lastNeeded = Math.max(-1, ...fieldOf);
  };

  /** One requested column's value from bytes buf[s..e) (unescaped). */
  const store = (c: number, buf: Uint8Array, s: number, e: number, recordLine: number) => {
    const d = dicts[c];
    if (d !== null) {
      codes[c]![len] = d!.code(buf, s, e);
      return;
    }
    let v = parseDecimal(buf, s, e);
    let ok = 1;
    if (v !== v) {
      const text = decoder.decode(buf.subarray(s, e));
      const t = text.trim();
      if (t === "") ok = 0;
      else {
        v = Number(t);
        if (!Number.isFinite(v)) opts.onBadNumber(recordLine, c, text);
      }
    }
    numbers[c]![len] = ok ? v : 0;
    valid[c]![len] = ok;
  };

  /** The header record, field by field, with the same quoting rules (slow path, once). */
  const headerField = (buf: Uint8Array, s: number, e: number, into: string[]) => void into.push(decoder.decode(buf.subarray(s, e)));

  /**
   * Parses complete records of buf[from..to); returns where the first incomplete record
   * starts (to when none), so the caller can carry it into the next chunk. `last` = no
   * more input: the final record needs no newline.
   */
  function parseRecords(buf: Uint8Array, from: number, to: number, last: boolean): number {
    let p = from;
    while (p < to) {
      if (pendingCR) {
        pendingCR = false;
        if (buf[p] === LF) {
          p++;
          continue;
        }
      }
      const recordStart = p;
      const recordLine = line;
      let nl = 0; // newlines inside quoted fields of this record
      let field = 0;
      const headerFields: string[] | null = header === null ? [] : null;
      let blank = false;
      for (;;) {
        // One field.
        let s = p;
        let e: number;
        let src = buf;
        if (p < to && buf[p] === QUOTE) {
          // Quoted: find the closing quote; doubled quotes are one quote.
          let q = p + 1;
          let escaped = false;
          for (;;) {
            while (q < to && buf[q] !== QUOTE) {
              if (buf[q] === LF) nl++;
              q++;
            }
            if (q + 1 < to && buf[q + 1] === QUOTE) {
              escaped = true;
              q += 2;
              continue;
            }
            break;
          }
          if (q >= to || (q + 1 >= to && !last)) {
            if (last && q >= to) throw new CsvError(recordLine, `unterminated quoted field starting on line ${recordLine}`);
            return recordStart; // incomplete: the next chunk may hold the rest (or a second quote)
          }
          s = p + 1;
          e = q;
          p = q + 1;
          if (escaped) {
            if (scratch.length < e - s) scratch = new Uint8Array((e - s) * 2);
            let w = 0;
            for (let i = s; i < e; i++) {
              scratch[w++] = buf[i]!;
              if (buf[i] === QUOTE) i++;
            }
            src = scratch;
            s = 0;
            e = w;
          }
          if (p < to && buf[p] !== COMMA && buf[p] !== LF && buf[p] !== CR) throw new CsvError(recordLine + nl, `unexpected character after a closing quote (line ${recordLine + nl})`);
        } else {
          while (p < to && SPECIAL[buf[p]!] === 0) p++;
          if (p < to && buf[p] === QUOTE) throw new CsvError(recordLine + nl, `unexpected quote inside an unquoted field (line ${recordLine + nl})`);
          e = p;
          if (p >= to && !last) return recordStart; // incomplete
        }
        if (headerFields !== null) headerField(src, s, e, headerFields);
        else if (field < firstSlot.length && firstSlot[field]! >= 0) {
          const slots = slotsOfField[field]!;
          store(slots[0]!, src, s, e, recordLine);
          for (let i = 1; i < slots.length; i++) store(slots[i]!, src, s, e, recordLine);
        }
        if (p >= to) {
          // End of input: the last record needs no newline.
          blank = field === 0 && e - s === 0;
          break;
        }
        const c = buf[p++]!;
        if (c === COMMA) {
          field++;
          continue;
        }
        // Record end (LF or CR; a CR's LF is skipped at the next record).
        blank = field === 0 && e - s === 0; // as the text parser: one empty field, quoted or not
        if (c === CR) pendingCR = true;
        break;
      }
      line += nl + 1;
      if (blank) continue; // a blank line is no record
      if (headerFields !== null) {
        setHeader(headerFields, recordLine);
        continue;
      }
      if (field < lastNeeded) throw shortRowError(recordLine, field, header!.length, opts.columns, fieldOf);
      lines[len] = recordLine;
      rows++;
      if (++len === batchRows) flush();
    }
    return to;
  }

  /** Skips a UTF-8 BOM at the very start (spreadsheet exports add one). */
  const skipBom = (buf: Uint8Array, from: number) => {
    if (!bom) return from;
    bom = false;
    return buf[from] === 0xef && buf[from + 1] === 0xbb && buf[from + 2] === 0xbf ? from + 3 : from;
  };

  return {
    /** Parses buf[0..length); returns where the incomplete last record starts (length when none). */
    parse(buf: Uint8Array, length: number, last: boolean): number {
      const rest = parseRecords(buf, skipBom(buf, 0), length, last);
      if (length - rest > MAX_RECORD_BYTES) throw new CsvError(line, `record longer than ${MAX_RECORD_BYTES} bytes`);
      return rest;
    },
    push(chunk: Uint8Array): void {
      let buf = chunk;
      if (carry !== null) {
        buf = new Uint8Array(carry.length + chunk.length);
        buf.set(carry);
        buf.set(chunk, carry.length);
        carry = null;
      }
      // An incomplete last record is parsed again, whole, with the next chunk (lines are
      // only counted for complete records).
      const rest = this.parse(buf, buf.length, false);
      if (rest < buf.length) carry = buf.slice(rest);
    },
    end(): number {
      if (carry !== null) {
        const buf = carry;
        carry = null;
        parseRecords(buf, 0, buf.length, true);
      }
      flush();
      if (header === null) throw new CsvError(1, "empty file: no header row");
      return rows;
    },
  };
}
