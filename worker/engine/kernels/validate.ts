/**
 * @module engine/kernels/validate
 * Argument checks shared by every Kernels implementation, so that the Wasm and reference
 * kernels reject exactly the same inputs with the same RangeError before doing any work.
 * Checks that need a pass over the data (group code range) live in the kernels themselves.
 */

import { CELLS_PER_GROUP, CONFUSION_FIELDS, type TraceColumns } from "./types.js";

/** Group codes are u16, so at most 65,536 distinct groups. */
export const MAX_GROUPS = 65536;

/** Upper bound on groupCount × bins for histograms (64 MiB per result array). */
export const MAX_HISTOGRAM_CELLS = 1 << 24;

/** Largest seed accepted by bootstrap: seeds are u32 Threefry key words. */
export const MAX_SEED = 0xffffffff;

function isIntIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** Throws RangeError unless 0 ≤ groupCount ≤ MAX_GROUPS (integer). */
export function checkGroupCount(groupCount: number): void {
  if (!isIntIn(groupCount, 0, MAX_GROUPS)) {
    throw new RangeError(`groupCount must be an integer in [0, ${MAX_GROUPS}], got ${groupCount}`);
  }
}

/** Throws RangeError unless all three columns have the same length; returns that length. */
export function checkColumns(columns: TraceColumns): number {
  const n = columns.group.length;
  if (columns.selected.length !== n || columns.outcome.length !== n) {
    throw new RangeError(
      `column lengths differ: group ${n}, selected ${columns.selected.length}, outcome ${columns.outcome.length}`,
    );
  }
  return n;
}

/** Throws RangeError unless `into` (when given) holds groupCount × CONFUSION_FIELDS counters. */
export function checkInto(into: Uint32Array | undefined, groupCount: number): void {
  if (into !== undefined && into.length !== groupCount * CONFUSION_FIELDS) {
    throw new RangeError(`into must have length ${groupCount * CONFUSION_FIELDS}, got ${into.length}`);
  }
}

/** The error both implementations throw for a group code outside [0, groupCount). */
export function groupRangeError(groupCount: number): RangeError {
  return new RangeError(`group code out of range: every code must be < groupCount (${groupCount})`);
}

/** Validates histogram arguments; returns the row count. */
export function checkHistogram(
  group: Uint16Array,
  score: Float32Array,
  outcome: Uint8Array,
  groupCount: number,
  bins: number,
): number {
  checkGroupCount(groupCount);
  const n = group.length;
  if (score.length !== n || outcome.length !== n) {
    throw new RangeError(`column lengths differ: group ${n}, score ${score.length}, outcome ${outcome.length}`);
  }
  if (!isIntIn(bins, 1, MAX_HISTOGRAM_CELLS) || groupCount * bins > MAX_HISTOGRAM_CELLS) {
    throw new RangeError(`bins must be an integer ≥ 1 with groupCount × bins ≤ ${MAX_HISTOGRAM_CELLS}, got ${bins}`);
  }
  return n;
}

/** Validates bootstrap arguments (cells is groupCount × CELLS_PER_GROUP, u32 seed). */
export function checkBootstrap(cells: Uint32Array, replicates: number, seed: number): void {
  if (cells.length % CELLS_PER_GROUP !== 0) {
    throw new RangeError(`cells length must be a multiple of ${CELLS_PER_GROUP}, got ${cells.length}`);
  }
  if (!isIntIn(replicates, 0, 0x7fffffff)) {
    throw new RangeError(`replicates must be a non-negative integer, got ${replicates}`);
  }
  if (replicates * cells.length > 0x7fffffff) {
    throw new RangeError(`replicates × cells (${replicates * cells.length}) exceeds 2^31 − 1 entries`);
  }
  if (!isIntIn(seed, 0, MAX_SEED)) {
    throw new RangeError(`seed must be an integer in [0, 2^32 − 1], got ${seed}`);
  }
}
