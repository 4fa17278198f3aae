/**
 * domain/summary-codec: the binary form round-trips exactly (hand-written counts), the
 * older JSON form still decodes, and anything that is not a well-formed summary with
 * the asked-for bins decodes to null.
 */
import { describe, expect, it } from "vitest";
import { decodeSummary, encodeSummary } from "../../worker/domain/summary-codec.js";

// Two groups, two bins: per group 8 confusion counts, then k, p, s per group × bin.
const body = {
  v: ["65+", "18-24"],
  c: [10, 4, 6, 3, 2, 1, 1, 2, 7, 7, 5, 5, 5, 0, 0, 0],
  k: [3, 3, 2, 3],
  p: [1, 2, 2, 3],
  s: [4_000_000_000, 2_500_000, 0, 9_007_199_254_740_991],
};
const plain = (b: NonNullable<ReturnType<typeof decodeSummary>>) => ({ v: b.v, c: Array.from(b.c), k: Array.from(b.k), p: Array.from(b.p), s: Array.from(b.s) });

describe("summary codec", () => {
  it("round-trips counts exactly, large integers included, from an aligned or unaligned buffer", () => {
    const bytes = encodeSummary(body, 2);
    expect(bytes.length % 8).toBe(0);
    expect(plain(decodeSummary(bytes, 2)!)).toEqual(body);
    expect(plain(decodeSummary(bytes.slice().buffer, 2)!)).toEqual(body);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(plain(decodeSummary(shifted.subarray(3), 2)!)).toEqual(body);
  });

  it("writes the documented layout", () => {
    const bytes = encodeSummary({ v: ["a"], c: [1, 1, 1, 1, 1, 0, 0, 0], k: [1], p: [1], s: [5] }, 1);
    const view = new DataView(bytes.buffer);
    expect([view.getUint32(0, true), view.getUint32(4, true), view.getUint32(8, true), view.getUint32(12, true)]).toEqual([0x32534746, 1, 1, 5]);
    expect(new TextDecoder().decode(bytes.subarray(16, 21))).toBe('["a"]');
    expect(view.getFloat64(24, true)).toBe(1); // labels padded to 24
    expect(view.getFloat64(24 + 8 * 10, true)).toBe(5); // the last value: s[0]
    expect(bytes.length).toBe(24 + 8 * 11);
  });

  it("decodes the older JSON body", () => {
    expect(plain(decodeSummary(JSON.stringify(body), 2)!)).toEqual(body);
  });

  it("refuses what is not a summary", () => {
    const good = encodeSummary(body, 2);
    const patched = (f: (v: DataView) => void) => {
      const b = good.slice();
      f(new DataView(b.buffer));
      return b;
    };
    const bad: [string, unknown][] = [
      ["other bins", good],
      ["truncated", good.subarray(0, good.length - 8)],
      ["wrong magic", patched((v) => v.setUint32(0, 7, true))],
      ["negative count", patched((v) => v.setFloat64(good.length - 8, -1, true))],
      ["fractional count", patched((v) => v.setFloat64(good.length - 8, 0.5, true))],
      ["NaN count", patched((v) => v.setFloat64(good.length - 8, NaN, true))],
      ["label count off", patched((v) => v.setUint32(4, 3, true))],
      ["not JSON", "{nope"],
      ["JSON lengths off", JSON.stringify({ ...body, c: body.c.slice(1) })],
      ["JSON negative", JSON.stringify({ ...body, k: [-1, 3, 2, 3] })],
      ["JSON extra key", JSON.stringify({ ...body, x: 1 })],
      ["a number", 42],
      ["null", null],
    ];
    for (const [what, stored] of bad) expect([what, decodeSummary(stored, what === "other bins" ? 3 : 2)]).toEqual([what, null]);
  });

  it("refuses to encode arrays that do not match labels and bins", () => {
    expect(() => encodeSummary({ ...body, k: [1] }, 2)).toThrow();
  });
});
