/**
 * @module scripts/cli/encode
 * Turns row cells into the kernels' columnar batches. Each evaluated slice (one
 * sensitive attribute, or their intersection) has its own dictionary and batch,
 * because a row can be usable for one attribute and not another (empty value).
 * Which slices exist and how they are named is the domain's `slicesOf`, as in the
 * gateway's window reader; counting is left to the kernels and the gate to the domain.
 */
import type { CalibrationTable } from "../../worker/domain/calibration.js";
import type { ConfusionTable } from "../../worker/domain/confusion.js";
import { groupLabel, intersectionValue, type SliceTable, slicesOf } from "../../worker/domain/slices.js";
import type { Kernels } from "../../worker/engine/kernels/types.js";
import { createTableAccumulator } from "../../worker/engine/window.js";

/** Rows per kernel call: big enough to amortise the call, small enough to stay cache- and RSS-friendly. */
export const BATCH_ROWS = 65_536;

/** Why a cell was rejected; the caller adds file, line and column. */
export class CellError extends Error {}

/** A cell as shown in messages: JSON-quoted, shortened. */
export function showCell(v: unknown): string {
  const s = v === undefined ? "(missing)" : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** 0/1/true/false (any case, surrounding spaces ignored); null when empty or absent. */
export function parseBinary(v: unknown): 0 | 1 | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v === 0 || v === 1) return v;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "") return null;
    if (s === "1" || s === "true") return 1;
    if (s === "0" || s === "false") return 0;
  }
  throw new CellError(`value ${showCell(v)} is not 0/1/true/false`);
}

/** A finite number (or numeric string); null when empty or absent. */
export function parseScore(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string") {
    const s = v.trim();
    if (s === "") return null;
    const x = Number(s);
    if (Number.isFinite(x)) return x;
  }
  throw new CellError(`value ${showCell(v)} is not a number`);
}

/**
 * A sensitive value as the gateway groups it (the shared `groupLabel`); null when empty
 * or absent — such rows are not usable for that attribute.
 */
export function parseGroup(v: unknown): string | null {
  if (v === undefined || v === null || typeof v === "string" || typeof v === "boolean" || typeof v === "number") return groupLabel(v);
  throw new CellError(`value ${showCell(v)} is not a string, number or boolean`);
}

/** One evaluated slice: an attribute (or intersection) with its own accumulator and batch. */
export interface Slice {
  /** The attribute name, or the attributes joined by "|" for the intersection. */
  name: string;
  /** Indices into the row's sensitive values that make up this slice's group value. */
  parts: number[];
  /** Adds a row; `values` are the row's parsed sensitive values; `score` (with --score) feeds calibration. */
  add(values: (string | null)[], selected: number, outcome: number, score?: number): void;
  /**
   * Adds a batch already dictionary-encoded for this slice (the columnar path):
   * `codes[i]` indexes `labels`, and labels.length marks a row without a usable value.
   */
  addEncoded(labels: readonly string[], codes: Uint16Array, selected: Uint8Array, outcome: Uint8Array, score?: Float32Array): void;
  /** Flushes the pending batch and returns the slice's confusion table. */
  table(): ConfusionTable;
  /**
   * The slice's calibration bins, as the gateway's window reader builds them (rows without
   * a score simply fill no bin); null when a score fell outside [0, 1], because such scores
   * are not probabilities (the gateway refuses them at ingestion).
   */
  calibration(): CalibrationTable | null;
  /** The gate's input for this slice: name, attributes, table and calibration. */
  sliceTable(): SliceTable;
}

/** Raised when a slice exceeds the kernels' 65,535 distinct groups. */
export class TooManyGroupsError extends Error {}

/**
 * Creates a slice over `parts` of the sensitive values (`attributes` names them);
 * `calibrationBins` is the policy's (resolvePolicy), as in the gateway.
 */
