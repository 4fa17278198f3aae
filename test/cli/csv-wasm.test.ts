/**
 * The Wasm CSV reader (engine/sources/csv-wasm) against the TypeScript reference
 * (engine/sources/csv-columns) batch by batch: generated files with random quoting,
 * doubled quotes, newlines and commas inside quotes, LF / CRLF / CR, a BOM, blank lines,
 * empty and long fields (past the 64-byte scan blocks and the read chunks), short rows,
 * stray quotes, numbers in and out of the fast form, repeated header names and columns
 * requested twice, fed in random chunks. Both must hand over the same batches (rows,
 * lines, codes, dictionaries, numbers), the same notes, and fail with the same error on
 * the same line — a bad number included.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createBatchSink } from "../../scripts/cli/columnar.js";
import { createSlices } from "../../scripts/cli/encode.js";
import { sampleSize } from "../../worker/domain/confusion.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { type ColumnBatch } from "../../worker/engine/sources/columns.js";
import { CsvError } from "../../worker/engine/sources/csv.js";
import { createCsvColumnReader, type CsvColumnsOptions } from "../../worker/engine/sources/csv-columns.js";
import { createCsvWasmReader } from "../../worker/engine/sources/csv-wasm.js";
import { loadCsvWasmModule } from "../../worker/engine/sources/csv-wasm-node.js";

const encoder = new TextEncoder();
const wasmModule = (await loadCsvWasmModule())!;

/** A batch as plain data, dictionaries copied at hand-over (they grow afterwards); a dictionary's `max` must bound its codes. */
function snapshot(b: ColumnBatch) {
  for (const c of b.columns) if (c.kind === "dict") expect(c.codes.every((k) => k <= c.max!)).toBe(true);
  return {
    firstRow: b.firstRow,
    length: b.length,
    lines: Array.from(b.lines!),
    columns: b.columns.map((c) =>
      c.kind === "dict" ? { codes: Array.from(c.codes), dict: c.dict.slice(), max: c.max } : c.kind === "number" ? { values: Array.from(c.values).map((v) => (Object.is(v, -0) ? "-0" : v)), valid: Array.from(c.valid ?? []) } : c,
    ),
  };
}

type Reader = { push(chunk: Uint8Array): void; end(): number };

/** Runs one reader over `bytes` split at `cuts`: batches, notes, rows, and the error if any. */
function run(create: (o: CsvColumnsOptions) => Reader, bytes: Uint8Array, columns: string[], numeric: Set<number>, cuts: number[], batchRows: number) {
  const batches: unknown[] = [];
  const notes: string[] = [];
  const reader = create({
    columns,
    numeric,
    batchRows,
    onBatch: (b) => void batches.push(snapshot(b)),
    onBadNumber: (line, column, text) => {
      throw new CsvError(line, `bad number ${JSON.stringify(text)} in ${column}`);
    },
    onNote: (n) => void notes.push(n),
  });
  let at = 0;
  try {
    for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
      reader.push(bytes.subarray(at, cut));
      at = cut;
    }
    return { batches, notes, rows: reader.end() };
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    return { batches, notes, error: { line: err.line, message: err.message } };
  }
}

const ts = (o: CsvColumnsOptions) => createCsvColumnReader(o);
const wasm = (o: CsvColumnsOptions) => createCsvWasmReader(wasmModule, o)!;

/** Both readers on the same input; returns the reference's result after checking they agree. */
function same(bytes: Uint8Array, columns: string[], numeric: Set<number>, cuts: number[], batchRows: number) {
  const expected = run(ts, bytes, columns, numeric, cuts, batchRows);
  expect(run(wasm, bytes, columns, numeric, cuts, batchRows)).toEqual(expected);
  return expected;
}

