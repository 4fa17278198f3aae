/**
 * @module engine/window
 * Turns a flow's rolling window of decision traces into slice tables (confusion
 * counts and calibration bins per group, for each sensitive attribute and their
 * intersection): reads bounded pages of rows, dictionary-encodes group values
 * into columns and feeds them to the kernels. Every slice is filled in ONE pass
 * over the rows; memory stays bounded by the page size. `readWindow` also computes
 * the dataset hash in that same pass (engine/dataset-hash.ts).
 */
import { type CalibrationTable, DEFAULT_CALIBRATION_BINS } from "../domain/calibration.js";
import { type ConfusionTable, type GroupCounts } from "../domain/confusion.js";
import { groupLabel, intersectionValue, type SliceSpec, type SliceTable, slicesOf } from "../domain/slices.js";
import { type CalibrationBatch, createCalibrationAccumulator } from "./calibration-accumulator.js";
import { createDatasetHasher } from "./dataset-hash.js";
import { CONFUSION_FIELDS, type Kernels, OUTCOME_UNKNOWN } from "./kernels/types.js";
import type { SliceWindowRow, SummaryBody, WindowSource } from "./ports.js";
import { createDayOrderer, hashSliceRows } from "./window-hash.js";

export interface SliceTableOptions {
  /** Score bins for calibration (default 10). */
  calibrationBins?: number;
  /** Rows per dataset-hash chunk. Part of the hash format: tests only (see dataset-hash.ts). */
  datasetChunkRows?: number;
}

/** A window read for an evaluation: its slice tables and the dataset hash of the rows they count. */
export interface WindowRead {
  slices: SliceTable[];
  /** SHA-256 (hex) of the usable rows in canonical order (format in engine/dataset-hash.ts). */
  datasetHash: string;
  /** Usable rows hashed: those carrying at least one of the attributes. */
  rows: number;
}

/** Reads a window's tables; implementations differ only in where rows come from. */
export interface WindowReader {
  /** One attribute's confusion table (the first slice of a one-attribute read). */
  confusionTable(flowKey: string, attribute: string, from: Date, to: Date): Promise<ConfusionTable>;
  /** Every slice of `attributes` (each alone, then their intersection), in one pass over the window. */
  sliceTables(flowKey: string, attributes: readonly string[], from: Date, to: Date, opts?: SliceTableOptions): Promise<SliceTable[]>;
  /** The slice tables plus the dataset hash, both from the same single pass (what an evaluation stores). */
  readWindow(flowKey: string, attributes: readonly string[], from: Date, to: Date, opts?: SliceTableOptions): Promise<WindowRead>;
}

const byValue = (a: GroupCounts, b: GroupCounts) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);

/** Converts a kernel's flat counts (groupCount × CONFUSION_FIELDS) plus the dictionary into a table. */
export function tableFromCounts(dictionary: readonly string[], counts: Uint32Array): ConfusionTable {
  const groups: GroupCounts[] = dictionary.map((value, g) => {
    const o = g * CONFUSION_FIELDS;
    const c = (i: number) => counts[o + i] ?? 0;
    return { value, n: c(0), selected: c(1), labeled: c(2), positives: c(3), tp: c(4), fp: c(5), fn: c(6), tn: c(7) };
  });
  return { groups: groups.filter((g) => g.n > 0).sort(byValue) };
}

/** One read of a window: all slices, plus the dataset hash when `hash` is set. */
export type WindowReadFn = (flowKey: string, attributes: readonly string[], from: Date, to: Date, o: SliceTableOptions, hash: boolean) => Promise<WindowRead>;

/** The WindowReader interface over one read function (shared by the row and columnar paths). */
export function windowReaderOver(read: WindowReadFn): WindowReader {
  const reader: WindowReader = {
    async confusionTable(flowKey, attribute, from, to) {
      return (await reader.sliceTables(flowKey, [attribute], from, to))[0]!.table;
    },
    async sliceTables(flowKey, attributes, from, to, o = {}) {
      return (await read(flowKey, attributes, from, to, o, false)).slices;
    },
    readWindow(flowKey, attributes, from, to, o = {}) {
      return read(flowKey, attributes, from, to, o, true);
    },
  };
  return reader;
}

/**
 * Incrementally dictionary-encodes group values and accumulates kernel counts (and,
 * when scores are given, calibration bins) across batches.
 */
