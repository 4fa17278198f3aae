/**
 * @module engine/segment-codec
 * Encodes a day's traces into columns (pure): dictionary-encoded attribute
 * columns, selection, outcome, score and time-of-day. Group labels come from
 * domain/slices.groupLabel, shared by the row and columnar paths, the replay
 * and the CLI so they can never disagree.
 */
import type { EncodedSegment } from "../domain/encoded-segment.js";
import { groupLabel } from "../domain/slices.js";
import { OUTCOME_UNKNOWN } from "./kernels/types.js";

/** Most distinct values an attribute may have in one segment to be packed as a column. */
export const MAX_PACKED_DICTIONARY = 1024;
export const DAY_MS = 86_400_000;
export type { EncodedSegment };

/** A trace row as the packer reads it. */
export interface PackRow {
  seq: number;
  createdAt: number;
  attributes: Record<string, unknown>;
  selected: number;
  converted: number | null;
  score: number | null;
}


/** Encodes rows of one (flow, day) into columns. Rows must all fall on `day`. */
export function encodeSegment(day: number, rows: PackRow[]): EncodedSegment {
  const n = rows.length;
  const time = new Uint32Array(n);
  const selected = new Uint8Array(n);
  const outcome = new Uint8Array(n);
  const score = new Float32Array(n);
  const dicts = new Map<string, Map<string, number>>();
  const tooMany = new Set<string>();
  const dayStart = day * DAY_MS;
  let createdMin = Infinity;
  let createdMax = -Infinity;
  rows.forEach((r, i) => {
    time[i] = r.createdAt - dayStart;
    selected[i] = r.selected;
    outcome[i] = r.converted === null ? OUTCOME_UNKNOWN : r.converted;
    score[i] = r.score === null ? NaN : r.score;
    createdMin = Math.min(createdMin, r.createdAt);
    createdMax = Math.max(createdMax, r.createdAt);
    for (const [name, v] of Object.entries(r.attributes)) {
      const label = groupLabel(v);
      if (label === null || tooMany.has(name)) continue;
      let d = dicts.get(name);
      if (!d) dicts.set(name, (d = new Map()));
      if (!d.has(label)) {
        if (d.size >= MAX_PACKED_DICTIONARY) {
          tooMany.add(name);
          dicts.delete(name);
          continue;
        }
        d.set(label, d.size);
      }
    }
  });
  const columns = [...dicts.entries()].map(([attribute, d]) => {
    const missing = d.size;
    const codes = new Uint16Array(n);
    rows.forEach((r, i) => {
      const label = groupLabel(r.attributes[attribute]);
      codes[i] = label === null ? missing : d.get(label)!;
    });
    return { attribute, dict: [...d.keys()], codes };
  });
  return { day, rowCount: n, createdMin, createdMax, time, selected, outcome, score, columns, unpackedAttributes: [...tooMany].sort() };
}

/** Views a stored BLOB as a typed array, copying only when the bytes are misaligned. */
export function blobView<T extends Uint16Array | Uint32Array | Float32Array>(
  blob: ArrayBuffer | Uint8Array,
  ctor: { new (buf: ArrayBuffer, off: number, len: number): T; new (len: number): T; BYTES_PER_ELEMENT: number },
): T {
  const bytes = blob instanceof Uint8Array ? blob : new Uint8Array(blob);
  const len = bytes.byteLength / ctor.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % ctor.BYTES_PER_ELEMENT === 0) return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, len);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new ctor(copy.buffer, 0, len);
}

/** A BLOB's bytes as a Uint8Array. */
export function blobBytes(blob: ArrayBuffer | Uint8Array): Uint8Array {
  return blob instanceof Uint8Array ? blob : new Uint8Array(blob);
}
