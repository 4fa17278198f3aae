/**
 * The CLI's building blocks in-process: the NDJSON stream parser (chunking never
 * changes the result), cell parsing, slices, and flag parsing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { OUTCOME_UNKNOWN } from "../../worker/engine/kernels/types.js";
import { createNdjsonParser, NdjsonError, parseNdjson } from "../../worker/engine/sources/ndjson.js";
import { parseCommand } from "../../scripts/cli/args.js";
import { CellError, createSlices, parseBinary, parseGroup, parseScore } from "../../scripts/cli/encode.js";
import { UsageError } from "../../scripts/cli/errors.js";

/** Feeds `text` to a fresh parser in pieces cut at `cuts`. */
function parseInPieces(text: string, cuts: number[]) {
  const p = createNdjsonParser();
  const out = [];
  let from = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
    out.push(...p.push(text.slice(from, c)));
    from = c;
  }
  out.push(...p.push(text.slice(from)), ...p.end());
  return out;
}

describe("NDJSON parser", () => {
  it("numbers lines, skips blank ones, accepts CRLF and a missing final newline", () => {
    expect(parseNdjson('{"a":1}\r\n\n  \n{"a":"x\\ny"}\r\n[2]')).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 4, value: { a: "x\ny" } },
      { line: 5, value: [2] },
    ]);
  });
  it("reports the line of invalid JSON", () => {
    expect(() => parseNdjson('{"a":1}\n{"a":\n')).toThrow(NdjsonError);
    try {
      parseNdjson('{"a":1}\n{"a":\n');
    } catch (err) {
      expect((err as NdjsonError).line).toBe(2);
    }
  });
  it("refuses a line longer than the limit instead of buffering it", () => {
    const p = createNdjsonParser(10);
    expect(() => p.push('{"a":"0123456789"')).toThrow(/longer than 10/);
  });
  it("gives the same records however the text is chunked", () => {
    const row = fc.record({ k: fc.string(), n: fc.integer(), b: fc.boolean(), u: fc.constantFrom(null, "é€😀") });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (rows, cuts, crlf) => {
        const text = rows.map((r) => JSON.stringify(r)).join(crlf ? "\r\n" : "\n");
        const whole = parseNdjson(text);
        expect(whole.map((r) => r.value)).toEqual(rows);
        expect(parseInPieces(text, cuts.map((c) => c % (text.length + 1)))).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });
});

describe("cell parsing", () => {
  it("reads labels and decisions as 0/1/true/false; empty or absent is unknown", () => {
    for (const [v, want] of [["1", 1], [" TRUE ", 1], ["false", 0], ["0", 0], [1, 1], [0, 0], [true, 1], [false, 0], ["", null], [null, null], [undefined, null]] as const)
      expect(parseBinary(v)).toBe(want);
    for (const bad of ["maybe", "2", 2, 0.5, "yes", {}, []]) expect(() => parseBinary(bad)).toThrow(CellError);
    expect(() => parseBinary("maybe")).toThrow('value "maybe" is not 0/1/true/false');
  });
  it("reads scores as finite numbers", () => {
    expect(parseScore(" 5 ")).toBe(5);
    expect(parseScore(0.25)).toBe(0.25);
    expect(parseScore("")).toBeNull();
    for (const bad of ["high", "NaN", "Infinity", true, Infinity]) expect(() => parseScore(bad)).toThrow(CellError);
  });
  it("groups scalars as strings like the gateway; empty is not usable", () => {
    expect(parseGroup("A")).toBe("A");
    expect(parseGroup(3)).toBe("3");
    expect(parseGroup(false)).toBe("false"); // the gateway groups JSON booleans as "true"/"false" (groupLabel)
    expect(parseGroup("")).toBeNull();
    expect(parseGroup(null)).toBeNull();
    expect(() => parseGroup({ x: 1 })).toThrow(CellError);
  });
});

describe("slices", () => {
  it("count each attribute on its own usable rows and the intersection on rows usable for all", () => {
    const [race, sex, both] = createSlices(["race", "sex"], createReferenceKernels(), 2); // tiny batches: exercise flushing
    const rows: [string | null, string | null, number, number][] = [
      ["a", "m", 1, 1], ["a", null, 1, 0], [null, "f", 0, OUTCOME_UNKNOWN], ["b", "f", 0, 1], ["a", "m", 0, 0],
    ];
    for (const [r, s, sel, out] of rows) for (const sl of [race!, sex!, both!]) sl.add([r, s], sel, out);
    expect(race!.table().groups.map((g) => [g.value, g.n, g.selected])).toEqual([["a", 3, 2], ["b", 1, 0]]);
    expect(sex!.table().groups.map((g) => [g.value, g.n, g.labeled])).toEqual([["f", 2, 1], ["m", 2, 2]]);
    expect(both!.name).toBe("race|sex");
    expect(both!.table().groups.map((g) => [g.value, g.n, g.tp, g.fn])).toEqual([["a|m", 2, 1, 0], ["b|f", 1, 0, 1]]);
  });
});

describe("flags", () => {
  const base = ["check", "--input", "d.csv", "--sensitive", "g"];
  const usage = (argv: string[]) => {
    try {
      parseCommand(argv);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error("expected a UsageError");
  };
  it("parses a full command", () => {
    expect(parseCommand([...base, "--sensitive", "s", "--sensitive", "g", "--score", "p", "--threshold", "0.5", "--json", "--kernels", "reference"])).toEqual({
      kind: "check",
      options: {
        input: "d.csv", format: "csv", sensitive: ["g", "s"], label: null, selection: { kind: "score", column: "p", threshold: 0.5 },
        policyFile: null, json: true, out: null, kernels: "reference",
      },
    });
    expect(parseCommand(["check", "--input", "d.JSONL", "--policy", "p.json", "--decision", "d"])).toMatchObject({ options: { format: "ndjson", sensitive: [] } });
  });
  it("refuses contradictions and typos", () => {
    expect(usage([...base, "--decision", "d", "--score", "s", "--threshold", "1"])).toMatch(/mutually exclusive/);
    expect(usage([...base, "--score", "s"])).toMatch(/--score needs --threshold/);
    expect(usage([...base, "--score", "s", "--threshold", "high"])).toMatch(/--threshold must be a number/);
    expect(usage([...base, "--decision", "d", "--threshold", "1"])).toMatch(/only applies with --score/);
    expect(usage(base)).toMatch(/one of --decision/);
    expect(usage(["check", "--input", "d.csv", "--decision", "d"])).toMatch(/--sensitive COL is required/);
    expect(usage(["check", "--input", "d.txt", "--sensitive", "g", "--decision", "d"])).toMatch(/--format csv\|ndjson/);
    expect(usage([...base, "--decision", "d", "--format", "xml"])).toMatch(/--format must be csv, ndjson, parquet or arrow, not "xml"/);
    expect(usage(["audit", "ll144", "--input", "d.parquet", "--sex", "s", "--race", "r", "--decision", "d"])).toMatch(/audit ll144 reads csv or ndjson, not parquet/);
    expect(usage([...base, "--decision", "d", "--kernels", "gpu"])).toMatch(/--kernels must be wasm or reference/);
    expect(usage([...base, "--decision", "d", "extra"])).toMatch(/unexpected argument "extra"/);
    expect(usage([...base, "--label", "--decision", "d"])).toMatch(/^Option '--label' argument is ambiguous \(missing value\?\)$/);
    expect(usage(["publish"])).toMatch(/unknown command "publish"/);
  });
});
