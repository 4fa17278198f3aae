/**
 * @module wasm-core/confusion
 * Confusion counts per group over columns already copied into linear memory.
 *
 * Two strategies, picked per call from the group count:
 *  - few groups (≤ SIMD_MAX_GROUPS): 64-row blocks. Each attribute (¬selected, outcome 1/0/255)
 *    and each group code becomes a 64-bit row mask (i8x16 compares → bitmask), and counts are
 *    popcounts of mask intersections. Four groups per pass, so the per-block work stays in
 *    registers; more groups take more passes over the (cache-resident) chunk.
 *  - many groups: one scalar pass incrementing one of 8 "attribute cells" per group
 *    (see `foldCells`), which costs O(1) per row regardless of the group count.
 *
 * Counts are added (u32, wrapping) into `counts` laid out as groupCount × 8 fields
 * (n, selected, labeled, positives, tp, fp, fn, tn).
 */

import { ERR_GROUP_RANGE } from "./errors";

/** Groups handled by the SIMD strategy; beyond this the scalar cell pass is faster (measured). */
export const SIMD_MAX_GROUPS: i32 = 16;

const FIELDS: usize = 8;
const CELLS: usize = 8;

@inline function mask64(a: v128, b: v128, c: v128, d: v128): u64 {
  const lo = <u32>i8x16.bitmask(a) | (<u32>i8x16.bitmask(b) << 16);
  const hi = <u32>i8x16.bitmask(c) | (<u32>i8x16.bitmask(d) << 16);
  return <u64>lo | (<u64>hi << 32);
}

@inline function addField(p: usize, v: u64): void {
  store<u32>(p, load<u32>(p) + <u32>v);
}

/**
 * Adds one group's block totals into its 8 result fields. The SIMD pass counts
 * n, ¬selected, unknown, positive, negative, ¬selected∧positive, ¬selected∧negative
 * because those need the fewest mask intersections; the table fields follow from them.
 */
@inline function addGroup(p: usize, n: u64, ns: u64, u: u64, pos: u64, neg: u64, fn: u64, tn: u64): void {
  addField(p, n);
  addField(p + 4, n - ns);
  addField(p + 8, n - u);
  addField(p + 12, pos);
  addField(p + 16, pos - fn);
  addField(p + 20, neg - tn);
  addField(p + 24, fn);
  addField(p + 28, tn);
}

/**
 * One pass over `blocks` 64-row blocks counting groups base..base+3 (those < groupCount).
 * Returns how many rows matched those groups. Group codes are narrowed u16 → i8 with signed
 * saturation, so every code ≥ 16 becomes 16..127, 127 or −128 and can never equal a group
 * being counted here (≤ 15); hence all codes are in range iff the counts of all passes add up
 * to the number of rows — no separate range check is needed in the hot loop.
 */
