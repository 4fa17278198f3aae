/**
 * @module domain/delta-digest
 * The digest of a packed segment's late outcomes (format `fairgate-delta/1`), one leaf
 * input of the Merkle dataset hash `fairgate-dataset/3` (docs/evidence.md). Outcomes
 * arrive one at a time, long after packing, in any order and from concurrent requests;
 * the digest must follow them in each outcome's own commit without re-reading the
 * segment's other deltas. So it is an order-independent set hash that SQL can update by
 * itself: each delta (pos, outcome) maps to SHA-512(UTF-8 "fairgate-delta/1\n" ‖ u32 LE
 * pos ‖ u8 outcome), read as 16 little-endian u32 lanes, and the digest is the lane-wise
 * sum mod 2^32 over the segment's deltas (no carries between lanes, so a SQL UPDATE adds
 * a delta with plain integer arithmetic). The empty set digests to 16 zero lanes.
 * A segment holds at most a few hundred thousand positions with two outcomes each: far
 * too few distinct elements for a generalized-birthday search in a 512-bit group.
 */

export const DELTA_DIGEST_FORMAT = "fairgate-delta/1";
export const DELTA_LANES = 16;
const PREFIX = new TextEncoder().encode(`${DELTA_DIGEST_FORMAT}\n`);

/** The 16 lanes of one delta. */
export async function deltaElement(pos: number, outcome: number): Promise<number[]> {
  const msg = new Uint8Array(PREFIX.length + 5);
  msg.set(PREFIX);
  new DataView(msg.buffer).setUint32(PREFIX.length, pos, true);
  msg[PREFIX.length + 4] = outcome;
  const d = new DataView(await crypto.subtle.digest("SHA-512", msg));
  return Array.from({ length: DELTA_LANES }, (_, i) => d.getUint32(4 * i, true));
}

/** The digest of no delta. */
export const emptyDeltaDigest = (): number[] => new Array<number>(DELTA_LANES).fill(0);

/** The digest of a set of deltas (any order). */
export async function deltaDigest(deltas: readonly { pos: number; outcome: number }[]): Promise<number[]> {
  const acc = emptyDeltaDigest();
  for (const d of deltas) {
    const e = await deltaElement(d.pos, d.outcome);
    for (let i = 0; i < DELTA_LANES; i++) acc[i] = (acc[i]! + e[i]!) % 4294967296;
  }
  return acc;
}
