/**
 * @module store/tenant/segment-list
 * A window's packed segments as the readers list them, parsed with zod (stored digests
 * that are not well formed read as missing; a packing layout that is not fails closed),
 * with the flow's packing generation read in the same statement.
 */
import { z } from "zod";
import { DELTA_LANES } from "../../domain/delta-digest.js";
import { StoredRecordError } from "../../domain/errors.js";
import { type Client, read } from "../sql.js";
import { GENERATION_SQL } from "./packing-generation.js";

/** A stored JSON text as a value (undefined when it is not JSON), for a schema to parse. */
function storedJson(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  try {
    return JSON.parse(String(v));
  } catch {
    return undefined;
  }
}
// Segment metadata is parsed on every gate for every segment of the window (hundreds), so
// each schema is one check over the whole value rather than one per element and bound.
const HEX_DIGEST = /^[0-9a-f]{64}$/;
const isHexDigest = (v: unknown): v is string => typeof v === "string" && HEX_DIGEST.test(v);
const isU32 = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const hexDigest = z.custom<string>(isHexDigest);
const unpackedSchema = z.custom<string[]>((v) => Array.isArray(v) && v.every((x) => typeof x === "string"));
const columnHashesSchema = z.custom<Record<string, string | null>>(
  (v) => v !== null && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((h) => h === null || isHexDigest(h)),
);
const deltaDigestSchema = z.custom<number[]>((v) => Array.isArray(v) && v.length === DELTA_LANES && v.every(isU32));

/**
 * The flow's segments overlapping [fromMs, toMs), metadata only, in (day, seq) order — the
 * dataset hash's order — with the flow's packing generation, from one statement (one state).
 * A segment holds the lowest seqs of its day that were unpacked when it was packed
 * (unpackedRows: ORDER BY seq; the guarded UPDATE marks exactly those), and a new trace
 * always gets a higher seq than every existing one (seq is the rowid and traces are never
 * deleted) — so a day's segments cover disjoint, increasing seq ranges, ordered by their
 * first seq, and the day's unpacked tail comes after all of them.
 */
export function createSegmentList(db: Client, tenantId: string) {
  return async function segmentList(flowKey: string, fromMs: number, toMs: number) {
    const rs = await read(db, {
      // Position 0 holds the segment's lowest seq: one lookup in decision_traces_segment.
      // The generation row always comes back (LEFT JOIN), with the segments or without any.
      sql: `SELECT g.generation, x.* FROM (SELECT ${GENERATION_SQL} AS generation) g LEFT JOIN (
              SELECT s.id, s.day, s.row_count, s.created_min, s.created_max, s.unpacked_attributes,
                (SELECT d.seq FROM decision_traces d WHERE d.segment_id = s.id AND d.segment_pos = 0) AS first_seq,
                st.content_hash, st.column_hashes, st.delta_count, st.delta_digest
              FROM trace_segments s LEFT JOIN segment_stats st ON st.segment_id = s.id
              WHERE s.tenant_id = ? AND s.flow_key = ? AND s.day >= ? AND s.day <= ? AND s.created_max >= ? AND s.created_min < ?
            ) x ON 1 ORDER BY x.day, x.first_seq, x.id`,
      args: [tenantId, flowKey, tenantId, flowKey, Math.floor(fromMs / 86_400_000), Math.floor(toMs / 86_400_000), fromMs, toMs],
    });
    const generation = Number(rs.rows[0]?.generation ?? 0);
    const segments = rs.rows.filter((r) => r.id !== null && r.id !== undefined).map((r) => {
      // The packing layout itself: without it the segment cannot be read, so the read fails closed.
      const unpacked = unpackedSchema.safeParse(storedJson(r.unpacked_attributes));
      if (!unpacked.success) throw new StoredRecordError("trace_segments.unpacked_attributes", [`segment ${String(r.id)}: not a list of attribute names`]);
      // Stored digests are parsed, not trusted: one that is not well formed reads as missing,
      // so the segment is hashed from its columns and deltas instead.
      const hashes = columnHashesSchema.safeParse(storedJson(r.column_hashes));
      const digest = deltaDigestSchema.safeParse(storedJson(r.delta_digest));
      const content = hexDigest.safeParse(r.content_hash);
      return {
        id: String(r.id),
        day: Number(r.day),
        rowCount: Number(r.row_count),
        createdMin: Number(r.created_min),
        createdMax: Number(r.created_max),
        unpackedAttributes: unpacked.data,
        firstSeq: Number(r.first_seq),
        contentHash: content.success ? content.data : null,
        columnHashes: hashes.success ? hashes.data : {},
        // No stats row (cannot happen after migration 0011): unknown, so nothing is memoised.
        deltaCount: r.delta_count === null || r.delta_count === undefined ? -1 : Number(r.delta_count),
        deltaDigest: digest.success ? digest.data : null,
      };
    });
    return { generation, segments };
  }
}