function passOf4(gp: usize, sp: usize, op: usize, blocks: i32, base: i32, groupCount: i32, counts: usize): u64 {
  const zero = i8x16.splat(0), one = i8x16.splat(1), unknown = i8x16.splat(-1);
  const k0 = i8x16.splat(<i8>base), k1 = i8x16.splat(<i8>(base + 1));
  const k2 = i8x16.splat(<i8>(base + 2)), k3 = i8x16.splat(<i8>(base + 3));
  let n0: u64 = 0, s0: u64 = 0, u0: u64 = 0, p0: u64 = 0, e0: u64 = 0, f0: u64 = 0, t0: u64 = 0;
  let n1: u64 = 0, s1: u64 = 0, u1: u64 = 0, p1: u64 = 0, e1: u64 = 0, f1: u64 = 0, t1: u64 = 0;
  let n2: u64 = 0, s2: u64 = 0, u2: u64 = 0, p2: u64 = 0, e2: u64 = 0, f2: u64 = 0, t2: u64 = 0;
  let n3: u64 = 0, s3: u64 = 0, u3: u64 = 0, p3: u64 = 0, e3: u64 = 0, f3: u64 = 0, t3: u64 = 0;
  for (let b = 0; b < blocks; b++) {
    const ga = v128.load(gp), gb = v128.load(gp, 16), gc = v128.load(gp, 32), gd = v128.load(gp, 48);
    const ge = v128.load(gp, 64), gf = v128.load(gp, 80), gg = v128.load(gp, 96), gh = v128.load(gp, 112);
    const q0 = i8x16.narrow_i16x8_s(ga, gb), q1 = i8x16.narrow_i16x8_s(gc, gd);
    const q2 = i8x16.narrow_i16x8_s(ge, gf), q3 = i8x16.narrow_i16x8_s(gg, gh);
    const sa = v128.load(sp), sb = v128.load(sp, 16), sc = v128.load(sp, 32), sd = v128.load(sp, 48);
    const oa = v128.load(op), ob = v128.load(op, 16), oc = v128.load(op, 32), od = v128.load(op, 48);
    const NS = mask64(i8x16.eq(sa, zero), i8x16.eq(sb, zero), i8x16.eq(sc, zero), i8x16.eq(sd, zero));
    const P = mask64(i8x16.eq(oa, one), i8x16.eq(ob, one), i8x16.eq(oc, one), i8x16.eq(od, one));
    const N = mask64(i8x16.eq(oa, zero), i8x16.eq(ob, zero), i8x16.eq(oc, zero), i8x16.eq(od, zero));
    const U = mask64(i8x16.eq(oa, unknown), i8x16.eq(ob, unknown), i8x16.eq(oc, unknown), i8x16.eq(od, unknown));
    const NSP = NS & P, NSN = NS & N;
    const m0 = mask64(i8x16.eq(q0, k0), i8x16.eq(q1, k0), i8x16.eq(q2, k0), i8x16.eq(q3, k0));
    const m1 = mask64(i8x16.eq(q0, k1), i8x16.eq(q1, k1), i8x16.eq(q2, k1), i8x16.eq(q3, k1));
    const m2 = mask64(i8x16.eq(q0, k2), i8x16.eq(q1, k2), i8x16.eq(q2, k2), i8x16.eq(q3, k2));
    const m3 = mask64(i8x16.eq(q0, k3), i8x16.eq(q1, k3), i8x16.eq(q2, k3), i8x16.eq(q3, k3));
    n0 += popcnt(m0); s0 += popcnt(m0 & NS); u0 += popcnt(m0 & U); p0 += popcnt(m0 & P);
    e0 += popcnt(m0 & N); f0 += popcnt(m0 & NSP); t0 += popcnt(m0 & NSN);
    n1 += popcnt(m1); s1 += popcnt(m1 & NS); u1 += popcnt(m1 & U); p1 += popcnt(m1 & P);
    e1 += popcnt(m1 & N); f1 += popcnt(m1 & NSP); t1 += popcnt(m1 & NSN);
    n2 += popcnt(m2); s2 += popcnt(m2 & NS); u2 += popcnt(m2 & U); p2 += popcnt(m2 & P);
    e2 += popcnt(m2 & N); f2 += popcnt(m2 & NSP); t2 += popcnt(m2 & NSN);
    n3 += popcnt(m3); s3 += popcnt(m3 & NS); u3 += popcnt(m3 & U); p3 += popcnt(m3 & P);
    e3 += popcnt(m3 & N); f3 += popcnt(m3 & NSP); t3 += popcnt(m3 & NSN);
    gp += 128; sp += 64; op += 64;
  }
  // Slots past groupCount can only have matched out-of-range codes: not stored, not counted.
  const row = counts + <usize>base * FIELDS * 4;
  let matched = n0;
  addGroup(row, n0, s0, u0, p0, e0, f0, t0);
  if (base + 1 < groupCount) { addGroup(row + 32, n1, s1, u1, p1, e1, f1, t1); matched += n1; }
  if (base + 2 < groupCount) { addGroup(row + 64, n2, s2, u2, p2, e2, f2, t2); matched += n2; }
  if (base + 3 < groupCount) { addGroup(row + 96, n3, s3, u3, p3, e3, f3, t3); matched += n3; }
  return matched;
}

/** Largest u16 lane of v. */
@inline function maxLane(v: v128): u32 {
  return max<u32>(
    max<u32>(max<u32>(i16x8.extract_lane_u(v, 0), i16x8.extract_lane_u(v, 1)),
      max<u32>(i16x8.extract_lane_u(v, 2), i16x8.extract_lane_u(v, 3))),
    max<u32>(max<u32>(i16x8.extract_lane_u(v, 4), i16x8.extract_lane_u(v, 5)),
      max<u32>(i16x8.extract_lane_u(v, 6), i16x8.extract_lane_u(v, 7))),
  );
}

