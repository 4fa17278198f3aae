/**
 * @module engine/ports
 * What the engine reads a window through. The tenant store implements
 * `WindowSource` (store/tenant/window-reads.ts + segments.ts, exposed as
 * `TenantStore.window`) without importing the engine: the shapes below are the
 * contract, checked by the compiler wherever a store is handed to a reader.
 * Times are epoch milliseconds; group values are the attribute's JSON text
 * (typed, so "1", 1 and true stay distinct), null when absent.
 */
import type { SummaryCounts } from "../domain/summary-codec.js";

/** One trace of the window projected to the requested attributes. */
export interface SliceWindowRow {
  seq: number;
  createdAt: number;
  /** JSON text of each requested attribute's value (null when absent), in request order. */
  groups: (string | null)[];
  selected: number;
  converted: number | null;
  score: number | null;
}

/**
 * One page of the unpacked tail, column by column: entry i of every array is the page's
 * i-th trace (one carrying at least one requested attribute), in (UTC day, seq) order.
 */
export interface TailPage {
  seq: number[];
  createdAt: number[];
  /** Each trace's groups: its entry in `groupLists`. */
  groupOf: number[];
  /** The page's distinct group lists, each as SliceWindowRow.groups (read-only: shared by its traces). */
  groupLists: (string | null)[][];
  selected: number[];
  converted: (number | null)[];
  score: (number | null)[];
  /** The flow's packing generation in the page's statement (as WindowSource.segmentList reads it). */
  generation: number;
}

/** A packed segment's metadata: one (flow, UTC day) run of traces in seq order. */
export interface SegmentMeta {
  id: string;
  day: number;
  rowCount: number;
  createdMin: number;
  createdMax: number;
  /** Attributes too diverse to be packed in this segment: their values are only in the rows. */
  unpackedAttributes: string[];
  /** The seq of the segment's first trace (position 0): orders a day's segments by seq. */
  firstSeq: number;
  /** SHA-256 (hex) of the shared columns as packed (engine/segment-summary.ts); null: not computed yet. */
  contentHash?: string | null;
  /** Per attribute, its packed column's SHA-256 (hex), or null: no column; not listed: not computed yet. */
  columnHashes?: Record<string, string | null>;
  /** Outcome deltas recorded for the segment. */
  deltaCount?: number;
  /** Their set digest (domain/delta-digest.ts, 16 u32 lanes); null: not known yet. */
  deltaDigest?: number[] | null;
}

/** A segment's shared columns and, per requested attribute, its packed column (null: not packed). */
export interface SegmentColumns {
  time: ArrayBuffer | Uint8Array;
  selected: ArrayBuffer | Uint8Array;
  outcome: ArrayBuffer | Uint8Array;
  score: ArrayBuffer | Uint8Array;
  columns: ({ dict: string[]; codes: ArrayBuffer | Uint8Array } | null)[];
}

/** A late outcome of a packed trace: its position in the segment and the outcome (0/1). */
export interface OutcomeDelta {
  pos: number;
  outcome: number;
}

/** A recorded request of the window, for replay (the candidate version, the counterfactual). */
export interface SampledRequest {
  seq: number;
  attributes: Record<string, unknown>;
  selected: boolean;
  converted: boolean | null;
}

/** A slice summary as the reader sums it (decoded by domain/summary-codec: parsed, not trusted). */
export type SummaryBody = SummaryCounts;

/** Per-segment statistics next to the segments: what the summarised reader reads and memoises. */
export interface SegmentStatisticsSource {
  /** Stored summaries under `keys` (JSON attribute lists) for the window's segments. */
  windowStatistics(flowKey: string, fromMs: number, toMs: number, keys: readonly string[], bins: number): Promise<{
    /**
     * body: the stored value as read (domain/summary-codec decodes it); deltaCount: the
     * segment's delta count in the same read (the body has exactly those deltas).
     */
    summaries: { segmentId: string; key: string; body: unknown; deltaCount?: number }[];
  }>;
  /** Stores what was computed for a segment read without it, unless a delta committed since `deltaCount`. */
  memoiseSegment(segmentId: string, deltaCount: number, m: {
    contentHash?: string;
    columnHashes?: { attribute: string; hash: string | null }[];
    deltaDigest?: number[];
    summaries?: { attributes: readonly string[]; bins: number; body: SummaryBody }[];
  }): Promise<void>;
}

/** Where window reads come from. Every method is tenant-scoped by the implementation. */
export interface WindowSource {
  /** One page of the window in (created_at, seq) order after `after` (the row path: packed or not). */
  readSliceWindowPage(flowKey: string, attributes: readonly string[], fromMs: number, toMs: number, after: { createdAt: number; seq: number } | null, limit: number): Promise<SliceWindowRow[]>;
  /** One page of up to `limit` not-yet-packed traces in (UTC day, seq) order after `after` (the segment paths' tail). */
  readTailPage(flowKey: string, attributes: readonly string[], fromMs: number, toMs: number, after: { day: number; seq: number } | null, limit: number): Promise<TailPage>;
  /**
   * Segments of a flow overlapping [fromMs, toMs), in (day, first seq) order, with the flow's
   * packing generation read in the same statement (one state).
   * Every change of what is packed (a pack, an unpack, an erasure, retention) bumps it in its
   * own commit, so an equal `packingGeneration` after a read's last statement means none fell
   * between its reads (engine/consistent-read).
   */
  segmentList(flowKey: string, fromMs: number, toMs: number): Promise<{ generation: number; segments: SegmentMeta[] }>;
  /** The flow's packing generation now. */
  packingGeneration(flowKey: string): Promise<number>;
  /** A segment's columns for `attributes`; SegmentChangedError (domain/errors) for a segment no longer stored. */
  loadSegmentColumns(meta: SegmentMeta, attributes: readonly string[]): Promise<SegmentColumns>;
  /** Late outcomes recorded for a segment's traces. */
  segmentDeltas(segmentId: string): Promise<OutcomeDelta[]>;
  /** Every trace of one segment carrying one of `attributes`, in segment order (the fallback). */
  segmentSliceRows(segmentId: string, attributes: readonly string[]): Promise<SliceWindowRow[]>;
  /** A seeded sample (without replacement) of up to `limit` recorded requests, in sample order. */
  sampleWindow(flowKey: string, fromMs: number, toMs: number, limit: number, seed: number): Promise<SampledRequest[]>;
}
