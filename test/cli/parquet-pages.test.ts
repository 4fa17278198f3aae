/**
 * The Parquet RLE / bit-packed hybrid decoder (engine/sources/parquet-pages readHybrid)
 * against hyparquet's own decoder (readRleBitPackedHybrid) on generated runs: every bit
 * width from 1 to 24, RLE runs of odd lengths between bit-packed runs (so unpacking starts
 * at every byte alignment), a final partial group, into byte, 16-bit and 32-bit outputs.
 */
import fc from "fast-check";
import { readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
import { describe, expect, it } from "vitest";
import { readHybrid } from "../../worker/engine/sources/parquet-pages.js";

/** Encodes runs: ["rle", value, count] or ["packed", values (padded to 8)]. */
function encode(width: number, runs: (["rle", number, number] | ["packed", number[]])[]): Uint8Array {
  const out: number[] = [];
  const uleb = (v: number) => {
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
  };
  for (const run of runs) {
    if (run[0] === "rle") {
      uleb(run[2] << 1);
      for (let i = 0; i < (width + 7) >> 3; i++) out.push((run[1] >>> (8 * i)) & 0xff);
    } else {
      const values = [...run[1]];
      while (values.length % 8) values.push(0);
      uleb(((values.length / 8) << 1) | 1);
      let acc = 0n;
      let bits = 0n;
      for (const v of values) {
        acc |= BigInt(v) << bits;
        bits += BigInt(width);
      }
      for (let i = 0n; i < bits / 8n; i++) out.push(Number((acc >> (8n * i)) & 0xffn));
    }
  }
  return Uint8Array.from(out);
}

describe("readHybrid = hyparquet's readRleBitPackedHybrid", () => {
  it("every width, alignment and output type", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }).chain((width) =>
          fc.tuple(
            fc.constant(width),
            fc.array(
              fc.oneof(
                fc.tuple(fc.constant("rle" as const), fc.integer({ min: 0, max: 2 ** width - 1 }), fc.integer({ min: 1, max: 40 })),
                fc.tuple(fc.constant("packed" as const), fc.array(fc.integer({ min: 0, max: 2 ** width - 1 }), { minLength: 1, maxLength: 70 })),
              ),
              { minLength: 1, maxLength: 8 },
            ),
            fc.constantFrom("u8", "u16", "u32"),
          ),
        ),
        ([width, runs, type]) => {
          const bytes = encode(width, runs);
          const count = runs.reduce((n, r) => n + (r[0] === "rle" ? r[2] : Math.ceil(r[1].length / 8) * 8), 0);
          // hyparquet reads exactly `count` values (padding included) into a plain array.
          const expected = new Array<number>(count);
          readRleBitPackedHybrid({ view: new DataView(bytes.buffer), offset: 0 }, width, expected, bytes.length);
          const out = width > 16 || type === "u32" ? new Uint32Array(count) : width > 8 || type === "u16" ? new Uint16Array(count) : new Uint8Array(count);
          const end = readHybrid(bytes, 0, bytes.length, width, out, count);
          expect(end).toBe(bytes.length);
          expect(Array.from(out)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("a run past the end of the page is a corrupt page, not garbage", () => {
    const bytes = encode(3, [["packed", [1, 2, 3, 4, 5, 6, 7, 0]]]);
    expect(() => readHybrid(bytes.subarray(0, bytes.length - 1), 0, bytes.length - 1, 3, new Uint8Array(8), 8)).toThrow(/corrupt page/);
    expect(() => readHybrid(bytes, 0, bytes.length, 3, new Uint8Array(9), 9)).toThrow(/corrupt page/);
  });
});
