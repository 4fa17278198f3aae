/**
 * @module engine/columnar-window
 * The columnar path: a window is its packed segments (BLOB columns fed straight
 * to the kernels, one segment at a time so memory stays bounded) plus the
 * not-yet-packed tail read row-wise. Late outcomes are merged from deltas.
 * Must give exactly the row path's table on the same data (contract-tested).
 */
import { type ConfusionTable, mergeTables } from "../domain/confusion.js";
import type { SegmentMeta, SegmentStore } from "../store/tenant/segments.js";
import type { TraceStore } from "../store/tenant/traces.js";
import type { Kernels } from "./kernels/types.js";
import { blobBytes, blobView, DAY_MS } from "./segment-codec.js";
import { addRows, createRowWindowReader, createTableAccumulator, tableFromCounts, type WindowReader } from "./window.js";

/** Keeps only entries whose time lies in [from, to). */
function filterByTime(time: Uint32Array, dayStart: number, from: number, to: number, cols: { codes: Uint16Array; selected: Uint8Array; outcome: Uint8Array }) {
  let n = 0;
  const keep = new Uint8Array(time.length);
  for (let i = 0; i < time.length; i++) {
    const t = dayStart + time[i]!;
    if (t >= from && t < to) {
      keep[i] = 1;
      n++;
    }
  }
  const codes = new Uint16Array(n);
  const selected = new Uint8Array(n);
  const outcome = new Uint8Array(n);
  for (let i = 0, j = 0; i < time.length; i++) {
    if (!keep[i]) continue;
    codes[j] = cols.codes[i]!;
    selected[j] = cols.selected[i]!;
    outcome[j] = cols.outcome[i]!;
    j++;
  }
  return { codes, selected, outcome };
}

/** Creates the columnar window reader over a tenant's segment and trace stores. */
export function createColumnarWindowReader(stores: { traces: TraceStore; segments: SegmentStore }, kernels: Kernels): WindowReader {
  async function segmentTable(meta: SegmentMeta, attribute: string, from: number, to: number): Promise<ConfusionTable> {
    const data = await stores.segments.load(meta, attribute);
    if (!data.codes || !data.dict) {
      if (!meta.unpackedAttributes.includes(attribute)) return { groups: [] }; // no trace in it carries the attribute
      // Too many distinct values to pack: read this segment's rows instead.
      const acc = createTableAccumulator(kernels);
      addRows(acc, (await stores.traces.segmentRows(meta.id, attribute)).filter((r) => r.createdAt >= from && r.createdAt < to));
      return acc.table();
    }
    let codes = blobView(data.codes, Uint16Array);
    let selected = blobBytes(data.selected);
    // Copy: late outcomes are patched in without touching the stored bytes.
    let outcome = new Uint8Array(blobBytes(data.outcome));
    for (const d of await stores.segments.deltas(meta.id)) outcome[d.pos] = d.outcome;
    if (meta.createdMin < from || meta.createdMax >= to) {
      ({ codes, selected, outcome } = filterByTime(blobView(data.time, Uint32Array), meta.day * DAY_MS, from, to, { codes, selected, outcome }));
    }
    // Code dict.length marks "attribute absent": it is counted by the kernel and then dropped.
    const counts = kernels.confusion({ group: codes, selected, outcome }, data.dict.length + 1);
    return tableFromCounts(data.dict, counts);
  }

  return {
    async confusionTable(flowKey, attribute, from, to) {
      const f = from.getTime();
      const t = to.getTime();
      const parts: ConfusionTable[] = [];
      for (const meta of await stores.segments.listForWindow(flowKey, f, t)) parts.push(await segmentTable(meta, attribute, f, t));
      parts.push(await createRowWindowReader(stores.traces, kernels, { unpackedOnly: true }).confusionTable(flowKey, attribute, from, to));
      return mergeTables(parts);
    },
  };
}
