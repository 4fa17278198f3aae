/**
 * @module wasm-core/csv-dictionary
 * Per-column dictionaries of the CSV scanner: an open-addressing table of 16-byte slots
 * (u64 key, u32 length, u32 code) in linear memory, entries' bytes in one arena. Codes are
 * given in first-seen order, as the TypeScript reference's byte dictionary gives them.
 */
import { C_ARENA, C_ARENA_USED, C_SERVICE, D_CODES, D_COUNT, D_ENTRIES, D_LIMIT, D_MASK, D_TABLE } from "./csv-layout";

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
@inline export function codeOf(ctl: usize, d: usize, s: usize, n: u32): u32 {
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
