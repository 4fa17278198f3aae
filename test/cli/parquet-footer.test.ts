/**
 * The lean Parquet footer reader (engine/sources/parquet-footer) against hyparquet's
 * parquetMetadata on files DuckDB writes (codecs, row-group sizes, nullable and converted
 * types, nested columns, statistics and key/value metadata to skip): the same schema
 * elements, row counts and column-chunk codecs, offsets and sizes. A corrupt or truncated
 * footer is an Error, never a hang or a wrong answer that looks right.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import { parquetMetadata } from "hyparquet/src/metadata.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFooter } from "../../worker/engine/sources/parquet-footer.js";

const SELECT = `SELECT i, (i % 7)::VARCHAR AS s, i::DOUBLE / 3 AS d, CASE WHEN i % 5 = 0 THEN NULL ELSE i % 2 = 0 END AS b,
  (i / 100)::DECIMAL(9, 2) AS dec, DATE '2020-01-01' + (i % 30)::INTEGER AS day, [i, i + 1] AS list, {'x': i, 'y': 'k' || (i % 3)} AS st
  FROM range(5000) t(i)`;
const FILES: [string, string][] = [
  ["zstd.parquet", "COMPRESSION zstd, ROW_GROUP_SIZE 1000"],
  ["snappy-v2.parquet", "COMPRESSION snappy, PARQUET_VERSION V2"],
  ["gzip.parquet", "COMPRESSION gzip, KV_METADATA {owner: 'fairgate', note: 'skipped'}"],
  ["plain.parquet", "COMPRESSION uncompressed, DICTIONARY_SIZE_LIMIT 1, ROW_GROUP_SIZE 2048"],
];

let dir: string;
const tails = new Map<string, Uint8Array>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fairgate-footer-"));
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    for (const [name, options] of FILES) await c.run(`COPY (${SELECT}) TO '${join(dir, name)}' (FORMAT parquet, ${options})`);
  } finally {
    c.closeSync();
    db.closeSync();
  }
  for (const [name] of FILES) {
    const bytes = await readFile(join(dir, name));
    const length = bytes.readUInt32LE(bytes.length - 8);
    tails.set(name, new Uint8Array(bytes.subarray(bytes.length - length - 8)));
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("parseFooter = hyparquet's parquetMetadata on what the reader uses", () => {
  it.each(FILES.map(([name]) => name))("%s", (name) => {
    const tail = tails.get(name)!;
    const expected = parquetMetadata(tail);
    const got = parseFooter(tail);
    expect(got.schema).toEqual(expected.schema);
    expect(got.row_groups.length).toBe(expected.row_groups.length);
    expect(got.row_groups.length).toBeGreaterThan(0);
    got.row_groups.forEach((g, i) => {
      const e = expected.row_groups[i]!;
      expect(g.num_rows).toBe(Number(e.num_rows));
      expect(g.columns.length).toBe(e.columns.length);
      g.columns.forEach((c, j) => {
        const m = e.columns[j]!.meta_data!;
        expect(c.meta_data).toEqual({
          codec: m.codec,
          data_page_offset: Number(m.data_page_offset),
          total_compressed_size: Number(m.total_compressed_size),
          ...(m.dictionary_page_offset === undefined ? {} : { dictionary_page_offset: Number(m.dictionary_page_offset) }),
        });
      });
    });
  });

  it("a truncated or damaged footer throws an Error (and ends)", () => {
    const tail = tails.get("zstd.parquet")!;
    const metaLength = tail.length - 8;
    fc.assert(
      fc.property(fc.nat(metaLength - 1), fc.nat(metaLength - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (cut, at, xor, truncate) => {
        let meta = tail.slice(0, metaLength);
        if (truncate) meta = meta.slice(0, cut);
        else meta[at]! ^= xor;
        const damaged = new Uint8Array(meta.length + 8);
        damaged.set(meta);
        damaged.set(tail.subarray(metaLength), meta.length);
        try {
          const footer = parseFooter(damaged);
          // A flip inside a skipped field (statistics) may leave a readable footer.
          expect(Array.isArray(footer.row_groups)).toBe(true);
          expect(truncate).toBe(false);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 300 },
    );
  });
});
