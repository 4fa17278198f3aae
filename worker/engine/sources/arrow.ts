/**
 * @module engine/sources/arrow
 * Streams the requested columns of an Arrow IPC file or stream as column batches, one
 * record batch at a time (apache-arrow's RecordBatchReader reads a message, then the
 * next), so memory is bounded by one record batch. Arrow buffers are already columnar:
 * booleans are unpacked from their bitmap, numbers copied into doubles, dictionary
 * columns keep their indices and their dictionary (interpreted once per entry by the
 * caller); plain strings are dictionary-encoded per batch.
 */
import { type Data, DataType, RecordBatchReader, type Vector } from "apache-arrow";
import { type ByteSource, BOOL_NULL, type Cell, type ColumnBatch, ColumnarFileError, type DecodedColumn } from "./columns.js";
import { columnFromValues, toCell } from "./parquet-pages.js";

/** Sequential read size. */
const CHUNK_BYTES = 1 << 20;
/** "ARROW1": the magic an IPC *file* begins and ends with (a stream has none). */
const FILE_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31];

export interface ArrowReadOptions {
  source: ByteSource;
  columns: string[];
  onBatch(batch: ColumnBatch): void;
}

const startsWith = (bytes: Uint8Array, at: number) => FILE_MAGIC.every((b, i) => bytes[at + i] === b);

/** Checks the framing before streaming: file magic at both ends, or a stream's first message. */
async function checkFraming(source: ByteSource): Promise<void> {
  if (source.size < 8) throw new ColumnarFileError(`not an Arrow IPC file: ${source.size} bytes is too short for one`);
  const head = await source.read(0, 8);
  if (startsWith(head, 0)) {
    const tail = await source.read(source.size - 6, 6);
    if (!startsWith(tail, 0)) throw new ColumnarFileError("truncated Arrow IPC file: the ARROW1 magic is missing at the end");
    return;
  }
  // A stream begins with a message: the 0xFFFFFFFF continuation marker (or, pre-1.0, a length).
  const first = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
  const length = first === 0xffffffff ? (head[4]! | (head[5]! << 8) | (head[6]! << 16) | (head[7]! << 24)) >>> 0 : first;
  if (length === 0 || length > source.size) throw new ColumnarFileError("not an Arrow IPC file or stream: it begins with neither ARROW1 nor an IPC message");
}

async function* chunks(source: ByteSource): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < source.size; at += CHUNK_BYTES) yield await source.read(at, Math.min(CHUNK_BYTES, source.size - at));
}

/** Validity of row i of `data` (true when the column has no nulls). */
function validity(data: Data): Uint8Array | null {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return null;
  const out = new Uint8Array(data.length);
  const bits = data.nullBitmap;
  for (let i = 0; i < data.length; i++) {
    const b = data.offset + i;
    out[i] = (bits[b >> 3]! >> (b & 7)) & 1;
  }
  return out;
}

/** One Arrow column chunk as a decoded column; `dicts` caches a dictionary's cells by identity. */
function decode(data: Data, vector: Vector, dicts: WeakMap<object, Cell[]>): DecodedColumn {
  const type = data.type;
  const n = data.length;
  const valid = validity(data);
  if (DataType.isDictionary(type) && data.dictionary) {
    let cells = dicts.get(data.dictionary);
    if (!cells) dicts.set(data.dictionary, (cells = Array.from(data.dictionary.toArray() as ArrayLike<unknown>, toCell)));
    const src = data.values as Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
    const codes = new Uint32Array(n);
    const nullCode = cells.length;
    for (let i = 0; i < n; i++) {
      const k = src[data.offset + i]!;
      codes[i] = valid !== null && valid[i] === 0 ? nullCode : k >= 0 && k < nullCode ? k : nullCode;
    }
    return { kind: "dict", codes, dict: cells };
  }
  if (DataType.isBool(type)) {
    const values = new Uint8Array(n);
    const bits = data.values as Uint8Array;
    for (let i = 0; i < n; i++) {
      const b = data.offset + i;
      values[i] = valid !== null && valid[i] === 0 ? BOOL_NULL : (bits[b >> 3]! >> (b & 7)) & 1;
    }
    return { kind: "bool", values };
  }
  if ((DataType.isInt(type) || DataType.isFloat(type)) && !(DataType.isFloat(type) && type.precision === 0)) {
    const src = data.values as ArrayLike<number | bigint> & { subarray(a: number, b: number): ArrayLike<number | bigint> };
    const part = src.subarray(data.offset, data.offset + n);
    const values = new Float64Array(n);
    if (typeof part[0] === "bigint") for (let i = 0; i < n; i++) values[i] = Number(part[i] as bigint);
    else values.set(part as ArrayLike<number>);
    return { kind: "number", values, valid };
  }
  // Strings and everything else (dates, decimals, half floats): the vector's own values.
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = vector.get(i);
  return columnFromValues(out);
}

/** Streams the file's rows as batches; returns the number of rows. */
export async function readArrow(opts: ArrowReadOptions): Promise<number> {
  await checkFraming(opts.source);
  let rows = 0;
  const dicts = new WeakMap<object, Cell[]>();
  // The caller's own errors (a bad cell) pass through; anything else is the file's fault.
  let callerError: unknown;
  try {
    const reader = await RecordBatchReader.from(chunks(opts.source));
    let index: number[] | null = null;
    for await (const batch of reader) {
      if (index === null) {
        const names = batch.schema.fields.map((f) => f.name);
        index = opts.columns.map((c) => {
          const i = names.indexOf(c);
          if (i === -1) throw new ColumnarFileError(`unknown column ${JSON.stringify(c)} (available: ${names.join(", ")})`);
          return i;
        });
      }
      const columns = index.map((i) => {
        const vector = batch.getChildAt(i)!;
        if (vector.data.length !== 1) throw new ColumnarFileError(`column ${JSON.stringify(opts.columns[index!.indexOf(i)])}: unexpected chunking in a record batch`);
        return decode(vector.data[0]!, vector, dicts);
      });
      try {
        opts.onBatch({ firstRow: rows, length: batch.numRows, columns });
      } catch (err) {
        callerError = err;
        throw err;
      }
      rows += batch.numRows;
    }
    if (index === null && reader.schema) {
      // No record batch: still check the names against the schema.
      const names = reader.schema.fields.map((f) => f.name);
      for (const c of opts.columns) if (!names.includes(c)) throw new ColumnarFileError(`unknown column ${JSON.stringify(c)} (available: ${names.join(", ")})`);
    }
  } catch (err) {
    if (err === callerError || err instanceof ColumnarFileError) throw err;
    throw new ColumnarFileError(`corrupt or truncated Arrow IPC data (${(err as Error).message})`);
  }
  return rows;
}
