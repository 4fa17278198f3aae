/**
 * engine/sha256: the same digest as node:crypto (an independent implementation) on either side
 * of the size at which it hands over to WebCrypto, for inputs split into parts anywhere, and
 * FIPS 180-2's "abc" vector.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256OfParts, SYNC_MAX } from "../../worker/engine/sha256.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("sha256OfParts", () => {
  it("hashes FIPS 180-2's 'abc'", async () => {
    expect(hex(await sha256OfParts([new TextEncoder().encode("ab"), new TextEncoder().encode("c")]))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("equals node:crypto below, at and above the hand-over size, however the input is split", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1, 55, 64, 1000, SYNC_MAX - 1, SYNC_MAX, SYNC_MAX + 1, 3 * SYNC_MAX),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.integer(),
        async (size, cuts, seed) => {
          const all = new Uint8Array(size).map((_, i) => (i * 2654435761 + seed) >>> 24);
          const at = [...new Set(cuts.map((c) => (size ? c % size : 0)))].sort((a, b) => a - b);
          const parts = [0, ...at, size].slice(1).map((end, i, ends) => all.subarray(i === 0 ? 0 : ends[i - 1]!, end));
          expect(hex(await sha256OfParts(parts))).toBe(createHash("sha256").update(all).digest("hex"));
        },
      ),
      { numRuns: 60 },
    );
  });
});
