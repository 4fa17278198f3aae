/**
 * @module wasm-core/histogram
 * Per-group equal-width score histograms over [0, 1]. Scalar on purpose: the bin index is a
 * data-dependent scatter, and the float → bin rule must match the TypeScript reference
 * exactly (f32 score widened to f64, times bins, floor, clamp), which it does because
 * score × bins is exact in f64 for bins < 2^29.
 */

import { ERR_GROUP_RANGE } from "./errors";

/**
 * Adds `len` rows (u16 group at gp, f32 score at scp, u8 outcome at op) into `count` and
 * `positives` (groupCount × bins u32 each, group-major). NaN scores are skipped; scores are
 * clamped to [0, 1]; 1.0 lands in the last bin. Returns 0 or ERR_GROUP_RANGE.
 */
export function histogram(gp: usize, scp: usize, op: usize, len: i32, groupCount: i32, bins: i32,
  count: usize, positives: usize): i32 {
  const limit = <u32>groupCount;
  const fbins = <f64>bins;
  const last = bins - 1;
  for (let i = 0; i < len; i++) {
    const g = <u32>load<u16>(gp + (<usize>i << 1));
    if (g >= limit) return ERR_GROUP_RANGE;
    const score = <f64>load<f32>(scp + (<usize>i << 2));
    if (score != score) continue;
    const x = score * fbins;
    const bin = x < 0 ? 0 : x >= fbins ? last : <i32>Math.floor(x);
    const idx = (<usize>g * <usize>bins + <usize>bin) << 2;
    store<u32>(count + idx, load<u32>(count + idx) + 1);
    const pos = <u32>(load<u8>(op + <usize>i) == 1);
    store<u32>(positives + idx, load<u32>(positives + idx) + pos);
  }
  return 0;
}
