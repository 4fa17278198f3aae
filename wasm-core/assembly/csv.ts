/**
 * @module wasm-core/csv
 * CSV records into column codes, for the CSV byte path's Wasm reader
 * (worker/engine/sources/csv-wasm.ts), with the rules of the TypeScript reference
 * (worker/engine/sources/csv-columns.ts): RFC 4180 quoting (doubled quotes, newlines inside
 * quotes), LF / CR / CRLF record ends, a blank line is no record, line numbers for errors.
 *
 * Structural bytes (comma, LF, CR, quote) are found 64 at a time as a bit mask (four i8x16
 * compares per 16 bytes), so a field costs one count-trailing-zeros. A requested text field
 * gets a per-column dictionary code (csv-dictionary.ts); a requested numeric field is parsed
 * from its digits exactly as the reference's parseDecimal does, and anything else is left to
 * the wrapper (a "fallback" entry naming the bytes). Only numbers cross the boundary: the
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

import {
  C_ACTIONS, C_ARENA, C_ARENA_USED, C_BATCH, C_COLUMNS, C_ERROR, C_ERROR_FIELD, C_ERROR_LINE, C_FALLBACK_COUNT,
  C_FALLBACK_LIMIT, C_FALLBACKS, C_JSON, C_JSON_CAP, C_JSON_USED, C_LAST, C_LAST_NEEDED, C_LEN, C_LINE,
  C_LINES, C_MODE, C_NACTIONS, C_P, C_PENDING_CR, C_RECORD_LINE, C_RECORD_START, C_SERVICE, C_TO, COMMA, CR,
  CSV_DONE, CSV_ERR_AFTER_QUOTE, CSV_ERR_QUOTE_IN_FIELD, CSV_ERR_SHORT_ROW, CSV_ERR_UNTERMINATED, CSV_ERROR,
  CSV_FULL, CSV_HEADER, CSV_SERVICE, D_CODES, D_MASK, D_TABLE, FALLBACK_BYTES, LF, QUOTE,
} from "./csv-layout";
import { codeOf } from "./csv-dictionary";

export { csvRehash } from "./csv-dictionary";

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
  if (nc != 0) storeNumber(ctl, columns, nc, s, e, row, line);
}

/** The numeric half of storeField, out of line so the text path's loop stays small. */
function storeNumber(ctl: usize, columns: usize, nc: u32, s: usize, e: usize, row: u32, line: u32): void {
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
      store<u32>(f, (nc - 1) | (jsonCopy(ctl, s, e) << 31), 4);
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

/**
 * Copies a number outside the fast form to the JSON area (with a comma) when it has only
 * bytes a JSON number can have and fits; 1 when copied. Such text is a JSON number with
 * Number()'s value, or makes the wrapper's JSON.parse fail (then it parses cell by cell):
 * mantissas past 15 digits, as CSV writers of doubles print them, cost no string each.
 */
function jsonCopy(ctl: usize, s: usize, e: usize): u32 {
  const n = e - s;
  if (n > 40) return 0;
  for (let i = s; i < e; i++) {
    const c = <u32>load<u8>(i);
    if (c - 48 > 9 && c != 46 && c != 45 && c != 43 && (c | 32) != 101) return 0;
  }
  const used = load<u32>(ctl, C_JSON_USED);
  if (<usize>used + n + 1 > <usize>load<u32>(ctl, C_JSON_CAP)) return 0;
  const at = <usize>load<u32>(ctl, C_JSON) + <usize>used;
  memory.copy(at, s, n);
  store<u8>(at + n, 44);
  store<u32>(ctl, used + <u32>n + 1, C_JSON_USED);
  return 1;
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
