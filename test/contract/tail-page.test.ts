/**
 * Contract: the unpacked tail's pages (store/tenant/window-reads.ts readTailPage), which
 * decode each trace's stored attributes once per distinct text, give exactly what SQLite's
 * own JSON projection gives — each value's JSON text, the trace's value before its
 * protected one, traces carrying no usable attribute skipped — in (day, seq) order, with
 * any page size, on values that JSON encodes differently (null, "", numbers, booleans,
 * objects, arrays, non-ASCII and escaped text) and privacy-mode protected attributes. The
 * oracle is SQLite's `->` operator over the same rows, not the decoder's own code.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import type { TraceRecord } from "../../worker/store/tenant/traces.js";
import { createTestTenantStore } from "../helpers/tenant-db.js";
import { SegmentChangedError } from "../../worker/domain/errors.js";
import { createTailPageReader, type TailColumns } from "../../worker/store/tenant/tail-page.js";

const BASE = Date.UTC(2026, 2, 1);
const VALUES = [undefined, null, "", "x", "é\u2028\"q\\", 0, 1.5, -2, 1e21, true, false, { n: 1 }, [1, "a"]] as const;
const value = fc.constantFrom(...VALUES);
const traceArb = fc.record({
  a: value,
  b: value,
  day: fc.integer({ min: 0, max: 3 }),
  ms: fc.integer({ min: 0, max: DAY_MS - 1 }),
  key: fc.option(fc.constantFrom("k1", "k2", "k3"), { nil: null }),
  selected: fc.boolean(),
  converted: fc.constantFrom(null, true, false),
  score: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
});
const protectedArb = fc.record({ a: value, b: value });

/** The oracle: SQLite's JSON projection of the tail, as the reader's SQL computed it before. */
function oracleSql(k: number): string {
  const v = `COALESCE(attributes -> ?, (SELECT p.attributes -> ? FROM protected_attributes p WHERE p.tenant_id = decision_traces.tenant_id AND p.customer_key = decision_traces.customer_key))`;
  return `SELECT seq, created_at, ${Array.from({ length: k }, (_, j) => `${v} AS g${j}`).join(", ")}, selected, converted, score FROM decision_traces
          WHERE tenant_id = ? AND flow_key = ? AND segment_id IS NULL AND created_at >= ? AND created_at < ?
            AND (${Array.from({ length: k }, () => `${v} NOT IN ('null', '""')`).join(" OR ")})
          ORDER BY created_at / 86400000, seq`;
}

/** A page's traces as rows (the oracle's shape): entry i of every column, its groups looked up. */
function rowsOf(page: TailColumns) {
  const lengths = [page.seq, page.createdAt, page.groupOf, page.selected, page.converted, page.score].map((c) => c.length);
  expect(new Set(lengths).size).toBe(1);
  return page.seq.map((seq, i) => ({
    seq,
    createdAt: page.createdAt[i],
    groups: page.groupLists[page.groupOf[i]!],
    selected: page.selected[i],
    converted: page.converted[i],
    score: page.score[i],
  }));
}
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

