/**
 * @module wasm-core/csv
 * CSV records into column codes, for the CSV byte path's Wasm reader
 * (worker/engine/sources/csv-wasm.ts), with the rules of the TypeScript reference
 * (worker/engine/sources/csv-columns.ts): RFC 4180 quoting (doubled quotes, newlines inside
 * quotes), LF / CR / CRLF record ends, a blank line is no record, line numbers for errors.
 *
 * Structural bytes (comma, LF, CR, quote) are found 64 at a time as a bit mask (four i8x16
 * compares per 16 bytes), so a field costs one count-trailing-zeros. A requested text field
 * gets a per-column dictionary code from an open-addressing table in linear memory (fields
 * of up to 8 bytes are compared as one u64); a requested numeric field is parsed from its
 * digits exactly as the reference's parseDecimal does, and anything else is left to the
 * wrapper (a "fallback" entry naming the bytes). Only numbers cross the boundary: the
 * wrapper lays out every region, fills the control block and services the returns below.
 *
 * The call returns at a record boundary whenever the wrapper must act, so no state is
 * kept inside a record between calls:
 *  - DONE: p is where the incomplete last record starts (or `to`);
 *  - FULL: the batch holds batchRows rows;
 *  - SERVICE: a table is half full, a byte-coded column reached 256 entries, or the
 *    fallback list is full to its limit (flagged when it happens, acted on at the next
 *    record start; the list has room for one record's worth past the limit);
 *  - HEADER: (header mode) the first non-blank record is [recordStart, p), from recordLine;
 *  - ERROR: kind, line and field count in the control block.
 */

// Control block: u32 words at ctl (byte offsets).
const C_P: usize = 0; // in: first byte; out: where parsing stopped
const C_TO: usize = 4;
const C_LAST: usize = 8;
const C_LINE: usize = 12;
const C_LEN: usize = 16;
const C_BATCH: usize = 20;
const C_PENDING_CR: usize = 24;
const C_MODE: usize = 28; // 1: header mode
const C_NACTIONS: usize = 32;
const C_ACTIONS: usize = 36; // u32 per field: dict column + 1 (low 16 bits), numeric column + 1 (high 16)
const C_LAST_NEEDED: usize = 40; // i32
const C_COLUMNS: usize = 44; // column descriptors, 32 bytes each
const C_LINES: usize = 48; // u32 per row
const C_ARENA: usize = 52;
const C_ARENA_USED: usize = 56;
const C_FALLBACKS: usize = 60; // 5 u32 per entry: row, numeric column, start, end, line
const C_FALLBACK_COUNT: usize = 64;
const C_FALLBACK_LIMIT: usize = 68;
const C_SERVICE: usize = 72; // set when a table must grow or a column widen
const C_ERROR: usize = 76;
const C_ERROR_LINE: usize = 80;
const C_ERROR_FIELD: usize = 84;
const C_RECORD_START: usize = 88;
const C_RECORD_LINE: usize = 92;

// Column descriptor (u32 words).
const D_TABLE: usize = 0; // 16-byte slots: u64 key (see keyOf), u32 length, u32 code
const D_MASK: usize = 4; // slots − 1
const D_COUNT: usize = 8;
const D_LIMIT: usize = 12; // SERVICE once count exceeds this
const D_ENTRIES: usize = 16; // u32 pairs: arena offset, length
const D_CODES: usize = 20; // u8 per row, or u32 per row when bit 0 is set
// Numeric columns use D_TABLE as the f64 values and D_MASK as the u8 valid flags.

export const CSV_DONE: i32 = 0;
export const CSV_FULL: i32 = 1;
export const CSV_SERVICE: i32 = 2;
export const CSV_HEADER: i32 = 3;
export const CSV_ERROR: i32 = 4;

export const CSV_ERR_UNTERMINATED: i32 = 1;
export const CSV_ERR_AFTER_QUOTE: i32 = 2;
export const CSV_ERR_QUOTE_IN_FIELD: i32 = 3;
export const CSV_ERR_SHORT_ROW: i32 = 4;

