/**
 * @module engine/window
 * Turns a flow's rolling window of decision traces into a confusion table: reads
 * bounded pages of rows, dictionary-encodes the sensitive attribute into columns
 * and feeds them to the metric kernels. Memory stays bounded by the page size.
 */
import { type ConfusionTable, type GroupCounts } from "../domain/confusion.js";
import type { TraceStore, WindowRow } from "../store/tenant/traces.js";
import { groupLabel } from "./segment-codec.js";
import { CONFUSION_FIELDS, type Kernels, OUTCOME_UNKNOWN } from "./kernels/types.js";

/** Reads a window's confusion table; implementations differ only in where rows come from. */
export interface WindowReader {
  confusionTable(flowKey: string, attribute: string, from: Date, to: Date): Promise<ConfusionTable>;
}

/** Converts a kernel's flat counts (groupCount × CONFUSION_FIELDS) plus the dictionary into a table. */
export function tableFromCounts(dictionary: string[], counts: Uint32Array): ConfusionTable {
  const groups: GroupCounts[] = dictionary.map((value, g) => {
    const o = g * CONFUSION_FIELDS;
    const c = (i: number) => counts[o + i] ?? 0;
    return { value, n: c(0), selected: c(1), labeled: c(2), positives: c(3), tp: c(4), fp: c(5), fn: c(6), tn: c(7) };
  });
  return { groups: groups.filter((g) => g.n > 0).sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)) };
}

/** Incrementally dictionary-encodes group values and accumulates kernel counts across batches. */
export function createTableAccumulator(kernels: Kernels) {
  const dict = new Map<string, number>();
  const values: string[] = [];
  let counts = new Uint32Array(0);
  return {
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
    /** Adds one batch of encoded columns. */
    add(group: Uint16Array, selected: Uint8Array, outcome: Uint8Array): void {
      if (counts.length < values.length * CONFUSION_FIELDS) {
        const grown = new Uint32Array(values.length * CONFUSION_FIELDS);
        grown.set(counts);
        counts = grown;
      }
      kernels.confusion({ group, selected, outcome }, values.length, counts);
    },
    table(): ConfusionTable {
      return tableFromCounts(values, counts);
    },
  };
}

/** Encodes window rows (group as JSON text) into columns and adds them to an accumulator. */
export function addRows(acc: ReturnType<typeof createTableAccumulator>, rows: WindowRow[]): void {
  const group = new Uint16Array(rows.length);
  const selected = new Uint8Array(rows.length);
  const outcome = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    group[i] = acc.code(groupLabel(JSON.parse(r.group))!);
    selected[i] = r.selected;
    outcome[i] = r.converted === null ? OUTCOME_UNKNOWN : r.converted;
  });
  acc.add(group, selected, outcome);
}

/**
 * The row path: pages of rows via SQL, encoded into columns in JS. Used for the
 * not-yet-packed tail of the columnar path (`unpackedOnly`), and on its own as
 * the oracle the columnar path is tested against.
 */
export function createRowWindowReader(traces: TraceStore, kernels: Kernels, opts: { pageSize?: number; unpackedOnly?: boolean } = {}): WindowReader {
  const pageSize = opts.pageSize ?? 20_000;
  return {
    async confusionTable(flowKey, attribute, from, to) {
      const acc = createTableAccumulator(kernels);
      let after: { createdAt: number; seq: number } | null = null;
      for (;;) {
        const rows = await traces.readWindowPage(flowKey, attribute, from.getTime(), to.getTime(), after, pageSize, opts.unpackedOnly ?? false);
        if (rows.length === 0) break;
        addRows(acc, rows);
        const last = rows[rows.length - 1]!;
        after = { createdAt: last.createdAt, seq: last.seq };
        if (rows.length < pageSize) break;
      }
      return acc.table();
    },
  };
}