describe("the unpacked tail's pages", () => {
  it("equal SQLite's JSON projection on every kind of value, with protected attributes, at any page size", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(traceArb, { minLength: 0, maxLength: 40 }),
        fc.record({ k1: fc.option(protectedArb, { nil: null }), k2: fc.option(protectedArb, { nil: null }) }),
        fc.constantFrom(["a"], ["b"], ["a", "b"], ["b", "a"]),
        fc.integer({ min: 1, max: 7 }),
        async (gens, prot, attributes, pageSize) => {
          const { client, store } = await createTestTenantStore();
          const traces: TraceRecord[] = gens.map((g, i) => ({
            id: `t${i}`, flowKey: "f", version: 1, customerId: `c${i}`, customerKey: g.key,
            // Objects and arrays are not API values (scalars are), but stored text can hold them.
            attributes: defined({ a: g.a, b: g.b }) as TraceRecord["attributes"], selected: g.selected, score: g.score, offers: null,
            converted: g.converted, source: "bulk", createdAt: BASE + g.day * DAY_MS + g.ms,
          }));
          if (traces.length) await store.traces.insert(traces);
          const people = Object.entries(prot).flatMap(([customerKey, p]) => (p ? [{ customerKey, attributes: defined(p) }] : []));
          if (people.length) await store.protectedAttributes.upsert(people, new Date(BASE).toISOString());
          const from = BASE + 1_000;
          const to = BASE + 3 * DAY_MS + 5_000;
          const paths = attributes.map((a) => `$."${a}"`);
          const expected = (await client.execute({ sql: oracleSql(attributes.length), args: [...paths.flatMap((p) => [p, p]), "t1", "f", from, to, ...paths.flatMap((p) => [p, p])] })).rows.map((r) => ({
            seq: Number(r.seq),
            createdAt: Number(r.created_at),
            groups: attributes.map((_, j) => (r[`g${j}`] === null ? null : String(r[`g${j}`]))),
            selected: Number(r.selected),
            converted: r.converted === null ? null : Number(r.converted),
            score: r.score === null ? null : Number(r.score),
          }));
          const got: unknown[] = [];
          let after: { day: number; seq: number } | null = null;
          for (let pages = 0; ; pages++) {
            const rows = rowsOf(await store.window.readTailPage("f", attributes, from, to, after, pageSize));
            expect(rows.length).toBeLessThanOrEqual(pageSize);
            got.push(...rows);
            if (rows.length < pageSize) break;
            const last = rows[rows.length - 1]!;
            after = { day: Math.floor(last.createdAt! / DAY_MS), seq: last.seq };
            expect(pages).toBeLessThan(100);
          }
          expect(got).toEqual(expected);
          client.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it("give a stored value of any SQL type exactly as the driver reads it (the page travels as one JSON text)", async () => {
    const { client, store } = await createTestTenantStore();
    const trace = (i: number): TraceRecord => ({ id: `t${i}`, flowKey: "f", version: 1, customerId: `c${i}`, attributes: { a: "x" }, selected: true, score: 0.5, offers: null, converted: null, source: "bulk", createdAt: BASE + 10 + i });
    await store.traces.insert(Array.from({ length: 12 }, (_, i) => trace(i)));
    // What someone with database access could leave there (selected and converted are CHECKed
    // to 0/1): JSON writes REALs with 15 digits, so these are what a careless encoding would change.
    const edits = [
      "score = 0.1 + 0.2", "score = 1.0 / 3", "score = 4.9406564584124654e-324", "score = 9e999", "score = -9e999",
      "score = '0x10'", "score = x'00ff'", "score = NULL", "score = 1",
    ];
    for (const [i, e] of edits.entries()) await client.execute({ sql: `UPDATE decision_traces SET ${e} WHERE id = ?`, args: [`t${i}`] });
    const expected = (await client.execute({ sql: oracleSql(1), args: ['$."a"', '$."a"', "t1", "f", BASE, BASE + DAY_MS, '$."a"', '$."a"'] })).rows.map((r) => ({
      seq: Number(r.seq),
      createdAt: Number(r.created_at),
      groups: [String(r.g0)],
      selected: Number(r.selected),
      converted: r.converted === null ? null : Number(r.converted),
      score: r.score === null ? null : Number(r.score),
    }));
    expect(expected.map((r) => r.score)).toContain(Infinity);
    expect(rowsOf(await store.window.readTailPage("f", ["a"], BASE, BASE + DAY_MS, null, 100))).toEqual(expected);
    client.close();
  });

  it("give every double score exactly, whatever its magnitude (integer and exponent, or read again)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: 0, max: 1e-12, noNaN: true })), { minLength: 1, maxLength: 30 }), async (scores) => {
        const { client, store } = await createTestTenantStore();
        await store.traces.insert(scores.map((_, i) => ({ id: `t${i}`, flowKey: "f", version: 1, customerId: `c${i}`, attributes: { a: "x" }, selected: true, score: 0.5, offers: null, converted: null, source: "bulk", createdAt: BASE + 10 + i })));
        // Written around the API (which keeps scores in [0, 1]), so any finite double reaches the column (the driver binds no infinity; 9e999 is above).
        for (const [i, x] of scores.entries()) await client.execute({ sql: "UPDATE decision_traces SET score = ? WHERE id = ?", args: [x, `t${i}`] });
        const driver = (await client.execute({ sql: "SELECT score FROM decision_traces ORDER BY seq", args: [] })).rows.map((r) => (r.score === null ? null : Number(r.score)));
        const got = (await store.window.readTailPage("f", ["a"], BASE, BASE + DAY_MS, null, 100)).score;
        expect(got.length).toBe(scores.length);
        got.forEach((g, i) => expect(Object.is(g, driver[i])).toBe(true));
        client.close();
      }),
      { numRuns: 40 },
    );
  });

  it("a trace marked for re-reading that is gone by then makes the window read again, not a stored-record fault", async () => {
    const { client, store } = await createTestTenantStore();
    await store.traces.insert([0, 1].map((i) => ({ id: `t${i}`, flowKey: "f", version: 1, customerId: `c${i}`, attributes: { a: "x" }, selected: true, score: 0.5, offers: null, converted: null, source: "bulk" as const, createdAt: BASE + 10 + i })));
    // Outside the exact encoding's range (written around the API): the page marks it for a re-read.
    await client.execute("UPDATE decision_traces SET score = 1e-300 WHERE id = 't0'");
    expect((await store.window.readTailPage("f", ["a"], BASE, BASE + DAY_MS, null, 10)).score).toEqual([1e-300, 0.5]);
    // Retention (say) deleting it between the page and the re-read.
    const racing = { ...client, execute: async (st: { sql: string; args?: never[] }) => {
      if (/seq IN/.test(st.sql)) await client.execute("DELETE FROM decision_traces WHERE id = 't0'");
      return client.execute(st);
    } } as unknown as typeof client;
    await expect(createTailPageReader(racing, "t1")("f", ["a"], BASE, BASE + DAY_MS, null, 10)).rejects.toBeInstanceOf(SegmentChangedError);
    client.close();
  });

  it("fails closed on a trace whose stored attributes are not JSON", async () => {
    const { client, store } = await createTestTenantStore();
    await store.traces.insert([{ id: "t", flowKey: "f", version: 1, customerId: "c", attributes: { a: "x" }, selected: true, score: null, offers: null, converted: null, source: "bulk", createdAt: BASE + 10 }]);
    await client.execute("UPDATE decision_traces SET attributes = '{\"a\": ' WHERE id = 't'");
    await expect(store.window.readTailPage("f", ["a"], BASE, BASE + DAY_MS, null, 10)).rejects.toMatchObject({ code: "stored_record_invalid" });
    // Bytes where the text belongs (which JSON cannot carry) fail the same way, not as a store fault.
    await client.execute("UPDATE decision_traces SET attributes = CAST('{\"a\":\"x\"}' AS BLOB) WHERE id = 't'");
    await expect(store.window.readTailPage("f", ["a"], BASE, BASE + DAY_MS, null, 10)).rejects.toMatchObject({ code: "stored_record_invalid" });
    client.close();
  });
});