const COMMA: u32 = 44;
const LF: u32 = 10;
const CR: u32 = 13;
const QUOTE: u32 = 34;
const FALLBACK_BYTES: usize = 20;

/** Bit i set when byte p + i is a comma, LF, CR or quote (64 bytes, readable past `to`). */
@inline function structural(p: usize): u64 {
  const c = i8x16.splat(44), l = i8x16.splat(10), r = i8x16.splat(13), q = i8x16.splat(34);
  const a = v128.load(p), b = v128.load(p, 16), d = v128.load(p, 32), e = v128.load(p, 48);
  const ma = v128.or(v128.or(i8x16.eq(a, c), i8x16.eq(a, l)), v128.or(i8x16.eq(a, r), i8x16.eq(a, q)));
  const mb = v128.or(v128.or(i8x16.eq(b, c), i8x16.eq(b, l)), v128.or(i8x16.eq(b, r), i8x16.eq(b, q)));
  const md = v128.or(v128.or(i8x16.eq(d, c), i8x16.eq(d, l)), v128.or(i8x16.eq(d, r), i8x16.eq(d, q)));
  const me = v128.or(v128.or(i8x16.eq(e, c), i8x16.eq(e, l)), v128.or(i8x16.eq(e, r), i8x16.eq(e, q)));
  const lo = <u32>i8x16.bitmask(ma) | (<u32>i8x16.bitmask(mb) << 16);
  const hi = <u32>i8x16.bitmask(md) | (<u32>i8x16.bitmask(me) << 16);
  return <u64>lo | (<u64>hi << 32);
}

/** The structural mask of the block at p, without bytes at or past `to`. */
@inline function blockAt(p: usize, to: usize): u64 {
  const m = structural(p);
  const room = to - p;
  return room >= 64 ? m : m & ((<u64>1 << <u64>room) - 1);
}

/**
 * A field's key: up to 7 bytes are the bytes themselves with the length in the top byte
 * (0..7), so one u64 compare decides; 8 or more are a hash with top byte 0xfe, confirmed
 * against the entry's bytes. An empty slot is all ones, which neither form can be.
 */
@inline function keyOf(s: usize, n: u32): u64 {
  if (n <= 7) return (load<u64>(s) & ((<u64>1 << (<u64>n << 3)) - 1)) | (<u64>n << 56);
  return (hashBytes(s, <usize>n) & 0x00ffffffffffffff) | 0xfe00000000000000;
}

const EMPTY_KEY: u64 = 0xffffffffffffffff;

@inline function slotOf(key: u64): u32 {
  return <u32>((key * 0x9e3779b97f4a7c15) >> 32);
}

/** A hash of bytes [s, s + n), n ≥ 8: 8-byte words, the last one overlapping. */
function hashBytes(s: usize, n: usize): u64 {
  let h: u64 = 0xcbf29ce484222325 ^ <u64>n;
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) h = (h ^ load<u64>(s + i)) * 0x100000001b3 ^ (h >> 29);
  h = (h ^ load<u64>(s + n - 8)) * 0x100000001b3;
  return h ^ (h >> 32);
}