export function createTableAccumulator(kernels: Kernels, opts: SliceTableOptions = {}) {
  const dict = new Map<string, number>();
  const values: string[] = [];
  let counts = new Uint32Array(0);
  const cal = createCalibrationAccumulator(kernels, opts.calibrationBins ?? DEFAULT_CALIBRATION_BINS);
  const grow = () => {
    if (counts.length < values.length * CONFUSION_FIELDS) {
      const grown = new Uint32Array(values.length * CONFUSION_FIELDS);
      grown.set(counts);
      counts = grown;
    }
  };
  const acc = {
    /** How many group values have a code. */
    groups: () => values.length,
    /** Code for a group value, allocating a new one on first sight. */
    code(value: string): number {
      let c = dict.get(value);
      if (c === undefined) {
        if (values.length >= 65_535) throw new RangeError("more than 65,535 distinct sensitive-attribute values");
        c = values.length;
        dict.set(value, c);
        values.push(value);
      }
      return c;
    },
    /** Adds one batch of encoded columns; `score` (f32, NaN = none) feeds calibration. */
    add(group: Uint16Array, selected: Uint8Array, outcome: Uint8Array, score?: Float32Array): void {
      grow();
      kernels.confusion({ group, selected, outcome }, values.length, counts);
      if (score) cal.add(group, score, outcome, values.length, null);
    },
    /**
     * Adds a batch encoded with its own dictionary (a segment column), where code
     * dict.length means "attribute absent": counted by the kernel, then dropped.
     * `score` may come prepared (createCalibrationBatch) when the batch feeds several slices.
     * `sign` −1 takes the batch away again (rows a summary already counted): the counts are
     * u32 and wrap, so the result is exact whatever order the parts arrive in.
     */
    addEncoded(segmentDict: readonly string[], group: Uint16Array, selected: Uint8Array, outcome: Uint8Array, score?: Float32Array | CalibrationBatch, sign: 1 | -1 = 1): void {
      const map = segmentDict.map((v) => acc.code(v));
      grow();
      const part = kernels.confusion({ group, selected, outcome }, segmentDict.length + 1);
      map.forEach((to, from) => {
        for (let f = 0; f < CONFUSION_FIELDS; f++) counts[to * CONFUSION_FIELDS + f]! += sign * part[from * CONFUSION_FIELDS + f]!;
      });
      if (score) cal.add(group, score, outcome, segmentDict.length + 1, map, sign);
    },
    /** Adds a segment summary (engine/segment-summary.ts) computed with this accumulator's bins. */
    addSummary(sum: SummaryBody): void {
      const map = sum.v.map((v) => acc.code(v));
      grow();
      map.forEach((to, from) => {
        for (let f = 0; f < CONFUSION_FIELDS; f++) counts[to * CONFUSION_FIELDS + f]! += sum.c[from * CONFUSION_FIELDS + f]!;
      });
      cal.addBins(map, sum.k, sum.p, sum.s);
    },
    table(): ConfusionTable {
      return tableFromCounts(values, counts);
    },
    calibration(): CalibrationTable {
      return cal.table(values);
    },
  };
  return acc;
}
export type TableAccumulator = ReturnType<typeof createTableAccumulator>;

/** One accumulator per slice. */
export function createSliceAccumulators(kernels: Kernels, attributes: readonly string[], opts: SliceTableOptions = {}) {
  const specs = slicesOf([...attributes]);
  const accs = specs.map(() => createTableAccumulator(kernels, opts));
  return {
    specs,
    accs,
    /** Every slice's calibration bins. */
    bins: opts.calibrationBins ?? DEFAULT_CALIBRATION_BINS,
    /** The slice tables accumulated so far. */
    tables(): SliceTable[] {
      return specs.map((s: SliceSpec, i) => ({ name: s.name, attributes: s.attributes, table: accs[i]!.table(), calibration: accs[i]!.calibration() }));
    },
  };
}

/**
 * A group value's label (domain/slices groupLabel of its JSON text; null: absent), each
 * distinct text parsed once: a page repeats few distinct values.
 */
export function createLabeller(): (g: string | null) => string | null {
  const seen = new Map<string, string | null>();
  return (g) => {
    if (g === null) return null;
    let l = seen.get(g);
    if (l === undefined) seen.set(g, (l = groupLabel(JSON.parse(g))));
    return l;
  };
}

/**
 * Each row's group label per attribute (first `k` projected attributes; null: absent or empty).
 * Rows whose `groups` are one array (the tail's store shares one per distinct text) share one
 * labels array too, which addSliceRows then codes once: treat both as read-only.
 */
export function rowLabels(rows: readonly SliceWindowRow[], k: number): (string | null)[][] {
  const label = createLabeller();
  const byGroups = new Map<readonly (string | null)[], (string | null)[]>();
  return rows.map((r) => {
    let out = byGroups.get(r.groups);
    if (out) return out;
    out = new Array<string | null>(k);
    for (let j = 0; j < k; j++) {
      const g = r.groups[j];
      out[j] = g === null || g === undefined ? null : label(g);
    }
    byGroups.set(r.groups, out);
    return out;
  });
}

