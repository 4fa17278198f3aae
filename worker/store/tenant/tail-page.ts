/**
 * @module store/tenant/tail-page
 * One page of a flow's unpacked tail — the traces not yet packed into segments, which
 * every gate evaluation scans row by row — in (UTC day, seq) order, the dataset hash's.
 *
 * A page leaves the database as one JSON text (SQLite's json_group_array), not as rows:
 * the drivers build a JS value per column per row (the embedded one ~3 µs a row, then a
 * structured clone to the gateway's thread; the remote one a protocol value each), which
 * cost several times what SQLite spends finding the rows. One text and one JSON.parse
 * carry the same values, each spelled so it parses back to exactly the driver's value.
 * JSON writes a REAL with 15 significant digits and SQLite's own longer spellings (quote(),
 * printf) do not round-trip every double either, so a REAL score travels as an integer and
 * a binary exponent (x·2^k, exact by construction); a value the page cannot carry that way
 * (a REAL outside 2^−52…8, text or bytes where a number belongs) is marked and its row's
 * numbers read again through the driver.
 */
import { SegmentChangedError, StoredRecordError } from "../../domain/errors.js";
import { type Client, read, type SqlValue } from "../sql.js";
import { PROTECTED_OBJECT } from "./protected-attributes.js";

const DAY = 86_400_000;

/**
 * SQL of one page of the unpacked tail in (UTC day, seq) order. The expression index
 * decision_traces_unpacked_day (migration 0006) holds exactly this order (its implicit last
 * column is seq), so pages are index range scans: no sort, no buffering.
 * `created_at / 86400000` must stay spelled as in the index for SQLite to match it.
 * The attributes leave as stored text, decoded once per distinct text (tailGroups), not
 * extracted per row in SQL.
 */
export const TAIL_PAGE_SQL = `SELECT seq, created_at, attributes, ${PROTECTED_OBJECT} AS protected, selected, converted, score FROM decision_traces
          WHERE tenant_id = ? AND flow_key = ? AND segment_id IS NULL
            AND created_at / 86400000 BETWEEN ? AND ? AND created_at >= ? AND created_at < ?
            AND (created_at / 86400000, seq) > (?, ?)
          ORDER BY created_at / 86400000, seq LIMIT ?`;

/** Marks a value the page cannot carry exactly: that row's numbers are read again through the driver. */
const REREAD = "?";

/** An integer column (seq, created_at, selected, converted) as itself or NULL; anything else is read again. */
const integer = (c: string) => `CASE typeof(${c}) WHEN 'integer' THEN ${c} WHEN 'null' THEN NULL ELSE '${REREAD}' END`;

/**
 * Binary exponents k for REAL scores: |x| in [2^(52−k), 2^(63−k)) makes x·2^k an integer below
 * 2^63 — a product by a power of two is exact, and so is CAST of an integral REAL — which JSON
 * writes with every digit and JSON.parse gives back exactly (it is a double). Together they
 * cover 2^−52 ≤ |x| < 8, scores' range with room; anything else is read again.
 */
const SCORE_EXPONENTS = [60, 71, 82, 93, 104];
/** 2^k as exact SQL arithmetic (integer shifts: no decimal literal for SQLite to parse). */
const pow2 = (k: number): string => (k <= 62 ? `(1 << ${k})` : `${pow2(62)} * ${pow2(k - 62)}`);
/** The score as JSON: an integer as itself, 0.0 as 0, a REAL as [x·2^k, k], NULL as null, else REREAD. */
const score = (c: string) =>
  `CASE typeof(${c}) WHEN 'integer' THEN ${c} WHEN 'null' THEN NULL WHEN 'real' THEN CASE WHEN ${c} = 0 THEN 0 ${SCORE_EXPONENTS.map(
    (k) => `WHEN abs(${c}) * ${pow2(k)} >= ${pow2(52)} AND abs(${c}) * ${pow2(k)} < ${pow2(62)} * 2 THEN json_array(CAST(${c} * ${pow2(k)} AS INTEGER), ${k})`,
  ).join(" ")} ELSE '${REREAD}' END ELSE '${REREAD}' END`;
