/**
 * Review: combineCodes (two-attribute fast path, absent rows marked 0xFFFF then renumbered)
 * equals the implementation it replaced (77cf5cc), including at exactly 65,535 and 65,536
 * distinct combinations, the flat/map boundary of the key space, and three attributes.
 */
import { describe, expect, it } from "vitest";
import { intersectionValue } from "../../worker/domain/slices.js";
import { combineCodes } from "../../worker/engine/column-batch.js";

type Col = { dict: readonly string[]; codes: Uint16Array };

/** combineCodes as of 77cf5cc. */
function before(cols: Col[]): { dict: string[]; codes: Uint16Array } | null {
  const n = cols[0]!.codes.length;
  const sizes = cols.map((c) => c.dict.length);
  const product = sizes.reduce((a, b) => a * b, 1);
  const flat = product <= 1 << 16 ? new Int32Array(product).fill(-1) : null;
  const map = flat ? null : new Map<number, number>();
  const dict: string[] = [];
  const raw = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let key = 0;
    let mult = 1;
    let absent = false;
    for (let j = 0; j < cols.length; j++) {
      const c = cols[j]!.codes[i]!;
      if (c >= sizes[j]!) {
        absent = true;
        break;
      }
      key += c * mult;
      mult *= sizes[j]!;
    }
    if (absent) {
      raw[i] = -1;
      continue;
    }
    let code = flat ? flat[key]! : (map!.get(key) ?? -1);
    if (code < 0) {
      if (dict.length >= 65_535) return null;
      code = dict.length;
      dict.push(intersectionValue(cols.map((c) => c.dict[c.codes[i]!]!)));
      if (flat) flat[key] = code;
      else map!.set(key, code);
    }
    raw[i] = code;
  }
  const codes = new Uint16Array(n);
  for (let i = 0; i < n; i++) codes[i] = raw[i]! < 0 ? dict.length : raw[i]!;
  return { dict, codes };
}

const col = (size: number, codes: number[]): Col => ({ dict: Array.from({ length: size }, (_, i) => `v${i}`), codes: Uint16Array.from(codes) });

/** Deterministic pseudo-random codes in [0, size] (size = absent). */
function rnd(seed: number) {
  let s = seed >>> 0 || 1;
  return (m: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % m);
}

describe("review: combineCodes ≡ its previous implementation", () => {
  it("random columns around the flat/map boundary, with absent codes, 2 and 3 attributes", () => {
    const r = rnd(7);
    for (const sizes of [[1, 1], [3, 5], [256, 256], [256, 257], [255, 257], [65_535, 1], [2, 40_000], [3, 4, 5], [40, 40, 41], [1, 0]])
      for (let trial = 0; trial < 3; trial++) {
        const n = 2_000;
        const cols = sizes.map((sz) => col(sz, Array.from({ length: n }, () => (r(10) === 0 ? sz : r(sz + 0 || 1)))));
        expect(combineCodes(cols)).toEqual(before(cols));
      }
  });

  for (const distinct of [65_534, 65_535, 65_536])
    for (const sizes of [[256, 256], [300, 300], [256, 256, 1]])
      it(`${distinct} distinct combinations over ${sizes.join("×")}, absent rows first and last`, () => {
        const codes = sizes.map(() => [] as number[]);
        codes.forEach((c, j) => c.push(sizes[j]!)); // an absent row first
        for (let k = 0; k < distinct; k++) {
          let x = k;
          sizes.forEach((sz, j) => {
            codes[j]!.push(x % sz);
            x = Math.floor(x / sz);
          });
        }
        codes.forEach((c, j) => c.push(j === 0 ? sizes[0]! : 0, 0)); // absent, then a repeat
        const cols = sizes.map((sz, j) => col(sz, codes[j]!));
        const got = combineCodes(cols);
        expect(got).toEqual(before(cols));
        if (distinct <= 65_535) {
          expect(got!.dict.length).toBe(distinct);
          expect(got!.codes[0]).toBe(distinct);
          expect(got!.codes[got!.codes.length - 2]).toBe(distinct);
        } else expect(got).toBeNull();
      });
});
