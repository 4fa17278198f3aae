/**
 * The Parquet page kernels, one suite for both implementations: the TypeScript reference
 * (engine/sources/parquet-hybrid) and kernels.wasm's (engine/sources/parquet-wasm). Each is
 * checked against hyparquet's decoder on generated RLE / bit-packed mixes (every width 1-24,
 * odd input and output offsets, byte/16/32-bit outputs), and the Wasm kernels against the
 * reference on corrupt input: truncated and random bytes must give the same values or the
 * same ColumnarFileError message, and out-of-range dictionary indices the same error.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
import { describe, expect, it } from "vitest";
import { DEFAULT_WASM_URL } from "../../worker/engine/kernels/wasm-node.js";
import { type CodeArray, createReferencePageKernels, type PageKernels } from "../../worker/engine/sources/parquet-hybrid.js";
import { createWasmPageKernels } from "../../worker/engine/sources/parquet-wasm.js";
import { loadPageKernels } from "../../worker/engine/sources/parquet-wasm-node.js";

const reference = createReferencePageKernels();
const wasm = createWasmPageKernels(new WebAssembly.Module(readFileSync(DEFAULT_WASM_URL)));

type Run = ["rle", number, number] | ["packed", number[]];

/** Encodes runs: ["rle", value, count] or ["packed", values (padded to 8)]. */
function encode(width: number, runs: Run[]): Uint8Array {
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

const runsOf = (width: number) =>
  fc.array(
    fc.oneof(
      fc.tuple(fc.constant("rle" as const), fc.integer({ min: 0, max: 2 ** width - 1 }), fc.integer({ min: 1, max: 40 })),
      fc.tuple(fc.constant("packed" as const), fc.array(fc.integer({ min: 0, max: 2 ** width - 1 }), { minLength: 1, maxLength: 300 })),
    ),
    { minLength: 1, maxLength: 8 },
  );
const typeOf = fc.constantFrom("u8", "u16", "u32");

/** A `type` array of `count` values at element offset `skew` of a larger buffer (odd byte offsets for bytes). */
function outArray(type: string, count: number, skew: number): CodeArray {
  const ctor = type === "u32" ? Uint32Array : type === "u16" ? Uint16Array : Uint8Array;
  return new ctor(count + skew + 3).subarray(skew, skew + count);
}

/** Runs `f`, returning its result or the thrown message. */
function outcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe.each([
  ["reference", reference],
  ["wasm", wasm],
] as [string, PageKernels][])("%s page kernels", (_name, kernels) => {
  it("readHybrid = hyparquet's readRleBitPackedHybrid for every width, alignment and output type", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }).chain((width) => fc.tuple(fc.constant(width), runsOf(width), typeOf, fc.nat(5), fc.nat(5))),
        ([width, runs, type, lead, skew]) => {
          const encoded = encode(width, runs);
          const bytes = new Uint8Array(lead + encoded.length + 2).fill(0xa5);
          bytes.set(encoded, lead);
          const count = runs.reduce((n, r) => n + (r[0] === "rle" ? r[2] : Math.ceil(r[1].length / 8) * 8), 0);
          const expected = new Array<number>(count);
          readRleBitPackedHybrid({ view: new DataView(encoded.buffer), offset: 0 }, width, expected, encoded.length);
          const kind = width > 16 ? "u32" : width > 8 && type === "u8" ? "u16" : type;
          const out = outArray(kind, count, skew);
          expect(kernels.readHybrid(bytes, lead, lead + encoded.length, width, out, count)).toBe(lead + encoded.length);
          expect(Array.from(out)).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("dictionaryIndices: the codes, or the first index at or above the dictionary size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((width) => fc.tuple(fc.constant(width), runsOf(width), fc.integer({ min: 1, max: 2 ** width }))),
        ([width, runs, size]) => {
          const bytes = encode(width, runs);
          const count = runs.reduce((n, r) => n + (r[0] === "rle" ? r[2] : Math.ceil(r[1].length / 8) * 8), 0);
          const expected = new Array<number>(count);
          readRleBitPackedHybrid({ view: new DataView(bytes.buffer), offset: 0 }, width, expected, bytes.length);
          const out = outArray(width > 8 ? "u16" : "u8", count, 1);
          const firstBad = expected.find((c) => c >= size);
          const got = outcome(() => kernels.dictionaryIndices(bytes, 0, bytes.length, width, out, count, size));
          if (firstBad === undefined) {
            expect(got).toEqual({ ok: undefined });
            expect(Array.from(out)).toEqual(expected);
          } else expect(got).toEqual({ error: `corrupt page: dictionary index ${firstBad} of ${size} entries` });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("width 0 is every index 0, whatever the buffer held", () => {
    const out = new Uint8Array(9).fill(7);
    kernels.dictionaryIndices(new Uint8Array(0), 0, 0, 0, out, 9, 1);
    expect(Array.from(out)).toEqual(new Array(9).fill(0));
  });

  it("unpackBooleans: bit i of byte i/8, LSB first, from any offset", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(7), fc.nat(7), (bytes, lead, skew) => {
        const n = Math.max(0, (bytes.length - lead) * 8 - skew);
        const out = outArray("u8", n, skew) as Uint8Array;
        kernels.unpackBooleans(bytes, Math.min(lead, bytes.length), n, out);
        const expected = Array.from({ length: n }, (_, i) => (bytes[Math.min(lead, bytes.length) + (i >> 3)]! >> (i & 7)) & 1);
        expect(Array.from(out)).toEqual(expected);
      }),
    );
  });

  it("a run past the end of the page is a corrupt page, not garbage", () => {
    const bytes = encode(3, [["packed", [1, 2, 3, 4, 5, 6, 7, 0]]]);
    expect(() => kernels.readHybrid(bytes.subarray(0, bytes.length - 1), 0, bytes.length - 1, 3, new Uint8Array(8), 8)).toThrow("corrupt page: bit-packed run past the end of the page");
    expect(() => kernels.readHybrid(bytes, 0, bytes.length, 3, new Uint8Array(9), 9)).toThrow("corrupt page: encoded values end early");
    expect(() => kernels.readHybrid(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01), 0, 6, 3, new Uint8Array(8), 8)).toThrow("corrupt page: bad run header");
  });
});

