/**
 * @module engine/merkle-hash
 * The dataset hash `fairgate-dataset/3`: a Merkle tree whose leaves are the window's
 * packed segments (hashed once, at pack) and the runs of rows between them, so an
 * evaluation hashes a few hundred stored digests instead of every trace. Layout,
 * ordering and how outcome deltas enter: docs/evidence.md (Dataset hash).
 *
 * Leaves, in the canonical (UTC day, seq) order of the window:
 *   S (0x53) a segment wholly inside the window with every evaluated attribute packed:
 *     u32 day ‖ u32 rows ‖ content hash[32] ‖ per evaluated attribute (policy order) its
 *     column hash[32] (32 zero bytes: no trace of the segment carries it) ‖ u32 delta
 *     count ‖ delta digest[64] (16 u32 lanes, domain/delta-digest.ts).
 *   C (0x43) a segment the window's bounds cut, every evaluated attribute packed: the S
 *     leaf's fields ‖ u32 from ‖ u32 to, the kept part of its day in ms of the day [from, to).
 *   R (0x52) a maximal run of usable rows between S/C leaves (the unpacked tail, a segment
 *     with an attribute too diverse to pack):
 *     u32 rows ‖ the run's `fairgate-dataset/2` hash[32] (engine/dataset-hash.ts).
 * dataset hash = hex SHA-256(UTF-8 `fairgate-dataset/3\n${JSON attributes}\n${leaf count}\n` ‖ leaves).
 * All integers little-endian. Unlike /2 it depends on which traces are packed: the same
 * rows hash differently before and after a pack (the export carries the structure).
 */
import { DELTA_LANES } from "../domain/delta-digest.js";
import { toHex } from "../domain/hex.js";
import { createDatasetHasher, type DatasetHasher } from "./dataset-hash.js";
import { sha256OfParts } from "./sha256.js";

export const MERKLE_HASH_FORMAT = "fairgate-dataset/3";
const encoder = new TextEncoder();

/** What an S leaf is made of (hex digests as stored). */
export interface SegmentLeaf {
  day: number;
  rowCount: number;
  contentHash: string;
  /** Per evaluated attribute, its column hash; null when the segment has no such column. */
  columnHashes: (string | null)[];
  deltaCount: number;
  deltaDigest: readonly number[];
  /** A segment the window's bounds cut: the kept part of its day, [from, to) in ms of the day (a C leaf). */
  cut?: { from: number; to: number } | null;
}

/** A hex digit's value (0-9, a-f, A-F); NaN otherwise, which a Uint8Array stores as 0, as parseInt's NaN was. */
function nibble(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : NaN;
}

/** 32 bytes of a hex digest into `into` at `off` (char codes, not a substring and parseInt per byte: ~100 digests a gate). */
function hexBytes(hex: string, into: Uint8Array, off: number): void {
  for (let i = 0; i < 32; i++) into[off + i] = nibble(hex.charCodeAt(2 * i)) * 16 + nibble(hex.charCodeAt(2 * i + 1));
}

/** The S leaf's bytes. */
export function segmentLeafBytes(l: SegmentLeaf): Uint8Array {
  const out = new Uint8Array(1 + 8 + 32 + 32 * l.columnHashes.length + 4 + 4 * DELTA_LANES + (l.cut ? 8 : 0));
  const v = new DataView(out.buffer);
  out[0] = l.cut ? 0x43 : 0x53;
  v.setUint32(1, l.day, true);
  v.setUint32(5, l.rowCount, true);
  hexBytes(l.contentHash, out, 9);
  l.columnHashes.forEach((h, j) => h && hexBytes(h, out, 41 + 32 * j));
  let off = 41 + 32 * l.columnHashes.length;
  v.setUint32(off, l.deltaCount, true);
  off += 4;
  for (let i = 0; i < DELTA_LANES; i++) v.setUint32(off + 4 * i, l.deltaDigest[i]!, true);
  if (l.cut) {
    off += 4 * DELTA_LANES;
    v.setUint32(off, l.cut.from, true);
    v.setUint32(off + 4, l.cut.to, true);
  }
  return out;
}

/** A dataset hasher whose rows form R leaves, with `segment()` adding an S leaf. */
export interface MerkleHasher extends DatasetHasher {
  /** Ends the current run of rows (if any) and appends a segment leaf. */
  segment(leaf: SegmentLeaf): Promise<void>;
}

/** A `fairgate-dataset/3` hasher for the evaluated `attributes`; `chunkRows` as in dataset-hash.ts (tests only). */
export function createMerkleHasher(attributes: readonly string[], chunkRows?: number): MerkleHasher {
  const leaves: Uint8Array[] = [];
  let run: DatasetHasher | null = null;
  let rows = 0;
  const current = () => (run ??= createDatasetHasher(attributes, chunkRows));
  const close = async () => {
    if (!run) return;
    const r = run;
    run = null;
    if (r.rows === 0) return;
    const leaf = new Uint8Array(1 + 4 + 32);
    leaf[0] = 0x52;
    new DataView(leaf.buffer).setUint32(1, r.rows, true);
    hexBytes(await r.digest(), leaf, 5);
    leaves.push(leaf);
  };
  return {
    row(...a) {
      current().row(...a);
      rows++;
    },
    columns(d, t, sel, out, s, cols) {
      const h = current();
      const before = h.rows;
      h.columns(d, t, sel, out, s, cols);
      rows += h.rows - before;
    },
    get rows() {
      return rows;
    },
    async settle() {
      await run?.settle();
    },
    async segment(leaf) {
      await close();
      leaves.push(segmentLeafBytes(leaf));
      rows += leaf.rowCount;
    },
    async digest() {
      await close();
      const header = encoder.encode(`${MERKLE_HASH_FORMAT}\n${JSON.stringify(attributes)}\n${leaves.length}\n`);
      return toHex(await sha256OfParts([header, ...leaves]));
    },
  };
}
