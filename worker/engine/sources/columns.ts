/**
 * @module engine/sources/columns
 * The columnar shape every columnar reader (Parquet, Arrow IPC, the CSV byte path) hands
 * to its caller: one batch of rows, one decoded column per requested name, kept in the
 * typed arrays the file already has (dictionary codes, bytes, doubles) so that no reader
 * builds a string or object per row. Turning a column into group codes, outcome bytes or
 * scores is the caller's job (the CLI's roles), once per dictionary entry where it can be.
 */

/** A single value as a source knows it (a dictionary entry, or one row in the row view). */
export type Cell = string | number | boolean | bigint | null;

/**
 * One column of a batch:
 * - `dict`: codes into `dict`; a code ≥ dict.length means null. `dict` is shared by the
 *   batches of one dictionary (a Parquet column chunk, an Arrow dictionary, a CSV file),
 *   so per-entry work can be cached on its identity.
 * - `bool`: 0, 1, or 255 for null.
 * - `number`: doubles, `valid[i] === 0` marks a null (valid is null when there is none).
 * `max`, when a reader sets it, bounds every code (value) of the column: the reader has
 * already checked them (Parquet checks each index against its dictionary), so the caller
 * need not scan the rows again for a null or an out-of-range code.
 */
export type DecodedColumn =
  | { kind: "dict"; codes: Uint8Array | Uint16Array | Uint32Array; dict: readonly Cell[]; max?: number }
  | { kind: "bool"; values: Uint8Array; max?: number }
  | { kind: "number"; values: Float64Array; valid: Uint8Array | null };

/** Null marker of a `bool` column. */
export const BOOL_NULL = 255;

/**
 * A run of rows: `columns[i]` is the requested column i. `firstRow` is the 0-based index of
 * the batch's first data row in the file; `lines`, when the source has lines (CSV), gives
 * each row's 1-based line for messages.
 */
export interface ColumnBatch {
  firstRow: number;
  length: number;
  columns: DecodedColumn[];
  lines?: Uint32Array;
}

/** Raised for a malformed or unsupported columnar file; the message names the problem, the caller the file. */
export class ColumnarFileError extends Error {}

/** The value of row `i` of a column (for row-wise consumers and messages). */
export function cellAt(col: DecodedColumn, i: number): Cell {
  if (col.kind === "dict") {
    const c = col.codes[i]!;
    return c < col.dict.length ? col.dict[c]! : null;
  }
  if (col.kind === "bool") {
    const v = col.values[i]!;
    return v === BOOL_NULL ? null : v === 1;
  }
  return col.valid !== null && col.valid[i] === 0 ? null : col.values[i]!;
}

/** A view of rows [start, end) of a column (no copy). */
export function sliceColumn(col: DecodedColumn, start: number, end: number): DecodedColumn {
  if (col.kind === "dict") return { kind: "dict", codes: col.codes.subarray(start, end), dict: col.dict, max: col.max };
  if (col.kind === "bool") return { kind: "bool", values: col.values.subarray(start, end), max: col.max };
  return { kind: "number", values: col.values.subarray(start, end), valid: col.valid === null ? null : col.valid.subarray(start, end) };
}

/** Number of rows in a column. */
export function columnLength(col: DecodedColumn): number {
  return col.kind === "dict" ? col.codes.length : col.values.length;
}

/** Random access to a file's bytes: Parquet reads its footer first, then column chunks. */
export interface ByteSource {
  size: number;
  /** Reads `length` bytes at `offset`; fewer only at the end of the file. */
  read(offset: number, length: number): Promise<Uint8Array>;
}
