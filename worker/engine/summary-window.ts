/**
 * @module engine/summary-window
 * The summarised path, what the gate reads a window through: every packed segment
 * wholly inside the window contributes its stored slice summaries (sufficient
 * statistics: confusion counts and calibration bins, engine/segment-summary.ts) and
 * its stored hashes (one Merkle leaf, engine/merkle-hash.ts) — no column is read.
 * Only the unpacked tail (row-wise) and the segments the window's bounds cut (their
 * columns; hashed by their stored leaf plus the bounds) are scanned — a cut segment whose
 * rows outside the bounds are the fewer counts as its summaries less those rows
 * (columnar-window subtractSegmentOutside), else its rows inside are counted as the
 * columnar path does. A segment packed without
 * the statistics this read needs (another attribute set, other calibration bins, or
 * packed before they existed) is read from its columns once and the result memoised.
 * Must give exactly the row path's and the columnar path's tables (contract-tested).
 */
import { deltaDigest } from "../domain/delta-digest.js";
import { slicesOf } from "../domain/slices.js";
import { decodeSummary } from "../domain/summary-codec.js";
import { DEFAULT_CALIBRATION_BINS } from "../domain/calibration.js";
import { type Accumulators, MAX_CODES } from "./column-batch.js";
import { addSegmentColumns, addSegmentRows, subtractSegmentOutside, unpacksAny } from "./columnar-window.js";
import { releaseBlobs } from "./release-blobs.js";
import type { CodedColumn } from "./dataset-hash.js";
import type { Kernels } from "./kernels/types.js";
import { closeRead, consistentRead, type GenerationRead } from "./consistent-read.js";
import { createMerkleHasher, type SegmentLeaf } from "./merkle-hash.js";
import type { SegmentMeta, SegmentStatisticsSource, SummaryBody, WindowSource } from "./ports.js";
import { blobBytes, blobView, DAY_MS } from "./segment-codec.js";
import { segmentColumnHash, segmentContentHash, summariseSegment, summaryKey } from "./segment-summary.js";
import { createSliceAccumulators, type SliceTableOptions, type WindowRead, type WindowReader, windowReaderOver } from "./window.js";
import { mergeSegmentsAndTail, tailPageSize } from "./window-merge.js";

type Source = WindowSource & SegmentStatisticsSource;
/** A whole segment added to the tables: its hash leaf and the memo write of what was computed. */
type Prepared = { leaf: SegmentLeaf; memo: Promise<void> | null };

/** A segment's columns and outcome deltas, as read for counting it from its columns. */
type SegmentData = { data: Awaited<ReturnType<Source["loadSegmentColumns"]>>; deltas: Awaited<ReturnType<Source["segmentDeltas"]>> };

/** A segment's BLOBs as read: its shared columns and its attribute columns' codes. */
const segmentBlobs = (d: SegmentData["data"]) => [d.time, d.selected, d.outcome, d.score, ...d.columns.map((c) => c?.codes)];

/** Whether the window's bounds [f, t) cut the segment (its first or last day). */
const isCut = (meta: SegmentMeta, f: number, t: number) => meta.createdMin < f || meta.createdMax >= t;

/** Whether the segment's stored hashes make its leaf (or no hash is computed). */
const hashedFor = (meta: SegmentMeta, attributes: readonly string[], hashing: boolean) =>
  !hashing || (!!meta.contentHash && !!meta.deltaDigest && attributes.every((a) => a in (meta.columnHashes ?? {})));

/** Whether adding a whole segment reads from the store (cut by the bounds, or statistics or hashes missing). */
function needsRead(meta: SegmentMeta, attributes: readonly string[], keys: readonly string[], stored: Map<string, SummaryBody>, hashing: boolean, f: number, t: number): boolean {
  return isCut(meta, f, t) || !keys.every((k) => stored.has(k)) || !hashedFor(meta, attributes, hashing);
}


