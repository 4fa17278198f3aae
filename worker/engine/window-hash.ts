/**
 * @module engine/window-hash
 * Feeds row-wise window reads to the dataset hash (engine/dataset-hash.ts) in its
 * canonical (UTC day, seq) order: row pages (the row path, segment fallbacks and the
 * columnar tail) and — for the row path only — a one-day buffer that restores seq
 * order within a day. Segment columns go to `DatasetHasher.columns` directly.
 */
import type { DatasetHasher } from "./dataset-hash.js";
import { OUTCOME_UNKNOWN } from "./kernels/types.js";
import { DAY_MS } from "./segment-codec.js";
import type { SliceWindowRow } from "./ports.js";

/** Receives one usable row; `labels` has one group label per evaluated attribute (null: absent). */
export type RowSink = (seq: number, day: number, time: number, selected: number, outcome: number, score: number, labels: readonly (string | null)[]) => void;

/** A sink for rows that already arrive in canonical order (segment fallbacks, the day-ordered tail). */
export function direct(h: DatasetHasher): RowSink {
  return (_seq, day, time, selected, outcome, score, labels) => h.row(day, time, selected, outcome, score, labels);
}

/** The UTC day of an epoch-ms timestamp (SQL's `created_at / 86400000` for the window's non-negative times). */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

/** A growable typed column. */
class Column<T extends Float64Array | Uint32Array | Uint8Array> {
  constructor(public a: T) {}
  push(i: number, v: number): void {
    if (i === this.a.length) {
      const grown = new (this.a.constructor as new (n: number) => T)(2 * i);
      grown.set(this.a);
      this.a = grown;
    }
    this.a[i] = v;
  }
}

/**
 * Puts rows that arrive in (created_at, seq) order — the row path's pages — into
 * (day, seq) order. A day's rows are contiguous in that order, so one day at a time is
 * buffered (typed columns, labels as per-day codes: ~30 bytes a row) and emitted sorted
 * by seq when the next day starts. Memory grows with the busiest day: acceptable for the
 * row path, which is the oracle (tests, benchmarks); the production (columnar) path never
 * buffers, as its tail query returns (day, seq) order from an index.
 */
export function createDayOrderer(h: DatasetHasher, k: number): { add: RowSink; finish(): void } {
  let day = NaN;
  let n = 0;
  const seq = new Column(new Float64Array(1024));
  const time = new Column(new Uint32Array(1024));
  const selected = new Column(new Uint8Array(1024));
  const outcome = new Column(new Uint8Array(1024));
  const score = new Column(new Float64Array(1024));
  // Per attribute: label codes per row (0: absent) and the day's labels by code - 1.
  const codes = Array.from({ length: k }, () => new Column(new Uint32Array(1024)));
  let names: string[][] = [];
  let index: Map<string, number>[] = [];
  const reset = () => {
    n = 0;
    names = Array.from({ length: k }, () => []);
    index = Array.from({ length: k }, () => new Map());
  };
  reset();
  const flush = () => {
    const s = seq.a;
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = s[i - 1]! < s[i]!;
    // Recorded traffic usually arrives in seq order already; back-fill does not.
    const order = sorted ? null : Array.from({ length: n }, (_, i) => i).sort((a, b) => s[a]! - s[b]!);
    const labels: (string | null)[] = new Array(k);
    for (let q = 0; q < n; q++) {
      const i = order ? order[q]! : q;
      for (let j = 0; j < k; j++) {
        const c = codes[j]!.a[i]!;
        labels[j] = c === 0 ? null : names[j]![c - 1]!;
      }
      h.row(day, time.a[i]!, selected.a[i]!, outcome.a[i]!, score.a[i]!, labels);
    }
    reset();
  };
  return {
    add(sq, d, t, sel, out, sc, labels) {
      if (d !== day) {
        flush();
        day = d;
      }
      seq.push(n, sq);
      time.push(n, t);
      selected.push(n, sel);
      outcome.push(n, out);
      score.push(n, sc);
      for (let j = 0; j < k; j++) {
        const l = labels[j] ?? null;
        let c = 0;
        if (l !== null) {
          c = index[j]!.get(l) ?? 0;
          if (c === 0) index[j]!.set(l, (c = names[j]!.push(l)));
        }
        codes[j]!.push(n, c);
      }
      n++;
    },
    finish: flush,
  };
}

/**
 * Sends rows[start, end) with their group labels (rowLabels; null: attribute absent) to
 * `sink`, skipping rows that carry none of the attributes (the slice tables skip them too).
 */
export function hashSliceRows(sink: RowSink, rows: readonly SliceWindowRow[], labels: readonly (string | null)[][], start = 0, end = rows.length): void {
  for (let i = start; i < end; i++) {
    const r = rows[i]!;
    const ls = labels[i]!;
    if (ls.every((l) => l === null)) continue;
    const day = dayOf(r.createdAt);
    sink(r.seq, day, r.createdAt - day * DAY_MS, r.selected, r.converted === null ? OUTCOME_UNKNOWN : r.converted, r.score === null ? NaN : r.score, ls);
  }
}