describe("pageBytes: decoding in place", () => {
  it("a scratch's values stay as decoded until its own next page, also when another page needs more room than the instance has", () => {
    const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((i + seed) * 2654435761) >>> 29);
    /** 3-bit values (a multiple of 8) as bit-packed runs of 504, packed directly (encode's BigInts are slow for millions). */
    const page = (v: number[]) => {
      const out: number[] = [];
      for (let r = 0; r < v.length; r += 504) {
        const groups = Math.min(504, v.length - r) / 8;
        out.push((groups << 1) | 1);
        for (let g = 0; g < groups; g++) {
          let bits = 0;
          for (let j = 0; j < 8; j++) bits |= v[r + g * 8 + j]! << (3 * j);
          out.push(bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff);
        }
      }
      return Uint8Array.from(out);
    };
    const same = (got: Uint8Array, want: number[]) => got.length === want.length && want.every((x, i) => got[i] === x);
    const [a, b, c] = [{ bytes: new Uint8Array(0) }, { bytes: new Uint8Array(0) }, { bytes: new Uint8Array(0) }];
    const va = values(1000, 1);
    const outA = wasm.pageBytes(a, va.length);
    const pa = page(va);
    wasm.dictionaryIndices(pa, 0, pa.length, 3, outA, va.length, 8);
    // 6 M values: more than the first instance's regions hold.
    const vb = values(6_000_000, 2);
    const outB = wasm.pageBytes(b, vb.length);
    const pb = page(vb);
    wasm.dictionaryIndices(pb, 0, pb.length, 3, outB, vb.length, 8);
    const vc = values(777, 3);
    const outC = wasm.pageBytes(c, vc.length);
    wasm.unpackBooleans(Uint8Array.from(vc.slice(0, 98)), 0, vc.length, outC);
    expect(Array.from(outA)).toEqual(va);
    expect(same(outB, vb)).toBe(true);
    expect(Array.from(outC)).toEqual(Array.from({ length: vc.length }, (_, i) => (vc[i >> 3]! >> (i & 7)) & 1));
    // A's next page reuses A's room.
    const va2 = values(904, 4);
    const outA2 = wasm.pageBytes(a, va2.length);
    const pa2 = page(va2);
    wasm.dictionaryIndices(pa2, 0, pa2.length, 3, outA2, va2.length, 8);
    expect(Array.from(outA2)).toEqual(va2);
    expect(same(outB, vb)).toBe(true);
  });
});