/**
 * Adds rows projected to `attributes` to every slice: a row counts in a slice when it
 * carries all of the slice's attributes. Scores are rounded to f32, as segments store them.
 * `labels` (rowLabels of the rows) may be passed when the caller needs them too.
 */
export function addSliceRows(s: ReturnType<typeof createSliceAccumulators>, rows: readonly SliceWindowRow[], labels?: (string | null)[][]): void {
  const n = rows.length;
  // Single-attribute slices come first, one per attribute, in row-projection order.
  const k = s.specs.filter((x) => x.attributes.length === 1).length;
  labels ??= rowLabels(rows, k);
  s.specs.forEach((spec, si) => {
    const idx = spec.attributes.length === 1 ? [si] : spec.attributes.map((_, j) => j);
    const acc = s.accs[si]!;
    const group = new Uint16Array(n);
    const selected = new Uint8Array(n);
    const outcome = new Uint8Array(n);
    const score = new Float32Array(n);
    let m = 0;
    // A row's code, looked up through one map level per attribute of the slice: a
    // combination's label is built (and coded) once, not once per row — and a labels array
    // shared by many rows (rowLabels) is looked up once.
    const root = new Map<string, unknown>();
    const byLabels = new Map<readonly (string | null)[], number>();
    for (let i = 0; i < n; i++) {
      const row = labels[i]!;
      let code = byLabels.get(row);
      if (code === undefined) {
        code = -1;
        let node: Map<string, unknown> = root;
        for (let d = 0; d < idx.length; d++) {
          const l = row[idx[d]!];
          if (l === null || l === undefined) break;
          let next = node.get(l);
          if (next === undefined) {
            next = d === idx.length - 1 ? acc.code(intersectionValue(idx.map((j) => row[j]!))) : new Map<string, unknown>();
            node.set(l, next);
          }
          if (d === idx.length - 1) code = next as number;
          else node = next as Map<string, unknown>;
        }
        byLabels.set(row, code);
      }
      if (code < 0) continue;
      const r = rows[i]!;
      group[m] = code;
      selected[m] = r.selected;
      outcome[m] = r.converted === null ? OUTCOME_UNKNOWN : r.converted;
      score[m] = r.score === null ? NaN : r.score;
      m++;
    }
    acc.add(group.subarray(0, m), selected.subarray(0, m), outcome.subarray(0, m), score.subarray(0, m));
  });
}

/**
 * Reads the window's rows page by page (bounded memory) into slice accumulators, in
 * (created_at, seq) order; `onPage` sees each page with its labels (the dataset hash).
 */
export async function readRowsInto(
  s: ReturnType<typeof createSliceAccumulators>,
  source: Pick<WindowSource, "readSliceWindowPage">,
  flowKey: string,
  attributes: readonly string[],
  fromMs: number,
  toMs: number,
  opts: { pageSize?: number } = {},
  onPage?: (rows: SliceWindowRow[], labels: (string | null)[][]) => Promise<void>,
): Promise<void> {
  const pageSize = opts.pageSize ?? 20_000;
  let after: { createdAt: number; seq: number } | null = null;
  for (;;) {
    const rows = await source.readSliceWindowPage(flowKey, attributes, fromMs, toMs, after, pageSize);
    if (rows.length === 0) break;
    const labels = rowLabels(rows, attributes.length);
    addSliceRows(s, rows, labels);
    await onPage?.(rows, labels);
    const last = rows[rows.length - 1]!;
    after = { createdAt: last.createdAt, seq: last.seq };
    if (rows.length < pageSize) break;
  }
}

/**
 * The row path: pages of rows via SQL, encoded into columns in JS. The oracle the
 * columnar path is tested against (tables and dataset hash alike).
 */
export function createRowWindowReader(source: Pick<WindowSource, "readSliceWindowPage">, kernels: Kernels, opts: { pageSize?: number } = {}): WindowReader {
  async function read(flowKey: string, attributes: readonly string[], from: Date, to: Date, o: SliceTableOptions, hash: boolean): Promise<WindowRead> {
    const s = createSliceAccumulators(kernels, attributes, o);
    const h = hash ? createDatasetHasher(attributes, o.datasetChunkRows) : null;
    // Pages come in (created_at, seq) order; the hash wants (day, seq): one day is re-sorted at a time.
    const order = h ? createDayOrderer(h, attributes.length) : null;
    const onPage = async (rows: SliceWindowRow[], labels: (string | null)[][]) => {
      hashSliceRows(order!.add, rows, labels);
      await h!.settle();
    };
    await readRowsInto(s, source, flowKey, attributes, from.getTime(), to.getTime(), opts, h ? onPage : undefined);
    order?.finish();
    return { slices: s.tables(), datasetHash: h ? await h.digest() : "", rows: h?.rows ?? 0 };
  }
  return windowReaderOver(read);
}
