/**
 * @module domain/encoded-segment
 * A packed segment's columns: one (flow, UTC day) run of traces as typed arrays. The
 * engine encodes it (engine/segment-codec.ts) and the store writes it (store/tenant/
 * segments.ts); the shape lives here because the store never imports the engine.
 */

export interface EncodedSegment {
  day: number;
  rowCount: number;
  createdMin: number;
  createdMax: number;
  /** Milliseconds into the day, per trace. */
  time: Uint32Array;
  selected: Uint8Array;
  /** 0, 1, or 255 (unknown) as packed: late outcomes are kept as deltas beside it. */
  outcome: Uint8Array;
  /** NaN = no score. */
  score: Float32Array;
  columns: { attribute: string; dict: string[]; codes: Uint16Array }[];
  /** Attributes with more distinct values than a column holds: read from the trace rows instead. */
  unpackedAttributes: string[];
}