const cell = fc.oneof(
  fc.stringMatching(/^[ab,"\n\r é]{0,5}$/),
  fc.stringMatching(/^-?[0-9]{0,4}(\.[0-9]{0,4})?$/),
  fc.stringMatching(/^[0-9]{1,9}\.[0-9]{5,9}$/), // around the 15-significant-digit limit of the fast form
  fc.constantFrom("", " 1.5", "1e3", "-0", "0.12345678901234567", "12345678901234567890", "true", "false", "0", "1", "x".repeat(70), "long value ".repeat(9)),
);
/** How a cell is written: 0 plain (quoted only if it must be), 1 quoted, 2 a raw quote inserted, 3 text after the closing quote. */
const style = fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(2, 3) });
const write = (f: string, how: number) => {
  if (how === 2) return `${f}"x`;
  if (how === 3) return `"${f.replace(/"/g, '""')}"x`;
  return how === 1 || /[",\n\r]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f;
};

describe("Wasm CSV reader = TypeScript reader", () => {
  it("loads the Wasm module with the CSV exports", () => {
    expect(createCsvWasmReader(wasmModule, { columns: ["a"], numeric: new Set(), onBatch() {}, onBadNumber: () => { throw new Error(); } })).not.toBeNull();
  });

  it("same batches, notes and errors on generated files in random chunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(cell, style), { minLength: 1, maxLength: 5 }), { maxLength: 30 }),
        fc.constantFrom("\n", "\r\n", "\r"),
        fc.boolean(),
        fc.boolean(),
        fc.subarray(["a", "b", "c", "d", "a"], { minLength: 1 }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        fc.array(fc.nat(600), { maxLength: 8 }),
        fc.integer({ min: 1, max: 9 }),
        (records, eol, bom, blank, columns, numericFlags, cuts, batchRows) => {
          const header = "a,b,c,d,b";
          const lines = [header, ...records.map((r) => r.map(([f, how]) => write(f, how)).join(","))];
          if (blank) lines.splice(1 + (records.length >> 1), 0, "", "");
          const text = (bom ? "\uFEFF" : "") + lines.join(eol) + (blank ? eol : "");
          const numeric = new Set(columns.flatMap((_, i) => (numericFlags[i] ? [i] : [])));
          same(encoder.encode(text), columns, numeric, cuts, batchRows);
        },
      ),
      { numRuns: 600 },
    );
  });

  it("long fields across chunk boundaries and scan blocks, byte by byte and in one piece", () => {
    const long = "v".repeat(150);
    const text = `id,"na""me",score\r\n1,"${long}, with ""quotes""\nand a newline",0.25\r\n2,${long},0.5\r\n3,"",\r\n`;
    const bytes = encoder.encode(text);
    const every = Array.from({ length: bytes.length }, (_, i) => i);
    for (const cuts of [[], every, [63, 64, 65, 128, 200]]) {
      const got = same(bytes, ['na"me', "id", "score"], new Set([2]), cuts, 2);
      expect(got.rows).toBe(3);
    }
  });

  it("dictionaries past 256 entries (u32 codes) and past many table doublings", () => {
    const rows = Array.from({ length: 70_000 }, (_, i) => `${i % 300},k${(i * 7919) % 69_997}${i % 2 ? "-suffix-longer-than-8" : ""},${i % 2}`);
    const bytes = encoder.encode(`small,big,bit\n${rows.join("\n")}\n`);
    const got = same(bytes, ["bit", "small", "big"], new Set(), [100_000, 100_001, 700_000], 4096);
    expect(got.rows).toBe(70_000);
    const big = (got.batches.at(-1) as { columns: { dict: string[] }[] }).columns[2]!.dict;
    expect(big.length).toBeGreaterThan(60_000);
  });

  it("more numbers outside the fast form than one call reports, and a bad one after them", () => {
    const values = Array.from({ length: 9000 }, (_, i) => (i % 3 === 0 ? ` ${i / 8} ` : i % 3 === 1 ? `${i}e-3` : `${i}.125`));
    const good = same(encoder.encode(`s\n${values.join("\n")}\n`), ["s"], new Set([0]), [], 1000);
    expect(good.rows).toBe(9000);
    const bad = same(encoder.encode(`s,t\n${values.join(",x\n")},x\n"1""5",x\nlast,x\n`), ["s", "t"], new Set([0]), [30_000], 1000);
    expect(bad.error).toEqual({ line: 9002, message: 'bad number "1\\"5" in 0' });
  });

  it("doubles printed with 16-17 digits (parsed in bulk), a cell JSON rejects among them, and an overflow", () => {
    let x = 12345;
    const values = Array.from({ length: 9000 }, () => String((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648));
    values[4000] = "007e1"; // Number() takes it, JSON does not: that call's cells go one by one
    values[6000] = "-0.000000000000000001";
    const good = same(encoder.encode(`s\n${values.join("\n")}\n`), ["s"], new Set([0]), [50_000], 1000);
    expect(good.rows).toBe(9000);
    const last = good.batches.at(-1) as { columns: { values: number[] }[] };
    expect(last.columns[0]!.values.at(-1)).toBe(Number(values.at(-1)));
    const overflow = same(encoder.encode(`s\n${values.slice(0, 100).join("\n")}\n1e400\n`), ["s"], new Set([0]), [], 1000);
    expect(overflow.error).toEqual({ line: 102, message: 'bad number "1e400" in 0' });
  });

  it("the batch sink counts the same from both readers (byte and u32 codes, decisions and scores)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.constantFrom("0", "1", ""), fc.constantFrom("true", "false", "1", "0"), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 700 }),
        fc.integer({ min: 1, max: 400 }),
        fc.boolean(),
        (rows, groups, byScore) => {
          const text = `g,label,decision,score\n${rows.map(([g, l, d, s]) => `G${g % groups},${l},${d},${s}`).join("\n")}\n`;
          const tables = [ts, wasm].map((create) => {
            const [slice] = createSlices(["g"], createReferenceKernels());
            const columns = ["g", "label", byScore ? "score" : "decision"];
            const selection = byScore ? { kind: "score" as const, threshold: 0.5, above: false } : { kind: "decision" as const };
            const sink = createBatchSink({ slices: [slice!], attributes: 1, labelAt: 1, selection, columns, file: "f" });
            const reader = create({ columns, numeric: sink.numeric, batchRows: 97, onBatch: (b) => sink.add(b), onBadNumber: (l, c, t) => sink.badNumber(l, c, t) });
            reader.push(encoder.encode(text));
            reader.end();
            return slice!.sliceTable();
          });
          expect(tables[1]).toEqual(tables[0]);
          expect(sampleSize(tables[0]!.table)).toBe(rows.length); // every row counted (each has a group)
        },
      ),
      { numRuns: 150 },
    );
  });

  it("errors: unterminated quote, short row, unknown column, empty file, over-long record", () => {
    expect(same(encoder.encode('a,b\n1,2\n"open,3\n'), ["b"], new Set(), [], 4).error).toEqual({ line: 3, message: "unterminated quoted field starting on line 3" });
    expect(same(encoder.encode("a,b\n1,2\n3\n"), ["b"], new Set(), [5], 4).error?.message).toBe('row has 1 fields, header has 2; column "b" is field 2');
    expect(same(encoder.encode("\n\na,b\n1,2\n"), ["z"], new Set(), [], 4).error).toEqual({ line: 3, message: 'unknown column "z" (available: a, b)' });
    expect(same(new Uint8Array(0), ["a"], new Set(), [], 4).error).toEqual({ line: 1, message: "empty file: no header row" });
    const huge = encoder.encode(`a\n"${"x".repeat((16 << 20) + 10)}`);
    expect(same(huge, ["a"], new Set(), [4 << 20, 8 << 20, 12 << 20, 17 << 20], 4).error).toEqual({ line: 2, message: `record longer than ${16 * 1024 * 1024} bytes` });
  });
});