/**
 * The stored summaries by segment and key, decoded. The list and the summaries are two
 * reads: a summary whose segment took a delta between them (in either order) holds other
 * deltas than the leaf hashes. It is treated as missing, so the segment's counts and leaf
 * come from one read of its columns and deltas.
 */
function storedSummaries(stats: Awaited<ReturnType<Source["windowStatistics"]>>, segments: readonly SegmentMeta[], bins: number): Map<string, Map<string, SummaryBody>> {
  const summaries = new Map<string, Map<string, SummaryBody>>();
  // Segments repeat a slice's labels: each distinct label list is parsed once per read.
  const labels = new Map<string, string[] | null>();
  const listedDeltas = new Map(segments.map((m) => [m.id, m.deltaCount ?? -1]));
  for (const x of stats.summaries) {
    if (x.deltaCount !== undefined && x.deltaCount !== listedDeltas.get(x.segmentId)) continue;
    let m = summaries.get(x.segmentId);
    if (!m) summaries.set(x.segmentId, (m = new Map()));
    // Parsed, not trusted: a body that is not a summary is treated as missing, so the
    // segment is counted from its columns instead.
    const body = decodeSummary(x.body, bins, labels);
    if (body) m.set(x.key, body);
  }
  return summaries;
}

/** Creates the summarised window reader (the production path). */
export function createSummaryWindowReader(source: Source, kernels: Kernels, opts: { pageSize?: number } = {}): WindowReader {
  const pageSize = opts.pageSize ?? 20_000;

  /** A segment's columns of `attributes` and its outcome deltas, asked for together. */
  const readSegment = (meta: SegmentMeta, attributes: readonly string[]): Promise<SegmentData> =>
    Promise.all([source.loadSegmentColumns(meta, attributes), source.segmentDeltas(meta.id)]).then(([data, deltas]) => ({ data, deltas }));

  /**
   * A segment wholly inside the window: its summaries and leaf, from what is stored or,
   * when something is missing, from its columns (then memoised), added to the tables.
   * Returns its hash leaf and the memo write.
   */
  async function addWhole(
    s: Accumulators,
    hashing: boolean,
    meta: SegmentMeta,
    attributes: readonly string[],
    keys: readonly string[],
    bins: number,
    stored: Map<string, SummaryBody>,
    f: number,
    t: number,
    /** Its columns and deltas, when already asked for (a cut segment). */
    early?: Promise<SegmentData>,
  ): Promise<Prepared> {
    // Cut by the window's bounds: counted from its columns, hashed as the segment plus the bounds (a C leaf).
    const dayStart = meta.day * DAY_MS;
    const cut = isCut(meta, f, t) ? { from: Math.max(0, f - dayStart), to: Math.min(DAY_MS, t - dayStart) } : null;
    const have = keys.every((k) => stored.has(k));
    const known = meta.columnHashes ?? {};
    const hashed = hashedFor(meta, attributes, hashing);
    let memo: Parameters<Source["memoiseSegment"]>[2] | null = null;
    let settled = true;
    const leaf: SegmentLeaf & { columnHashes: (string | null)[] } = {
      day: meta.day,
      rowCount: meta.rowCount,
      contentHash: meta.contentHash ?? "",
      columnHashes: attributes.map((a) => known[a] ?? null),
      deltaCount: meta.deltaCount ?? 0,
      deltaDigest: meta.deltaDigest ?? [],
      cut,
    };
    let pre: SegmentData | null = null;
    let sums: (SummaryBody | null)[] = keys.map((k) => stored.get(k) ?? null);
    if (!have || !hashed || cut) {
      // Cold (or cut): read the columns once, compute what is missing, memoise it.
      pre = await (early ?? readSegment(meta, attributes));
      const { data, deltas } = pre;
      const packed = blobBytes(data.outcome);
      const time = blobView(data.time, Uint32Array);
      const selected = blobBytes(data.selected);
      const score = blobView(data.score, Float32Array);
      const cols = new Map<string, CodedColumn>();
      data.columns.forEach((c, j) => c && cols.set(attributes[j]!, { dict: c.dict, codes: blobView(c.codes, Uint16Array) }));
      memo = {};
      if (!meta.contentHash) leaf.contentHash = memo.contentHash = await segmentContentHash(meta.day, time, selected, packed, score);
      const missing = attributes.filter((a) => !(a in known));
      if (missing.length) {
        // null records "no column for this attribute", so the next read need not look again.
        memo.columnHashes = await Promise.all(missing.map(async (a) => ({ attribute: a, hash: cols.has(a) ? await segmentColumnHash(a, cols.get(a)!.dict, cols.get(a)!.codes) : null })));
        for (const c of memo.columnHashes) leaf.columnHashes[attributes.indexOf(c.attribute)] = c.hash;
      }
      // A delta that committed after the segment list was read: this read counts it, but
      // memoises nothing (the stored values are guarded on the listed count).
      settled = deltas.length === (meta.deltaCount ?? deltas.length);
      if (!meta.deltaDigest || !settled) {
        leaf.deltaDigest = memo.deltaDigest = await deltaDigest(deltas);
        leaf.deltaCount = deltas.length;
      }
      if (!have) {
        const outcome = new Uint8Array(packed);
        for (const d of deltas) outcome[d.pos] = d.outcome;
        const specs = s.specs.map((x) => x.attributes);
        const computed = summariseSegment(specs, cols, selected, outcome, score, bins);
        sums = sums.map((x, i) => x ?? computed[i] ?? null);
        memo.summaries = specs.flatMap((attrs, i) => (!stored.has(keys[i]!) && computed[i] ? [{ attributes: attrs, bins, body: computed[i]! }] : []));
      }
    }
    if (cut) {
      // The whole segment's summaries less its rows outside the bounds, when those are the fewer
      // (the summaries must hold the deltas read with the columns: the listed count is known and
      // is theirs — an unknown one is not), else its rows inside.
      // The summaries code every group of the segment, those only outside the bounds too: not
      // when that could take a slice past the kernels' 65,535 codes where its rows inside would not.
      const room = sums.every((x, i) => x !== null && s.accs[i]!.groups() + x.v.length <= MAX_CODES);
      if (meta.deltaCount === pre!.deltas.length && room && subtractSegmentOutside(s, meta, attributes, f, t, pre!)) sums.forEach((x, i) => s.accs[i]!.addSummary(x!));
      else if (!(await addSegmentColumns(source, s, null, meta, attributes, f, t, pre!))) await addSegmentRows(source, s, null, meta, attributes, f, t);
    } else if (sums.every((x) => x !== null)) sums.forEach((x, i) => s.accs[i]!.addSummary(x!));
    // An intersection with more combinations than u16 codes name: counted from the rows.
    else await addSegmentRows(source, s, null, meta, attributes, f, t);
    // Counted (the accumulators copy what they add) and hashed: nothing reads the columns again.
    if (pre) releaseBlobs(segmentBlobs(pre.data));
    // A memo that fails (a busy or read-only store) costs the next read a column scan, nothing else.
    return { leaf, memo: memo && settled ? source.memoiseSegment(meta.id, leaf.deltaCount, memo).catch(() => {}) : null };
  }

  /**
   * Adds every whole segment to the tables ahead of the merge, returning each one's leaf
   * promise (by index; null: the merge adds that segment itself, rows and hash in order).
   * The tables' sums do not depend on the order they are added in; only the hash does, so
   * the merge feeds the leaves in (day, seq) order while this runs ahead of the tail read.
   * Segments that need no read (stored summaries and hashes) are added at once; the rest
   * one at a time, so a cold window holds one segment's columns in memory, not all of them.
   */
  function prepareWhole(
    s: Accumulators,
    hashing: boolean,
    segments: readonly SegmentMeta[],
    attributes: readonly string[],
    keys: readonly string[],
    bins: number,
    summaries: Map<string, Map<string, SummaryBody>>,
    f: number,
    t: number,
    early: ReadonlyMap<string, Promise<SegmentData>>,
  ): (Promise<Prepared> | null)[] {
    const out: (Promise<Prepared> | null)[] = [];
    let chain: Promise<unknown> = Promise.resolve();
    for (const meta of segments) {
      if (unpacksAny(meta, attributes)) {
        out.push(null);
        continue;
      }
      const stored = summaries.get(meta.id) ?? new Map<string, SummaryBody>();
      const prepared = needsRead(meta, attributes, keys, stored, hashing, f, t)
        ? (chain = chain.then(() => addWhole(s, hashing, meta, attributes, keys, bins, stored, f, t, early.get(meta.id)))) as Promise<Prepared>
        : addWhole(s, hashing, meta, attributes, keys, bins, stored, f, t);
      prepared.catch(() => {}); // awaited by the merge; a failure before then must not go unhandled
      out.push(prepared);
    }
    return out;
  }

  async function read(flowKey: string, attributes: readonly string[], from: Date, to: Date, o: SliceTableOptions, hash: boolean): Promise<GenerationRead<WindowRead>> {
    const f = from.getTime();
    const t = to.getTime();
    const bins = o.calibrationBins ?? DEFAULT_CALIBRATION_BINS;
    const s = createSliceAccumulators(kernels, attributes, o);
    const keys = slicesOf([...attributes]).map((x) => summaryKey(x.attributes));
    const h = hash ? createMerkleHasher(attributes, o.datasetChunkRows) : null;
    // The segment list and their statistics are independent reads, asked for at once; once
    // the list is in, the segments the window's bounds cut (its first and last day, read from
    // their columns whatever is stored: at 100 M traces a day's columns are the longest part
    // of the read) and then the tail's first page. This thread sums the summaries while the
    // store reads those. Each tail page carries the packing generation its statement saw,
    // which the merge compares with the list's (and consistentRead the list's with the one
    // after the last read).
    const listing = source.segmentList(flowKey, f, t);
    const statistics = source.windowStatistics(flowKey, f, t, keys, bins);
    statistics.catch(() => {}); // awaited below; the list failing first must not leave it unhandled
    const { generation, segments } = await listing;
    const early = new Map<string, Promise<SegmentData>>();
    for (const m of segments) {
      if (!isCut(m, f, t) || unpacksAny(m, attributes)) continue;
      const data = readSegment(m, attributes);
      data.catch(() => {}); // awaited by prepareWhole's chain
      early.set(m.id, data);
    }
    const firstPage = source.readTailPage(flowKey, attributes, f, t, null, tailPageSize(pageSize));
    firstPage.catch(() => {}); // awaited in the merge; a failure before that must not go unhandled
    const stats = await statistics;
    const prepared = prepareWhole(s, h !== null, segments, attributes, keys, bins, storedSummaries(stats, segments, bins), f, t, early);
    const memos: Promise<void>[] = [];
    await mergeSegmentsAndTail({
      source, s, h, segments, generation, flowKey, attributes, from: f, to: t, pageSize, firstPage,
      addSegment: async (meta, i) => {
        const whole = prepared[i];
        if (whole) {
          const { leaf, memo } = await whole;
          if (h) await h.segment(leaf);
          if (memo) memos.push(memo);
        } else if (!(await addSegmentColumns(source, s, h, meta, attributes, f, t))) await addSegmentRows(source, s, h, meta, attributes, f, t);
      },
    });
    await Promise.all(memos);
    // Every whole segment has been added (the merge awaited each): the bodies' views are done with.
    releaseBlobs(stats.summaries.map((x) => x.body));
    return closeRead(source, flowKey, generation, async () => ({ slices: s.tables(), datasetHash: h ? await h.digest() : "", rows: h?.rows ?? 0 }));
  }

  return windowReaderOver((flowKey, ...rest) => consistentRead(() => read(flowKey, ...rest), flowKey));
}
