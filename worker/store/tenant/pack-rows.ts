/**
 * @module store/tenant/pack-rows
 * The trace columns the packer reads and encodes, and the segment it stores (a pack and a
 * compaction read and store the same).
 */
import type { EncodedSegment } from "../../domain/encoded-segment.js";
import { PROTECTED_OBJECT } from "./protected-attributes.js";
import type { SegmentMemo } from "./segment-summaries.js";

/** A day's traces encoded as columns (engine/segment-codec.ts builds it): what `pack` stores. */
export interface SegmentToStore extends EncodedSegment {
  /** SHA-256 of the shared columns as packed (engine/segment-summary.ts); computed later when absent. */
  contentHash?: string;
  /** Per attribute, its column's hash, or null: the segment has no column for it. */
  columnHashes?: Record<string, string | null>;
  /** Slice summaries computed at pack (the policy's slices). */
  summaries?: SegmentMemo["summaries"];
}

/** A trace row as the packer encodes it (PACK_ROW columns). */
export function packRowOf(r: Record<string, unknown>) {
  return {
    seq: Number(r.seq),
    createdAt: Number(r.created_at),
    // Privacy mode: protected attributes are encoded into the segment like trace attributes (erasure unpacks the day).
    attributes: { ...(r.protected === null || r.protected === undefined ? {} : (JSON.parse(String(r.protected)) as Record<string, unknown>)), ...(JSON.parse(String(r.attributes)) as Record<string, unknown>) },
    selected: Number(r.selected),
    converted: r.converted === null ? null : Number(r.converted),
    score: r.score === null ? null : Number(r.score),
    /** Whether protected attributes were merged in (pack guards their count: an erasure meanwhile aborts it). */
    protected: r.protected !== null && r.protected !== undefined,
    /** When its outcome was recorded (ISO; null: none, or given at insert). */
    outcomeAt: r.outcome_at === null || r.outcome_at === undefined ? null : String(r.outcome_at),
  };
}

/** The columns the packer reads of a trace (mapped by packRowOf). */
export const PACK_ROW = `seq, created_at, attributes, ${PROTECTED_OBJECT} AS protected, selected, converted, outcome_at, score`;