/** A text column: as itself; a BLOB (which JSON cannot hold) as '' — not JSON, so the page fails closed as the driver's bytes would. */
const textual = (c: string) => `CASE typeof(${c}) WHEN 'blob' THEN '' ELSE ${c} END`;

/**
 * The page as one JSON array of [seq, created_at, attributes, protected, selected, converted,
 * score] arrays. The aggregate reads the subquery's rows in its ORDER BY order (a LIMIT
 * subquery is not flattened); readTailPage still checks the order it gets.
 */
export const TAIL_PAGE_JSON_SQL = `SELECT json_group_array(json_array(${integer("seq")}, ${integer("created_at")}, ${textual("attributes")}, ${textual("protected")}, ${integer("selected")}, ${integer("converted")}, ${score("score")})) AS page
  FROM (${TAIL_PAGE_SQL})`;

/** The numbers of rows the page marked REREAD, as the driver returns them. */
const REREAD_SQL = (n: number) => `SELECT seq, created_at, selected, converted, score FROM decision_traces WHERE tenant_id = ? AND seq IN (${Array.from({ length: n }, () => "?").join(", ")})`;

/**
 * A score as the page spells it (see `score`; a re-read one is already the number), back to
 * the double. Anything else means the page is not what this module wrote — a libSQL build that
 * returned the inner json_array as text, say — so it fails closed rather than reading a NaN.
 */
function scoreValue(v: unknown): unknown {
  if (v === null || typeof v === "number") return v;
  if (Array.isArray(v) && v.length === 2 && SCORE_EXPONENTS.includes(v[1] as number) && Number.isInteger(v[0])) return (v[0] as number) * 2 ** -(v[1] as number);
  throw new StoredRecordError("decision_traces", ["a tail page score is not in the page's encoding"]);
}
const nullableNum = (v: unknown) => (v === null ? null : Number(v));
/** A `textual` column: the text itself (a number there is a non-text value the decoder then rejects or skips, as it would the driver's). */
const text = (v: unknown) => (v === null ? null : String(v));

const usable = (g: string | null) => g !== null && g !== "null" && g !== '""';

/**
 * The groups of `attributes` of one trace from its stored attributes and protected
 * attributes (JSON texts), as SQLite's `attributes -> '$.a'` gives them — each value's JSON
 * text, the trace's own value first, null when absent — or null when none is usable (the
 * trace is skipped). One decoder serves a page: its traces repeat few distinct texts.
 */
function tailGroups(attributes: readonly string[]) {
  const seen = new Map<string, (string | null)[] | null>();
  const object = (text: string | null): Record<string, unknown> | null => {
    if (text === null) return null;
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  };
  const valueOf = (o: Record<string, unknown> | null, a: string) => (o && Object.hasOwn(o, a) ? JSON.stringify(o[a]) : null);
  return (attrs: string, prot: string | null): (string | null)[] | null => {
    const key = prot === null ? attrs : `${attrs}\u0000${prot}`;
    let g = seen.get(key);
    if (g === undefined) {
      let own: Record<string, unknown> | null;
      let held: Record<string, unknown> | null;
      try {
        own = object(attrs);
        held = object(prot);
      } catch {
        throw new StoredRecordError("decision_traces.attributes", ["a trace's attributes are not JSON"]);
      }
      const groups = attributes.map((a) => valueOf(own, a) ?? valueOf(held, a));
      g = groups.some(usable) ? groups : null;
      seen.set(key, g);
    }
    return g;
  };
}

/** A tail trace as the window reader takes it (the engine's SliceWindowRow, which the store does not import). */
const tailRow = (seq: number, createdAt: number, groups: (string | null)[], selected: number, converted: number | null, score: number | null) => ({ seq, createdAt, groups, selected, converted, score });
export type TailRow = ReturnType<typeof tailRow>;

