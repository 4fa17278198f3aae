/**
 * @module engine/sources/parquet
 * Streams the requested flat columns of a Parquet file as column batches, row group by
 * row group and page by page: the footer and page headers are parsed by hyparquet, pages
 * are decompressed by hyparquet-compressors (snappy, gzip, brotli, lz4) and zstddec (zstd:
 * the reference decoder in Wasm, measured ~30× faster here than the pure-JS fzstd that
 * hyparquet-compressors ships), values are decoded into typed arrays by parquet-pages. A batch is a run of rows that lies inside
 * one page of every requested column (views, no copy), so memory is bounded by a page per
 * column plus a read window, whatever the number of rows or row groups.
 */
import { compressors } from "hyparquet-compressors";
import { ZSTDDecoder } from "zstddec";
import { parquetHeader, readPage } from "hyparquet/src/column.js";
import { convert, DEFAULT_PARSERS } from "hyparquet/src/convert.js";
import { parquetSchema } from "hyparquet/src/metadata.js";
import type { ColumnDecoder, Compressors, PageHeader, SchemaTree } from "hyparquet/src/types.js";
import { type ByteSource, type ColumnBatch, ColumnarFileError, columnLength, type DecodedColumn, sliceColumn } from "./columns.js";
import { type Footer, type FooterRowGroup, parseFooter } from "./parquet-footer.js";
import { createReferencePageKernels, type PageKernels } from "./parquet-hybrid.js";
import { decodeDataPage, type PageColumn, type PageDictionary, type PageScratch, toCell } from "./parquet-pages.js";

/** Most rows per batch: the kernels' batch size. */
const MAX_BATCH_ROWS = 65_536;
/** First read at a page: enough for the header and, usually, the whole page. */
const READ_WINDOW = 1 << 20;
/** A row group's requested chunks are read at once when they span at most this much. */
const GROUP_READ = 4 << 20;
/** The footer is read in one go when it is at most this big (it nearly always is). */
const FOOTER_GUESS = 1 << 16;
const MAGIC = 0x31524150; // "PAR1" little-endian

/** Converted types whose physical value is the value itself (the fast path keeps them). */
const PLAIN_CONVERTED = new Set([undefined, "UTF8", "INT_8", "INT_16", "INT_32", "INT_64", "UINT_8", "UINT_16"]);

export interface ParquetReadOptions {
  source: ByteSource;
  /** Top-level column names, in the order batches carry them. */
  columns: string[];
  /** The batch's columns are views of buffers reused for later pages: consume (or copy) them before returning. */
  onBatch(batch: ColumnBatch): void;
  /** The page decoder's loops: the Wasm ones (parquet-wasm) or, by default, the TypeScript reference. */
  kernels?: PageKernels;
}