describe("loadPageKernels (what the CLI reads Parquet with)", () => {
  it("is the Wasm kernels when kernels.wasm is built, the reference when the file is missing", async () => {
    expect((await loadPageKernels()).kind).toBe("wasm");
    expect((await loadPageKernels(new URL("./no-such-kernels.wasm", DEFAULT_WASM_URL))).kind).toBe("reference");
  });
});

describe("wasm page kernels = the reference on any input", () => {
  it("truncated encodings: the same values or the same error", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 24 }).chain((width) => fc.tuple(fc.constant(width), runsOf(Math.max(1, width)), typeOf, fc.nat(), fc.nat(40))),
        ([width, runs, type, cut, extra]) => {
          const bytes = encode(Math.max(1, width), runs);
          const end = cut % (bytes.length + 1);
          const count = runs.reduce((n, r) => n + (r[0] === "rle" ? r[2] : r[1].length), 0) + extra;
          const a = outArray(type, count, 1);
          const b = outArray(type, count, 1);
          const ra = outcome(() => reference.readHybrid(bytes, 0, end, width, a, count));
          const rb = outcome(() => wasm.readHybrid(bytes, 0, end, width, b, count));
          expect(rb).toEqual(ra);
          if ("ok" in (ra as object)) expect(Array.from(b)).toEqual(Array.from(a));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("random bytes at any width and size: the same values or the same error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: 0, max: 24 }), typeOf, fc.nat(300), fc.integer({ min: 0, max: 70000 }), (bytes, width, type, count, size) => {
        const a = outArray(type, count, 3);
        const b = outArray(type, count, 3);
        const ra = outcome(() => reference.readHybrid(bytes, 0, bytes.length, width, a, count));
        expect(outcome(() => wasm.readHybrid(bytes, 0, bytes.length, width, b, count))).toEqual(ra);
        // After an error the output is undefined (the page is rejected); otherwise it must agree.
        if ("ok" in (ra as object)) expect(Array.from(b)).toEqual(Array.from(a));
        expect(outcome(() => wasm.dictionaryIndices(bytes, 0, bytes.length, width, b, count, size))).toEqual(
          outcome(() => reference.dictionaryIndices(bytes, 0, bytes.length, width, a, count, size)),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it("a page of 122,880 3-bit indices (DuckDB's width for 4 groups), as the bench file has", () => {
    const values = Array.from({ length: 122_880 }, (_, i) => (i * 2654435761) >>> 30);
    const runs: Run[] = [];
    for (let i = 0; i < values.length; i += 504) runs.push(["packed", values.slice(i, i + 504)]);
    const bytes = encode(3, runs);
    const a = new Uint8Array(values.length);
    const b = new Uint8Array(values.length);
    reference.dictionaryIndices(bytes, 0, bytes.length, 3, a, values.length, 4);
    wasm.dictionaryIndices(bytes, 0, bytes.length, 3, b, values.length, 4);
    expect(b).toEqual(Uint8Array.from(values));
    expect(a).toEqual(b);
  });
});
