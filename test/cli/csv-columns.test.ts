/**
 * The CSV byte path (engine/sources/csv-columns) against the text parser (engine/sources/csv)
 * on generated files: quoted fields with commas, doubled quotes and newlines, CRLF and LF,
 * blank lines, a BOM, UTF-8, fed in random chunk splits. Both must see the same rows, the
 * same values of the requested columns and the same line numbers, and fail on the same
 * line with the same message. Run for both byte readers: the TypeScript reference
 * (csv-columns) and the Wasm one (csv-wasm).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cellAt, type ColumnBatch } from "../../worker/engine/sources/columns.js";
import { CsvError, parseCsv } from "../../worker/engine/sources/csv.js";
import { createCsvColumnReader, type CsvColumnsOptions } from "../../worker/engine/sources/csv-columns.js";
import { createCsvWasmReader } from "../../worker/engine/sources/csv-wasm.js";
import { loadCsvWasmModule } from "../../worker/engine/sources/csv-wasm-node.js";

const encoder = new TextEncoder();
const wasmModule = await loadCsvWasmModule();

type CreateReader = (opts: CsvColumnsOptions) => { push(chunk: Uint8Array): void; end(): number };
const readers: [string, CreateReader][] = [
  ["TypeScript", createCsvColumnReader],
  ["Wasm", (opts) => createCsvWasmReader(wasmModule!, opts)!],
];

/** Runs the byte reader over `bytes` split at `cuts`; returns [line, ...requested cells] per row, or the error. */
function byteRows(create: CreateReader, bytes: Uint8Array, columns: string[], cuts: number[], numeric = new Set<number>()) {
  const rows: unknown[][] = [];
  const reader = create({
    columns,
    numeric,
    batchRows: 7, // small batches: several flushes per file
    onBatch: (b: ColumnBatch) => {
      for (let i = 0; i < b.length; i++) rows.push([b.lines![i], ...b.columns.map((c) => cellAt(c, i))]);
    },
    onBadNumber: (line, column, text) => {
      throw new CsvError(line, `bad number ${JSON.stringify(text)} in ${column}`);
    },
  });
  try {
    let at = 0;
    for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
      reader.push(bytes.subarray(at, cut));
      at = cut;
    }
    reader.end();
    return { rows };
  } catch (err) {
    if (err instanceof CsvError) return { error: { line: err.line, message: err.message } };
    throw err;
  }
}

/** The text parser's view: header lookup by first occurrence, as scripts/cli/input does it. */
function textRows(text: string, columns: string[]) {
  try {
    const [header, ...records] = parseCsv(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    if (!header) return { error: { line: 1, message: "empty file: no header row" } };
    const index = columns.map((c) => header.fields.indexOf(c));
    if (index.some((i) => i === -1)) return { error: { line: header.line, message: "unknown column" } };
    return { rows: records.map((r) => [r.line, ...index.map((i) => r.fields[i])]) };
  } catch (err) {
    if (err instanceof CsvError) return { error: { line: err.line, message: err.message } };
    throw err;
  }
}

const field = fc.stringMatching(/^[a-zé ,"\n\r1]{0,6}$/);
const quoteField = (f: string, force: boolean) => (force || /[",\n\r]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);

describe.each(readers)("CSV byte path (%s) = text parser", (_, create) => {
  it("has a reader", () => expect(create({ columns: ["a"], numeric: new Set(), onBatch() {}, onBadNumber: () => { throw new Error(); } })).toBeTruthy());

  it("same rows, cells and lines on generated files in random chunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(field, fc.boolean()), { minLength: 3, maxLength: 3 }), { minLength: 0, maxLength: 25 }),
        fc.constantFrom("\n", "\r\n"),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.nat(400), { maxLength: 6 }),
        (records, eol, bom, blankLines, cuts) => {
          const lines = ["g,x,y", ...records.map((r) => r.map(([f, q]) => quoteField(f, q)).join(","))];
          const text = (bom ? "\uFEFF" : "") + lines.join(eol) + (blankLines ? `${eol}${eol}` : "");
          const expected = textRows(text, ["y", "g"]);
          const got = byteRows(create, encoder.encode(text), ["y", "g"], cuts);
          if ("error" in expected) {
            expect(got).toEqual({ error: expected.error });
          } else {
            // The text parser gives undefined for a missing field; the byte path raises "row has N fields".
            const short = expected.rows!.findIndex((r) => r.includes(undefined));
            if (short === -1) expect(got).toEqual({ rows: expected.rows });
            else expect((got as { error: { line: number } }).error.line).toBe(expected.rows![short]![0]);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("malformed quoting: the same line and message as the text parser", () => {
    for (const text of ['g,y\na,1\na"b,1\n', 'g,y\n"a"b,1\n', 'g,y\na,1\n"open,1\nmore\n', 'g,y\n"multi\nline"x,1\n']) {
      const expected = textRows(text, ["g"]);
      for (const cuts of [[], [5], [9, 10, 11]]) expect(byteRows(create, encoder.encode(text), ["g"], cuts)).toEqual({ error: (expected as { error: unknown }).error });
    }
  });

  it("numbers parse to exactly Number()'s double, falling back to Number() beyond the fast form", () => {
    const values = ["0.5", "-1.25", "+3", "007", "0.1", "0.123456789012345", "1234567890.12345", "1e-3", " 0.5 ", "0x10", "12345678901234567890", ".5", "5."];
    const text = `s\n${values.join("\n")}\n\n`;
    const got = byteRows(create, encoder.encode(text), ["s"], [4, 9], new Set([0]));
    expect(got.rows!.map((r) => r[1])).toEqual(values.map((v) => Number(v.trim())));
    const empty = byteRows(create, encoder.encode("s,t\n,1\n"), ["s"], [], new Set([0]));
    expect(empty.rows).toEqual([[2, null]]);
    expect(byteRows(create, encoder.encode("s\n0.5\nhigh\n"), ["s"], [], new Set([0]))).toEqual({ error: { line: 3, message: 'bad number "high" in 0' } });
  });
});