const u32 = (b: Uint8Array, p: number) => (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;

/** Reads and checks the footer: magic at both ends, then the metadata the reader needs (parquet-footer). */
async function readFooter(source: ByteSource): Promise<Footer> {
  if (source.size < 12) throw new ColumnarFileError(`not a Parquet file: ${source.size} bytes is too short for one`);
  const head = await source.read(0, 4);
  if (u32(head, 0) !== MAGIC) throw new ColumnarFileError("not a Parquet file: it does not begin with the PAR1 magic");
  const tailLength = Math.min(source.size, FOOTER_GUESS);
  let tail = await source.read(source.size - tailLength, tailLength);
  if (u32(tail, tail.length - 4) !== MAGIC) throw new ColumnarFileError("truncated Parquet file: the footer's PAR1 magic is missing at the end");
  const metaLength = u32(tail, tail.length - 8);
  if (metaLength + 12 > source.size) throw new ColumnarFileError(`truncated Parquet file: the footer claims ${metaLength} bytes of metadata`);
  if (metaLength + 8 > tail.length) tail = await source.read(source.size - metaLength - 8, metaLength + 8);
  try {
    return parseFooter(tail.subarray(tail.length - metaLength - 8));
  } catch (err) {
    throw new ColumnarFileError(`corrupt Parquet footer (${(err as Error).message})`);
  }
}

/** The top-level flat columns asked for, with what the page decoder needs. */
function resolveColumns(metadata: Footer, names: string[], codecs: Compressors): { index: number; column: PageColumn }[] {
  const tree = parquetSchema(metadata);
  const available = tree.children.map((c) => c.element.name);
  // Leaf order = column-chunk order within a row group.
  const leaves: SchemaTree[] = [];
  const walk = (t: SchemaTree) => (t.children.length ? t.children.forEach(walk) : leaves.push(t));
  tree.children.forEach(walk);
  return names.map((name) => {
    const node = tree.children.find((c) => c.element.name === name);
    if (!node) throw new ColumnarFileError(`unknown column ${JSON.stringify(name)} (available: ${available.join(", ")})`);
    const e = node.element;
    if (node.children.length > 0 || e.repetition_type === "REPEATED")
      throw new ColumnarFileError(`column ${JSON.stringify(name)} is nested or repeated; only flat columns can be read`);
    const decoder: ColumnDecoder = {
      pathInSchema: [name],
      type: e.type!,
      element: e,
      schemaPath: [tree, node],
      codec: "UNCOMPRESSED",
      parsers: DEFAULT_PARSERS,
      compressors: codecs,
    };
    const plainValues = PLAIN_CONVERTED.has(e.converted_type) && (e.logical_type === undefined || e.logical_type.type === "STRING" || e.logical_type.type === "INTEGER");
    return { index: leaves.indexOf(node), column: { decoder, maxDef: e.repetition_type === "OPTIONAL" ? 1 : 0, plainValues } };
  });
}

type Chunk = FooterRowGroup["columns"][number];

/** A chunk's bytes [start, end) in the file (end unchecked), or null without metadata. */
function chunkSpan(chunk: Chunk | undefined): [number, number] | null {
  const meta = chunk?.meta_data;
  if (!meta) return null;
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  return [start, start + Number(meta.total_compressed_size)];
}

/** Bytes read ahead for several chunks: `bytes` are the file's from `at`. */
interface Prefetch {
  at: number;
  bytes: Uint8Array;
}

/**
 * The requested chunks of a row group in one read when they lie together within
 * GROUP_READ bytes (writers put a row group's chunks side by side): one read per row group
 * instead of one per column (246 reads → 82 on the bench file). Null otherwise; then each
 * cursor reads its own.
 */
async function prefetchGroup(source: ByteSource, spans: ([number, number] | null)[]): Promise<Prefetch | null> {
  if (spans.length < 2 || spans.some((s) => s === null || !(s[0] >= 0 && s[1] >= s[0] && s[1] <= source.size))) return null;
  const from = Math.min(...spans.map((s) => s![0]));
  const to = Math.max(...spans.map((s) => s![1]));
  const used = spans.reduce((n, s) => n + s![1] - s![0], 0);
  if (to - from > GROUP_READ || to - from > 2 * used) return null;
  return { at: from, bytes: await source.read(from, to - from) };
}

/**
 * Pages of one column chunk, read through a window over the source so a chunk is never
 * held whole (a 100 M-row row group is fine); the window starts as `prefetch` when that
 * holds the chunk's first bytes.
 */
function createChunkCursor(source: ByteSource, chunk: Chunk, col: PageColumn, name: string, scratch: PageScratch, kernels: PageKernels, prefetch: Prefetch | null) {
  const meta = chunk.meta_data;
  if (!meta) throw new ColumnarFileError(`column ${JSON.stringify(name)} has no metadata in a row group`);
  const [start, end] = chunkSpan(chunk)!;
  if (end > source.size) throw new ColumnarFileError(`truncated Parquet file: column ${JSON.stringify(name)} extends past the end of the file`);
  const column: PageColumn = { ...col, decoder: { ...col.decoder, codec: meta.codec } };
  let pos = start;
  let window: Uint8Array =
    prefetch && start >= prefetch.at && start < prefetch.at + prefetch.bytes.length ? prefetch.bytes.subarray(start - prefetch.at, Math.min(end, prefetch.at + prefetch.bytes.length) - prefetch.at) : new Uint8Array(0);
  let windowAt = start;
  let dict: PageDictionary | null = null;

  /** At least `need` bytes from `pos`, re-reading the window when it runs short. */
  const bytesAt = async (need: number): Promise<Uint8Array> => {
    const off = pos - windowAt;
    if (off + need <= window.length) return window.subarray(off);
    const length = Math.min(Math.max(need, READ_WINDOW), end - pos);
    window = await source.read(pos, length);
    windowAt = pos;
    if (window.length < Math.min(need, end - pos)) throw new ColumnarFileError(`truncated Parquet file: column ${JSON.stringify(name)} ends early`);
    return window;
  };

  const header = async (): Promise<{ header: PageHeader; body: Uint8Array }> => {
    let need = 256;
    for (;;) {
      const bytes = await bytesAt(Math.min(need, end - pos));
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
      let h: PageHeader;
      try {
        h = parquetHeader(reader);
      } catch (err) {
        // The header ran past the bytes we have: read more, unless the chunk has no more.
        if (bytes.length >= end - pos) throw new ColumnarFileError(`corrupt page header in column ${JSON.stringify(name)} (${(err as Error).message})`);
        need *= 4;
        continue;
      }
      const size = h.compressed_page_size;
      if (!(size >= 0) || pos + reader.offset + size > end) throw new ColumnarFileError(`corrupt page header in column ${JSON.stringify(name)}: page past the end of the column chunk`);
      pos += reader.offset;
      const body = (await bytesAt(size)).subarray(0, size);
      pos += size;
      return { header: h, body };
    }
  };

  return {
    /** The next data page's rows; null at the end of the chunk. */
    async next(): Promise<DecodedColumn | null> {
      while (pos < end) {
        const { header: h, body } = await header();
        try {
          if (h.type === "DICTIONARY_PAGE") {
            const reader = { view: new DataView(body.buffer, body.byteOffset, body.byteLength), offset: 0 };
            const { data } = readPage(reader, { ...h, compressed_page_size: body.length }, column.decoder, undefined, undefined, 0);
            const raw = convert(data!, column.decoder);
            dict = { raw, cells: Array.from(raw as ArrayLike<unknown>, toCell) };
            continue;
          }
          if (h.type !== "DATA_PAGE" && h.type !== "DATA_PAGE_V2") continue; // index pages carry no rows
          return decodeDataPage(h, body, column, dict, scratch, kernels);
        } catch (err) {
          if (err instanceof ColumnarFileError) throw new ColumnarFileError(`column ${JSON.stringify(name)}: ${err.message}`);
          throw new ColumnarFileError(`column ${JSON.stringify(name)}: cannot decode a page (${(err as Error).message})`);
        }
      }
      return null;
    },
  };
}

/** Streams the file's rows as batches; returns the number of rows. */
export async function readParquet(opts: ParquetReadOptions): Promise<number> {
  const metadata = await readFooter(opts.source);
  // One zstd decoder per read (its Wasm instance is the only state), set up only if needed.
  const codecs: Compressors = { ...compressors };
  if (metadata.row_groups.some((g) => g.columns.some((c) => c.meta_data?.codec === "ZSTD"))) {
    const zstd = new ZSTDDecoder();
    await zstd.init();
    codecs.ZSTD = (input, length) => zstd.decode(input, length);
  }
  const resolved = resolveColumns(metadata, opts.columns, codecs);
  const kernels = opts.kernels ?? createReferencePageKernels();
  // One page buffer per column for the whole file (a column's page is consumed before its next).
  const scratch: PageScratch[] = resolved.map(() => ({ bytes: new Uint8Array(0) }));
  let firstRow = 0;
  for (const group of metadata.row_groups) {
    const rows = Number(group.num_rows);
    const prefetch = await prefetchGroup(opts.source, resolved.map((r) => chunkSpan(group.columns[r.index])));
    const cursors = resolved.map((r, i) => {
      const chunk = group.columns[r.index];
      if (!chunk) throw new ColumnarFileError(`a row group has no column ${JSON.stringify(opts.columns[i])}`);
      return createChunkCursor(opts.source, chunk, r.column, opts.columns[i]!, scratch[i]!, kernels, prefetch);
    });
    const pages: (DecodedColumn | null)[] = cursors.map(() => null);
    const offsets = cursors.map(() => 0);
    let done = 0;
    while (done < rows) {
      let length = Math.min(MAX_BATCH_ROWS, rows - done);
      for (let c = 0; c < cursors.length; c++) {
        while (pages[c] === null || offsets[c] === columnLength(pages[c]!)) {
          pages[c] = await cursors[c]!.next();
          offsets[c] = 0;
          if (pages[c] === null) throw new ColumnarFileError(`truncated or corrupt Parquet file: column ${JSON.stringify(opts.columns[c])} has fewer rows than its row group (${rows})`);
        }
        length = Math.min(length, columnLength(pages[c]!) - offsets[c]!);
      }
      const columns = pages.map((p, c) => sliceColumn(p!, offsets[c]!, offsets[c]! + length));
      for (let c = 0; c < cursors.length; c++) offsets[c]! += length;
      opts.onBatch({ firstRow: firstRow + done, length, columns });
      done += length;
    }
    firstRow += rows;
  }
  return firstRow;
}
