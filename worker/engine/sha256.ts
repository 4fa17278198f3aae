/**
 * @module engine/sha256
 * SHA-256 for the dataset hash's small inputs, computed on this thread. WebCrypto's digest is
 * asynchronous everywhere: each call is a trip through the runtime's thread pool and event
 * loop, and the hash of a gate's window ends in three such trips one after another (the tail's
 * chunk, its run, the Merkle header) — ~2 ms of a 1 M-trace verdict while the thread waits,
 * for a few kilobytes. Below SYNC_MAX bytes, @noble/hashes (audited, pure TypeScript, the
 * same bytes on Node, Deno and Workers) hashes at once; larger inputs (a row path's 32 Ki-row
 * chunks) still go to WebCrypto, native and off this thread.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes } from "../domain/hex.js";

/** Inputs up to this many bytes are hashed here (~0.2 ms at most), larger ones by WebCrypto. */
export const SYNC_MAX = 64 * 1024;

/** SHA-256 of the parts laid end to end. */
export async function sha256OfParts(parts: readonly Uint8Array[]): Promise<Uint8Array> {
  const size = parts.reduce((n, p) => n + p.length, 0);
  if (size <= SYNC_MAX) {
    const h = sha256.create();
    for (const p of parts) h.update(p);
    return h.digest();
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", concatBytes(parts) as Uint8Array<ArrayBuffer>));
}
