/**
 * @module engine/release-blobs
 * Hands back the memory of BLOBs a window read has finished with, instead of leaving it to
 * the next full collection.
 *
 * Why: a read awaits its statements one after another, so the BLOBs they return outlive a
 * few minor collections, are promoted, and then wait for a full one. At 100 M traces a gate
 * reads ~7 MB of them (the window's summaries, the segment its bounds cut), and V8 lets
 * several gates' worth pile up between full collections — on the embedded driver they sit
 * in the database thread's malloc arena, which keeps the pages (docs/scaling.md).
 * Transferring a BLOB to a clone nothing holds detaches it here and leaves its memory to the
 * next minor collection.
 *
 * Only for BLOBs the caller owns outright: a store hands every read fresh values
 * (engine/ports), and a view into a larger buffer (a pooled Buffer) is left alone. Best
 * effort: where a runtime cannot transfer, the garbage collector frees it as before.
 */

/** The buffer a BLOB owns outright, or null when it is not one (a view into a larger buffer, or not a BLOB). */
function ownBuffer(b: unknown): ArrayBuffer | null {
  if (b instanceof ArrayBuffer) return b;
  if (b instanceof Uint8Array && b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return b.buffer;
  return null;
}

/** Detaches each BLOB (it reads as empty afterwards): call only when nothing reads it again. */
export function releaseBlobs(blobs: Iterable<unknown>): void {
  const own = new Set<ArrayBuffer>();
  for (const b of blobs) {
    const ab = ownBuffer(b);
    if (ab && ab.byteLength > 0) own.add(ab);
  }
  if (own.size === 0) return;
  // One transfer for all of them (a window holds hundreds: one call each cost ~2 µs apiece).
  try {
    structuredClone(undefined, { transfer: [...own] });
    return;
  } catch {
    // One of them cannot be transferred: the rest one by one.
  }
  for (const ab of own) {
    try {
      structuredClone(ab, { transfer: [ab] });
    } catch {
      // Not transferable here (a runtime without transfer, a non-detachable buffer): left to the GC.
    }
  }
}