function sameBytes(a: usize, b: usize, n: usize): bool {
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < n; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/**
 * The code of bytes [s, s + n) in the column at d, adding them on first sight (their bytes
 * go to the arena, which the wrapper keeps at least one buffer larger than needed).
 */
@inline function codeOf(ctl: usize, d: usize, s: usize, n: u32): u32 {
  const key = keyOf(s, n);
  const table = <usize>load<u32>(d, D_TABLE);
  const mask = load<u32>(d, D_MASK);
  let i = slotOf(key) & mask;
  for (;;) {
    const slot = table + (<usize>i << 4);
    const k = load<u64>(slot);
    if (k == key) {
      const code = load<u32>(slot, 12);
      if (n <= 7) return code;
      const entry = <usize>load<u32>(d, D_ENTRIES) + (<usize>code << 3);
      if (load<u32>(slot, 8) == n && sameBytes(<usize>load<u32>(ctl, C_ARENA) + <usize>load<u32>(entry), s, <usize>n)) return code;
    } else if (k == EMPTY_KEY) return insert(ctl, d, slot, key, s, n);
    i = (i + 1) & mask;
  }
  return unreachable();
}

function insert(ctl: usize, d: usize, slot: usize, key: u64, s: usize, n: u32): u32 {
  const code = load<u32>(d, D_COUNT);
  const used = load<u32>(ctl, C_ARENA_USED);
  memory.copy(<usize>load<u32>(ctl, C_ARENA) + <usize>used, s, <usize>n);
  const entry = <usize>load<u32>(d, D_ENTRIES) + (<usize>code << 3);
  store<u32>(entry, used);
  store<u32>(entry, n, 4);
  store<u32>(ctl, used + n, C_ARENA_USED);
  store<u64>(slot, key);
  store<u32>(slot, n, 8);
  store<u32>(slot, code, 12);
  store<u32>(d, code + 1, D_COUNT);
  if (code + 1 > load<u32>(d, D_LIMIT) || (code + 1 >= 256 && (load<u32>(d, D_CODES) & 1) == 0)) store<u32>(ctl, 1, C_SERVICE);
  return code;
}

/** Moves a column's table into a new, empty one of mask + 1 slots (the wrapper allocated it). */
export function csvRehash(d: usize, table: usize, mask: u32): void {
  const old = <usize>load<u32>(d, D_TABLE);
  const oldSlots = <usize>load<u32>(d, D_MASK) + 1;
  for (let k: usize = 0; k < oldSlots; k++) {
    const slot = old + (k << 4);
    const key = load<u64>(slot);
    if (key == EMPTY_KEY) continue;
    let i = slotOf(key) & mask;
    while (load<u64>(table + (<usize>i << 4)) != EMPTY_KEY) i = (i + 1) & mask;
    const to = table + (<usize>i << 4);
    store<u64>(to, key);
    store<u32>(to, load<u32>(slot, 8), 8);
    store<u32>(to, load<u32>(slot, 12), 12);
  }
  store<u32>(d, <u32>table, D_TABLE);
  store<u32>(d, mask, D_MASK);
}

const POW10: StaticArray<f64> = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * Digits[.digits] with an optional sign and ≤ 15 significant digits, as m / 10^k (the
 * correctly rounded double, as in the reference); NaN when that form does not apply.
 */
@inline function parseDecimal(s: usize, e: usize): f64 {
  let i = s;
  let neg = false;
  if (i < e) {
    const c = load<u8>(i);
    if (c == 45 || c == 43) {
      neg = c == 45;
      i++;
    }
  }
  let m: u64 = 0;
  let digits = 0;
  let scale = 0;
  let dot = false;
  let any = false;
  for (; i < e; i++) {
    const c = <u32>load<u8>(i);
    const k = c - 48;
    if (k <= 9) {
      any = true;
      if (m != 0 || k != 0) digits++;
      m = m * 10 + <u64>k;
      if (dot) scale++;
    } else if (c == 46 && !dot) dot = true;
    else return NaN;
  }
  if (!any || digits > 15 || scale > 22) return NaN;
  const v = scale == 0 ? <f64>m : <f64>m / unchecked(POW10[scale]);
  return neg ? -v : v;
}

@inline function stop(ctl: usize, status: i32, p: usize, line: u32, len: u32): i32 {
  store<u32>(ctl, <u32>p, C_P);
  store<u32>(ctl, line, C_LINE);
  store<u32>(ctl, len, C_LEN);
  return status;
}

@inline function fail(ctl: usize, kind: i32, line: u32, field: u32, p: usize, len: u32): i32 {
  store<i32>(ctl, kind, C_ERROR);
  store<u32>(ctl, line, C_ERROR_LINE);
  store<u32>(ctl, field, C_ERROR_FIELD);
  return stop(ctl, CSV_ERROR, p, line, len);
}

/** Stores one requested field [s, e) of the current row into its column(s). */
@inline function storeField(ctl: usize, columns: usize, act: u32, s: usize, e: usize, row: u32, line: u32): void {
  const dc = act & 0xffff;
  if (dc != 0) {
    const d = columns + (<usize>(dc - 1) << 5);
    const code = codeOf(ctl, d, s, <u32>(e - s));
    const codes = <usize>load<u32>(d, D_CODES);
    if (codes & 1) store<u32>(codes - 1 + (<usize>row << 2), code);
    else store<u8>(codes + <usize>row, <u8>code);
  }
  const nc = act >> 16;
  if (nc != 0) {
    const d = columns + (<usize>(nc - 1) << 5);
    const values = <usize>load<u32>(d, D_TABLE);
    const valid = <usize>load<u32>(d, D_MASK);
    let v: f64 = 0;
    let ok: u8 = 1;
    if (e == s) ok = 0;
    else {
      v = parseDecimal(s, e);
      if (v != v) {
        // Anything else (spaces, exponents, long mantissas, bad text): the wrapper decides.
        const k = load<u32>(ctl, C_FALLBACK_COUNT);
        const f = <usize>load<u32>(ctl, C_FALLBACKS) + <usize>k * FALLBACK_BYTES;
        store<u32>(f, row);
        store<u32>(f, nc - 1, 4);
        store<u32>(f, <u32>s, 8);
        store<u32>(f, <u32>e, 12);
        store<u32>(f, line, 16);
        store<u32>(ctl, k + 1, C_FALLBACK_COUNT);
        if (k + 1 >= load<u32>(ctl, C_FALLBACK_LIMIT)) store<u32>(ctl, 1, C_SERVICE);
        // An unescaped quoted field lies in the arena's free space: keep it until the wrapper has read it.
        const arena = <usize>load<u32>(ctl, C_ARENA);
        if (s >= arena + <usize>load<u32>(ctl, C_ARENA_USED)) store<u32>(ctl, <u32>(e - arena), C_ARENA_USED);
        v = 0;
      }
    }
    store<f64>(values + (<usize>row << 3), ok ? v : 0);
    store<u8>(valid + <usize>row, ok);
  }
}

/** The byte at q, or END past the input. */
const END: u32 = 256;

/**
 * Parses records of [p, to) (absolute addresses; 64 readable bytes past `to`) as described
 * in the module comment; the state is in the control block at ctl.
 */
export function csvParse(ctl: usize): i32 {
  let p = <usize>load<u32>(ctl, C_P);
  const to = <usize>load<u32>(ctl, C_TO);
  const last = load<u32>(ctl, C_LAST) != 0;
  let line = load<u32>(ctl, C_LINE);
  let len = load<u32>(ctl, C_LEN);
  const batchRows = load<u32>(ctl, C_BATCH);
  const header = load<u32>(ctl, C_MODE) != 0;
  const nActions: u32 = header ? 0 : load<u32>(ctl, C_NACTIONS);
  const actions = <usize>load<u32>(ctl, C_ACTIONS);
  const columns = <usize>load<u32>(ctl, C_COLUMNS);
  const lastNeeded = header ? -1 : load<i32>(ctl, C_LAST_NEEDED);
  const lines = <usize>load<u32>(ctl, C_LINES);
  if (load<u32>(ctl, C_PENDING_CR) != 0 && p < to) {
    store<u32>(ctl, 0, C_PENDING_CR);
    if (<u32>load<u8>(p) == LF) p++;
  }
  let base = p;
  let mask: u64 = p < to ? blockAt(p, to) : 0;
  while (p < to) {
    if (load<u32>(ctl, C_SERVICE) != 0) return stop(ctl, CSV_SERVICE, p, line, len);
    const recordStart = p;
    const recordLine = line;
    let nl: u32 = 0; // newlines inside quoted fields of this record
    let field: u32 = 0;
    let blank = false;
    for (;;) {
      // The next structural byte at or after p (stale bits below p are dropped).
      let q: usize = to;
      for (;;) {
        if (mask != 0) {
          q = base + <usize>ctz(mask);
          if (q >= p) break;
          mask &= mask - 1;
          continue;
        }
        base += 64;
        if (base < p) base = p;
        if (base >= to) {
          q = to;
          break;
        }
        mask = blockAt(base, to);
      }
      let c: u32 = q < to ? <u32>load<u8>(q) : END;
      let s = p;
      let e = q;
      if (c == QUOTE) {
        if (q != p) return fail(ctl, CSV_ERR_QUOTE_IN_FIELD, recordLine + nl, field, recordStart, len);
        // Quoted: find the closing quote; doubled quotes are one quote (the cold path).
        q = p + 1;
        let escaped = false;
        for (;;) {
          while (q < to && <u32>load<u8>(q) != QUOTE) {
            if (<u32>load<u8>(q) == LF) nl++;
            q++;
          }
          if (q + 1 < to && <u32>load<u8>(q + 1) == QUOTE) {
            escaped = true;
            q += 2;
            continue;
          }
          break;
        }
        if (q >= to || (q + 1 >= to && !last)) {
          if (last && q >= to) return fail(ctl, CSV_ERR_UNTERMINATED, recordLine, field, recordStart, len);
          return stop(ctl, CSV_DONE, recordStart, line, len); // incomplete: the next chunk has the rest
        }
        s = p + 1;
        e = q;
        if (escaped) {
          // Unescaped into the arena's free space, where a new entry would be copied anyway.
          const scratch = <usize>load<u32>(ctl, C_ARENA) + <usize>load<u32>(ctl, C_ARENA_USED);
          let w = scratch;
          for (let i = s; i < e; i++) {
            const b = load<u8>(i);
            store<u8>(w++, b);
            if (<u32>b == QUOTE) i++;
          }
          s = scratch;
          e = w;
        }
        q++;
        c = q < to ? <u32>load<u8>(q) : END;
        if (c != COMMA && c != LF && c != CR && c != END) return fail(ctl, CSV_ERR_AFTER_QUOTE, recordLine + nl, field, recordStart, len);
        base = q;
        mask = q < to ? blockAt(q, to) : 0;
      } else if (c == END && !last) return stop(ctl, CSV_DONE, recordStart, line, len); // incomplete
      if (field < nActions) {
        const act = load<u32>(actions + (<usize>field << 2));
        if (act != 0) storeField(ctl, columns, act, s, e, len, recordLine);
      }
      if (c == END) {
        p = to;
        blank = field == 0 && e == s; // end of input: the last record needs no newline
        break;
      }
      p = q + 1;
      mask &= mask - 1; // q was the lowest bit
      if (c == COMMA) {
        field++;
        continue;
      }
      blank = field == 0 && e == s;
      if (c == CR) {
        if (p < to) {
          if (<u32>load<u8>(p) == LF) p++;
        } else store<u32>(ctl, 1, C_PENDING_CR);
      }
      break;
    }
    line += nl + 1;
    if (blank) continue; // a blank line is no record
    if (header) {
      store<u32>(ctl, <u32>recordStart, C_RECORD_START);
      store<u32>(ctl, recordLine, C_RECORD_LINE);
      return stop(ctl, CSV_HEADER, p, line, len);
    }
    if (<i32>field < lastNeeded) return fail(ctl, CSV_ERR_SHORT_ROW, recordLine, field, recordStart, len);
    store<u32>(lines + (<usize>len << 2), recordLine);
    if (++len == batchRows) return stop(ctl, CSV_FULL, p, line, len);
  }
  return stop(ctl, CSV_DONE, p, line, len);
}