/** Largest of `len` u16 group codes at gp (SIMD max, scalar tail). */
function maxCode(gp: usize, len: i32): u32 {
  let m = i16x8.splat(0);
  let i = 0;
  for (; i + 16 <= len; i += 16) {
    const p = gp + (<usize>i << 1);
    m = i16x8.max_u(m, i16x8.max_u(v128.load(p), v128.load(p, 16)));
  }
  let r = maxLane(m);
  for (; i < len; i++) r = max<u32>(r, <u32>load<u16>(gp + (<usize>i << 1)));
  return r;
}

/**
 * Scalar pass: cell index = group × 8 + (¬selected ? 4 : 0) + outcome class, with class
 * 0 = negative, 1 = positive, 2 = other labeled code, 3 = unknown (255), computed branch-free
 * because outcomes are unpredictable. Group codes are validated up front with a vector max:
 * a range check inside the counting loop measured ~20 % slower.
 */
function cellPass(gp: usize, sp: usize, op: usize, len: i32, groupCount: i32, cells: usize): i32 {
  if (len > 0 && maxCode(gp, len) >= <u32>groupCount) return ERR_GROUP_RANGE;
  for (let i = 0; i < len; i++) {
    const g = <u32>load<u16>(gp + (<usize>i << 1));
    const s = <u32>load<u8>(sp + <usize>i);
    const o = <u32>load<u8>(op + <usize>i);
    const cls = select<u32>(o, 2, o < 2) + <u32>(o == 255);
    const idx = (g << 3) | (<u32>(s == 0) << 2) | cls;
    const p = cells + (<usize>idx << 2);
    store<u32>(p, load<u32>(p) + 1);
  }
  return 0;
}

/**
 * Counts `len` rows at gp (u16 groups), sp (u8 selected), op (u8 outcome).
 * SIMD-path results go straight into `counts`; scalar-path results go into `cells`
 * (groupCount × 8 u32, zeroed by the caller once) and must be folded with `foldCells`.
 * Returns 0, or ERR_GROUP_RANGE if any group code ≥ groupCount.
 */
export function confusion(gp: usize, sp: usize, op: usize, len: i32, groupCount: i32, counts: usize, cells: usize): i32 {
  if (groupCount > SIMD_MAX_GROUPS) return cellPass(gp, sp, op, len, groupCount, cells);
  const blocks = len >> 6;
  const done = blocks << 6;
  let matched: u64 = 0;
  for (let base = 0; base < groupCount; base += 4) {
    matched += passOf4(gp, sp, op, blocks, base, groupCount, counts);
  }
  if (matched != <u64>done) return ERR_GROUP_RANGE;
  return cellPass(gp + (<usize>done << 1), sp + <usize>done, op + <usize>done, len - done, groupCount, cells);
}

/** Adds the table fields implied by `cells` (see cellPass) into `counts`, for every group. */
export function foldCells(cells: usize, groupCount: i32, counts: usize): void {
  for (let g = 0; g < groupCount; g++) {
    const c = cells + <usize>g * CELLS * 4;
    const sn = load<u32>(c), sp = load<u32>(c, 4), so = load<u32>(c, 8), su = load<u32>(c, 12);
    const nn = load<u32>(c, 16), np = load<u32>(c, 20), no = load<u32>(c, 24), nu = load<u32>(c, 28);
    const selected = sp + sn + so + su;
    const unselected = np + nn + no + nu;
    const p = counts + <usize>g * FIELDS * 4;
    store<u32>(p, load<u32>(p) + selected + unselected);
    store<u32>(p + 4, load<u32>(p + 4) + selected);
    store<u32>(p + 8, load<u32>(p + 8) + selected + unselected - su - nu);
    store<u32>(p + 12, load<u32>(p + 12) + sp + np);
    store<u32>(p + 16, load<u32>(p + 16) + sp);
    store<u32>(p + 20, load<u32>(p + 20) + sn);
    store<u32>(p + 24, load<u32>(p + 24) + np);
    store<u32>(p + 28, load<u32>(p + 28) + nn);
  }
}