/**
 * A row's group value in the slice made of `parts` (indices into the row's sensitive
 * `values`): the attribute's value, or for an intersection the domain's intersection label
 * (escapes a "|" inside a value), as the gateway names it. Null when the row lacks a value
 * the slice needs (unusable for it). Shared by the slices here and `--sweep`'s (cli/sweep).
 */
export function sliceValue(values: readonly (string | null)[], parts: readonly number[]): string | null {
  if (parts.length === 1) return values[parts[0]!] ?? null;
  const vs: string[] = [];
  for (const p of parts) {
    const v = values[p];
    if (v === null || v === undefined) return null;
    vs.push(v);
  }
  return intersectionValue(vs);
}

export function createSlice(name: string, attributes: string[], parts: number[], kernels: Kernels, batchRows = BATCH_ROWS, calibrationBins?: number): Slice {
  const acc = createTableAccumulator(kernels, calibrationBins === undefined ? {} : { calibrationBins });
  const group = new Uint16Array(batchRows);
  const selected = new Uint8Array(batchRows);
  const outcome = new Uint8Array(batchRows);
  const scores = new Float32Array(batchRows);
  let scored = false;
  // Calibration compares scores with outcome rates, so it needs probabilities in [0, 1].
  let unitScores = true;
  let len = 0;
  const flush = () => {
    if (len === 0) return;
    acc.add(group.subarray(0, len), selected.subarray(0, len), outcome.subarray(0, len), scored ? scores.subarray(0, len) : undefined);
    len = 0;
  };
  const code = (value: string) => {
    try {
      return acc.code(value);
    } catch (err) {
      if (err instanceof RangeError) throw new TooManyGroupsError(`more than 65,535 distinct values for ${JSON.stringify(name)}`);
      throw err;
    }
  };
  const slice: Slice = {
    name,
    parts,
    add(values, sel, out, score) {
      const value = sliceValue(values, parts);
      if (value === null) return;
      group[len] = code(value);
      selected[len] = sel;
      outcome[len] = out;
      if (score !== undefined && !scored) {
        // The first score: earlier rows of this batch had none.
        scored = true;
        scores.fill(NaN, 0, len);
      }
      if (scored) scores[len] = score ?? NaN;
      if (score !== undefined && (score < 0 || score > 1)) unitScores = false;
      if (++len === batchRows) flush();
    },
    addEncoded(labels, codes, sel, out, score) {
      flush();
      if (labels.length === 0) return; // no usable row in this batch
      if (score !== undefined && unitScores) {
        // As add(): only rows usable for this slice decide whether scores are probabilities.
        const absent = labels.length;
        for (let i = 0; i < codes.length; i++) if (codes[i] !== absent && !(score[i]! >= 0 && score[i]! <= 1)) unitScores = false;
      }
      try {
        acc.addEncoded(labels, codes, sel.subarray(0, codes.length), out.subarray(0, codes.length), score?.subarray(0, codes.length));
      } catch (err) {
        if (err instanceof RangeError) throw new TooManyGroupsError(`more than 65,535 distinct values for ${JSON.stringify(name)}`);
        throw err;
      }
    },
    table() {
      flush();
      return acc.table();
    },
    calibration() {
      flush();
      return unitScores ? acc.calibration() : null;
    },
    sliceTable() {
      return { name, attributes, table: slice.table(), calibration: slice.calibration() };
    },
  };
  return slice;
}

/**
 * The slices a gateway policy with these sensitive attributes evaluates (domain `slicesOf`):
 * each attribute alone, then their intersection when there are several. Row values are
 * passed to `add` in the order of `attributes`.
 */
export function createSlices(attributes: string[], kernels: Kernels, batchRows = BATCH_ROWS, calibrationBins?: number): Slice[] {
  return slicesOf(attributes).map((spec) =>
    createSlice(spec.name, spec.attributes, spec.attributes.map((a) => attributes.indexOf(a)), kernels, batchRows, calibrationBins),
  );
}
