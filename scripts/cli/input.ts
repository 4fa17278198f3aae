/**
 * @module scripts/cli/input
 * Streams the rows of a CSV, NDJSON, Parquet or Arrow IPC file, handing each row's
 * requested cells to a callback — or, for Parquet and Arrow, whole column batches
 * (`onBatch`, the fast path `fairgate check` takes). Memory is bounded by one read
 * chunk (a page per column for Parquet, a record batch for Arrow) plus what is parsed
 * from it, whatever the file size.
 */
import { createReadStream, readSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import { type ByteSource, type ColumnBatch, ColumnarFileError } from "../../worker/engine/sources/columns.js";
import { readArrow } from "../../worker/engine/sources/arrow.js";
import { readParquet } from "../../worker/engine/sources/parquet.js";
import { loadPageKernels } from "../../worker/engine/sources/parquet-wasm-node.js";
import { type BatchSink, batchRows } from "./columnar.js";
import { createCsvColumnReader } from "../../worker/engine/sources/csv-columns.js";
import { createCsvWasmReader } from "../../worker/engine/sources/csv-wasm.js";
import { loadCsvWasmModule } from "../../worker/engine/sources/csv-wasm-node.js";
import { createCsvParser, CsvError } from "../../worker/engine/sources/csv.js";
import { createNdjsonParser, NdjsonError } from "../../worker/engine/sources/ndjson.js";
import { at, InputError } from "./errors.js";

/**
 * Read size. Every record parsed from a chunk is alive until the chunk is done, so
 * bigger chunks push garbage out of V8's young generation: measured on 2M rows,
 * 64 KiB peaked at 121 MB RSS and 1 MiB at 267 MB, and 64 KiB was also faster.
 */
const CHUNK_BYTES = 64 * 1024;
/** NDJSON keys remembered for "available columns" hints; capped so odd files stay bounded. */
const MAX_KEYS_REMEMBERED = 200;

/**
 * Receives one data row: `cells[i]` is the value of `columns[i]` — a string for CSV, the
 * raw JSON value for NDJSON (undefined when the key is absent). `line` is 1-based.
 */
export type RowHandler = (line: number, cells: unknown[]) => void;

/** The input formats; Parquet and Arrow IPC are columnar. */
export type InputFormat = "csv" | "ndjson" | "parquet" | "arrow";

export interface ReadOptions {
  file: string;
  format: InputFormat;
  /** Column names to extract, in the order the handler receives them. */
  columns: string[];
  /** Columns that must have a value on every row (their absence is reported as unknown). */
  required: ReadonlySet<string>;
  onRow: RowHandler;
  /**
   * Parquet, Arrow and CSV hand whole column batches here instead of rows (batch columns in
   * the order of `columns`); without it Parquet and Arrow are turned into rows for `onRow`,
   * `line` being the row number.
   */
  batches?: BatchSink;
  /** Called after each chunk with the bytes read so far. */
  onProgress?: (bytesRead: number) => void;
  /** Notes for stderr (e.g. a repeated CSV header). */
  onNote?: (note: string) => void;
}

/** Size of `file` in bytes; InputError when it is missing or not a regular file. */
export async function inputSize(file: string): Promise<number> {
  try {
    const s = await stat(file);
    if (s.isDirectory()) throw at(file, null, "is a directory, not a data file");
    return s.size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw at(file, null, "no such file");
    if (code) throw at(file, null, `cannot read (${code})`);
    throw err;
  }
}

/** Random access to a local file for the columnar readers. */
async function fileSource(file: string, onProgress?: (bytes: number) => void) {
  const handle = await open(file, "r");
  const size = (await handle.stat()).size;
  let furthest = 0;
  const source: ByteSource = {
    size,
    async read(offset, length) {
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let got = 0;
      // Synchronous positional reads: a local file answers in microseconds, and the
      // thread-pool round trip of an async read cost more than the read (hundreds per file).
      while (got < buf.length) {
        const bytesRead = readSync(handle.fd, buf, got, buf.length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (offset + got > furthest) onProgress?.((furthest = offset + got));
      return got === buf.length ? buf : buf.subarray(0, got);
    },
  };
  return { source, close: () => handle.close() };
}

/** Parquet or Arrow IPC: column batches to `onBatch`, or rows to `onRow`. */
async function readColumnar(opts: ReadOptions): Promise<number> {
  let opened: Awaited<ReturnType<typeof fileSource>>;
  try {
    opened = await fileSource(opts.file, opts.onProgress);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw at(opts.file, null, code === "ENOENT" ? "no such file" : `cannot read (${code ?? (err as Error).message})`);
  }
  const onBatch = opts.batches ? (b: ColumnBatch) => opts.batches!.add(b) : (b: ColumnBatch) => batchRows(b, opts.onRow);
  try {
    if (opts.format === "parquet") return await readParquet({ source: opened.source, columns: opts.columns, onBatch, kernels: await loadPageKernels() });
    return await readArrow({ source: opened.source, columns: opts.columns, onBatch });
  } catch (err) {
    if (err instanceof ColumnarFileError) throw at(opts.file, null, err.message);
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw at(opts.file, null, `cannot read (${code})`);
    throw err;
  } finally {
    await opened.close();
  }
}

/** Streams `file`, calling `onRow` per data row (or `onBatch`, see ReadOptions). Returns the number of data rows. */
export async function readRows(opts: ReadOptions): Promise<number> {
  if (opts.format === "parquet" || opts.format === "arrow") return readColumnar(opts);
  if (opts.format === "csv" && opts.batches) return readCsvColumns(opts, opts.batches);
  const stream = createReadStream(opts.file, { highWaterMark: CHUNK_BYTES, encoding: "utf8" });
  const sink = opts.format === "csv" ? csvSink(opts) : ndjsonSink(opts);
  let first = true;
  try {
    for await (let chunk of stream as AsyncIterable<string>) {
      if (first && chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1); // spreadsheet exports add a BOM
      first = false;
      sink.push(chunk);
      opts.onProgress?.(stream.bytesRead);
    }
    return sink.end();
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (err instanceof CsvError || err instanceof NdjsonError) throw at(opts.file, err.line, err.message.replace(/ \(line \d+\)$/, ""));
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw at(opts.file, null, `cannot read (${code})`);
    throw err;
  } finally {
    stream.destroy();
  }
}

/** Read size of the CSV byte path: it keeps no object per row, so big reads cost no GC. */
const CSV_BYTES_CHUNK = 1 << 20;

/**
 * CSV through the byte path into column batches: the Wasm reader (csv-wasm) when
 * kernels.wasm loads, else the TypeScript one (csv-columns); both give the same batches.
 */
async function readCsvColumns(opts: ReadOptions, sink: BatchSink): Promise<number> {
  const options = {
    columns: opts.columns,
    numeric: sink.numeric,
    onBatch: (b: ColumnBatch) => sink.add(b),
    onBadNumber: (line: number, column: number, text: string) => sink.badNumber(line, column, text),
    onNote: (n: string) => opts.onNote?.(`${opts.file}: ${n}`),
  };
  const module = await loadCsvWasmModule();
  const wasm = module ? createCsvWasmReader(module, options) : null;
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  try {
    handle = await open(opts.file, "r");
    if (wasm) {
      // Read straight into the reader's Wasm memory, after the carried-over incomplete record.
      let bytesRead = 0;
      for (;;) {
        const { bytesRead: n } = await handle.read(wasm.space(CSV_BYTES_CHUNK), 0, CSV_BYTES_CHUNK, null);
        if (n === 0) break;
        wasm.commit(n);
        opts.onProgress?.((bytesRead += n));
      }
      return wasm.end();
    }
    const reader = createCsvColumnReader(options);
    // One buffer for the whole file: the incomplete last record moves to its front and the
    // next read lands after it (it grows only for a record longer than a chunk).
    let buf = new Uint8Array(2 * CSV_BYTES_CHUNK);
    let have = 0;
    let bytesRead = 0;
    for (;;) {
      if (buf.length - have < CSV_BYTES_CHUNK) {
        const grown = new Uint8Array(buf.length * 2);
        grown.set(buf.subarray(0, have));
        buf = grown;
      }
      const { bytesRead: n } = await handle.read(buf, have, CSV_BYTES_CHUNK, null);
      if (n === 0) break;
      bytesRead += n;
      have += n;
      const rest = reader.parse(buf, have, false);
      buf.copyWithin(0, rest, have);
      have -= rest;
      opts.onProgress?.(bytesRead);
    }
    if (have > 0) reader.parse(buf, have, true);
    return reader.end();
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (err instanceof CsvError) throw at(opts.file, err.line === 1 && /^empty file/.test(err.message) ? null : err.line, err.message.replace(/ \(line \d+\)$/, ""));
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw at(opts.file, null, code === "ENOENT" ? "no such file" : `cannot read (${code})`);
    throw err;
  } finally {
    await handle?.close();
  }
}

const quote = (s: string) => JSON.stringify(s);

function csvSink(opts: ReadOptions) {
  const parser = createCsvParser();
  let index: number[] | null = null; // header position of each requested column
  let width = 0;
  let rows = 0;
  const onRecords = (records: { line: number; fields: string[] }[]) => {
    for (const r of records) {
      if (index === null) {
        index = header(r.line, r.fields);
        width = r.fields.length;
        continue;
      }
      const cells = new Array<unknown>(index.length);
      for (let i = 0; i < index.length; i++) {
        const f = r.fields[index[i]!];
        if (f === undefined)
          throw at(opts.file, r.line, `row has ${r.fields.length} fields, header has ${width}; column ${quote(opts.columns[i]!)} is field ${index[i]! + 1}`);
        cells[i] = f;
      }
      rows++;
      opts.onRow(r.line, cells);
    }
  };
  const header = (line: number, names: string[]): number[] =>
    opts.columns.map((c) => {
      const i = names.indexOf(c);
      if (i === -1) throw at(opts.file, line, `unknown column ${quote(c)} (available: ${names.join(", ")})`);
      // The first occurrence wins (COMPAS repeats decile_score; the first is the recidivism score).
      const repeats = names.filter((n) => n === c).length;
      if (repeats > 1) opts.onNote?.(`${opts.file}: column ${quote(c)} appears ${repeats} times in the header; using the first (field ${i + 1})`);
      return i;
    });
  return {
    push: (chunk: string) => onRecords(parser.push(chunk)),
    end: (): number => {
      onRecords(parser.end());
      if (index === null) throw at(opts.file, null, "empty file: no header row");
      return rows;
    },
  };
}

function ndjsonSink(opts: ReadOptions) {
  const parser = createNdjsonParser();
  const seen = opts.columns.map(() => false);
  const keys = new Set<string>();
  let rows = 0;
  const available = () => (keys.size === 0 ? "no record has any key" : `keys seen: ${[...keys].join(", ")}`);
  const onRecords = (records: { line: number; value: unknown }[]) => {
    for (const r of records) {
      const v = r.value;
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw at(opts.file, r.line, "each line must be a JSON object");
      const obj = v as Record<string, unknown>;
      if (keys.size < MAX_KEYS_REMEMBERED) for (const k of Object.keys(obj)) if (keys.size < MAX_KEYS_REMEMBERED) keys.add(k);
      const cells = opts.columns.map((c, i) => {
        if (!Object.hasOwn(obj, c)) {
          if (opts.required.has(c)) {
            // Missing on a row before any row had it: most likely a typo in the flag.
            if (!seen[i]) throw at(opts.file, r.line, `unknown column ${quote(c)} (${available()})`);
            throw at(opts.file, r.line, `column ${quote(c)} is missing`);
          }
          return undefined;
        }
        seen[i] = true;
        return obj[c];
      });
      rows++;
      opts.onRow(r.line, cells);
    }
  };
  return {
    push: (chunk: string) => onRecords(parser.push(chunk)),
    end: (): number => {
      onRecords(parser.end());
      // An optional column no record ever had is a typo, not "all unknown".
      const never = opts.columns.findIndex((_, i) => !seen[i]);
      if (never !== -1 && rows > 0) throw at(opts.file, null, `unknown column ${quote(opts.columns[never]!)}: no record has it (${available()})`);
      return rows;
    },
  };
}