/** The page reader of one tenant's tail. */
export function createTailPageReader(db: Client, tenantId: string) {
  /**
   * One statement's worth: up to `want` traces after `cursor`, as parsed arrays, with the
   * numbers of any row the page marked REREAD replaced by the driver's (scores are immutable
   * once recorded, and the integer columns only hold other types when written around the API).
   */
  async function fetch(flowKey: string, days: number[], fromMs: number, toMs: number, cursor: { day: number; seq: number } | null, want: number): Promise<unknown[][]> {
    const rs = await read(db, { sql: TAIL_PAGE_JSON_SQL, args: [tenantId, flowKey, ...days, fromMs, toMs, cursor?.day ?? -1, cursor?.seq ?? -1, want] });
    const page: unknown = JSON.parse(String(rs.rows[0]?.page ?? "[]"));
    if (!Array.isArray(page)) throw new StoredRecordError("decision_traces", ["the tail page is not an array"]);
    const rows = page as unknown[][];
    const again = rows.filter((r) => r[0] === REREAD || r[1] === REREAD || r[4] === REREAD || r[5] === REREAD || r[6] === REREAD);
    for (let i = 0; i < again.length; i += 500) {
      const part = again.slice(i, i + 500);
      const got = await read(db, { sql: REREAD_SQL(part.length), args: [tenantId, ...part.map((r) => r[0] as SqlValue)] });
      const bySeq = new Map(got.rows.map((x) => [Number(x.seq), x]));
      for (const r of part) {
        const x = bySeq.get(Number(r[0]));
        // Gone between the two statements (retention, say): the window is read again, as when a
        // listed segment changes under a read (engine/consistent-read), not reported as corrupt.
        if (!x) throw new SegmentChangedError(`tail trace ${String(r[0])}`);
        r[1] = x.created_at;
        r[4] = x.selected;
        r[5] = x.converted;
        // A number (NaN for bytes, as the row path reads them), not the page's spelling.
        r[6] = x.score === null ? null : Number(x.score);
      }
    }
    return rows;
  }

  /**
   * One page of the not-yet-packed traces of [fromMs, toMs) projected to `attributes`, in
   * (UTC day, seq) order after the given (day, seq) position. Traces carrying none of the
   * attributes are skipped.
   */
  return async function readTailPage(
    flowKey: string,
    attributes: readonly string[],
    fromMs: number,
    toMs: number,
    after: { day: number; seq: number } | null,
    limit: number,
  ): Promise<TailRow[]> {
    const days = [Math.floor(fromMs / DAY), Math.floor((toMs - 1) / DAY)];
    const groupsOf = tailGroups(attributes);
    const out: TailRow[] = [];
    // Traces carrying none of the attributes are dropped here, so a short page does not mean
    // the end: read on until `limit` usable rows or the tail's end (the port's contract).
    let cursor = after;
    for (;;) {
      const want = limit - out.length;
      const rows = await fetch(flowKey, days, fromMs, toMs, cursor, want);
      let lastDay = cursor?.day ?? -Infinity;
      let lastSeq = cursor?.seq ?? -Infinity;
      for (const r of rows) {
        const seq = Number(r[0]);
        const createdAt = Number(r[1]);
        const day = Math.floor(createdAt / DAY);
        // The aggregate's input order is SQLite's plan, not a promise of SQL: a page out of
        // (day, seq) order would hash another dataset, so it fails closed instead.
        if (day < lastDay || (day === lastDay && !(seq > lastSeq))) throw new StoredRecordError("decision_traces", ["the tail page is out of (day, seq) order"]);
        lastDay = day;
        lastSeq = seq;
        // Rows with the same texts share one groups array (read-only, as every row's is).
        const groups = groupsOf(String(text(r[2])), text(r[3]));
        if (groups) out.push(tailRow(seq, createdAt, groups, Number(r[4]), nullableNum(r[5]), nullableNum(scoreValue(r[6]))));
      }
      if (rows.length < want || out.length >= limit) return out;
      cursor = { day: lastDay, seq: lastSeq };
    }
  };
}
