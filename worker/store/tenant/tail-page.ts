/**
 * @module store/tenant/tail-page
 * One page of a flow's unpacked tail — the traces not yet packed into segments, which
 * every gate evaluation scans row by row — in (UTC day, seq) order, the dataset hash's.
 *
 * A page leaves the database as one JSON array per column (SQLite's json_group_array), not
 * as rows: the drivers build a JS value per column per row (the embedded one ~3 µs a row,
 * then a structured clone to the gateway's thread; the remote one a protocol value each),
 * which cost several times what SQLite spends finding the rows. A few texts and JSON.parse
 * carry the same values, each spelled so it parses back to exactly the driver's value, and
 * arrive as the columns the window reader counts and hashes (no object per trace).
 * JSON writes a REAL with 15 significant digits and SQLite's own longer spellings (quote(),
 * printf) do not round-trip every double either, so a REAL score travels as an integer and
 * a binary exponent (x·2^k, exact by construction); a value the page cannot carry that way
 * (a REAL outside 2^−52…8, text or bytes where a number belongs) is marked and its row's
 * numbers read again through the driver.
 */
import { SegmentChangedError, StoredRecordError } from "../../domain/errors.js";
import { type Client, read, type SqlValue } from "../sql.js";
import { GENERATION_SQL } from "./packing-generation.js";
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
/** The score's exponent when the page cannot carry it (read again). */
const SCORE_REREAD = -1;
/** 2^k as exact SQL arithmetic (integer shifts: no decimal literal for SQLite to parse). */
const pow2 = (k: number): string => (k <= 62 ? `(1 << ${k})` : `${pow2(62)} * ${pow2(k - 62)}`);
/**
 * The score's exponent k: 0 for an INTEGER, NULL or 0.0 (the mantissa is then the value
 * itself), one of SCORE_EXPONENTS for another REAL that fits one, else SCORE_REREAD.
 */
const scoreExponent = (c: string) =>
  `CASE typeof(${c}) WHEN 'integer' THEN 0 WHEN 'null' THEN 0 WHEN 'real' THEN CASE WHEN ${c} = 0 THEN 0 ${SCORE_EXPONENTS.map(
    (k) => `WHEN abs(${c}) * ${pow2(k)} >= ${pow2(52)} AND abs(${c}) * ${pow2(k)} < ${pow2(62)} * 2 THEN ${k}`,
  ).join(" ")} ELSE ${SCORE_REREAD} END ELSE ${SCORE_REREAD} END`;
/** The score's mantissa x·2^k for its exponent `k` (a column of the inner query): exact by construction. */
const scoreMantissa = (c: string) =>
  `CASE k WHEN 0 THEN CASE typeof(${c}) WHEN 'real' THEN 0 ELSE ${c} END ${SCORE_EXPONENTS.map((k) => `WHEN ${k} THEN CAST(${c} * ${pow2(k)} AS INTEGER)`).join(" ")} ELSE NULL END`;
/** A text column: as itself; a BLOB (which JSON cannot hold) as '' — not JSON, so the page fails closed as the driver's bytes would. */
const textual = (c: string) => `CASE typeof(${c}) WHEN 'blob' THEN '' ELSE ${c} END`;

/** The page's columns, in the order TAIL_PAGE_JSON_SQL returns them. */
const COLUMNS = ["seq", "created_at", "attributes", "protected", "selected", "converted", "score_m", "score_k"] as const;

/**
 * The page as one JSON array per column (named as in COLUMNS), with the flow's packing
 * generation read in the same statement (binds tenant id and flow key first). Every aggregate
 * reads the subquery's rows in one pass, in its ORDER BY order (a LIMIT subquery is not
 * flattened), so entry i of every array is the same trace; readTailPage still checks the order
 * it gets.
 */
export const TAIL_PAGE_JSON_SQL = `SELECT ${GENERATION_SQL} AS generation, json_group_array(${integer("seq")}) AS seq, json_group_array(${integer("created_at")}) AS created_at,
    json_group_array(${textual("attributes")}) AS attributes, json_group_array(${textual("protected")}) AS protected,
    json_group_array(${integer("selected")}) AS selected, json_group_array(${integer("converted")}) AS converted,
    json_group_array(${scoreMantissa("score")}) AS score_m, json_group_array(k) AS score_k
  FROM (SELECT *, ${scoreExponent("score")} AS k FROM (${TAIL_PAGE_SQL}))`;

/** The numbers of rows the page marked REREAD, as the driver returns them. */
const REREAD_SQL = (n: number) => `SELECT seq, created_at, selected, converted, score FROM decision_traces WHERE tenant_id = ? AND seq IN (${Array.from({ length: n }, () => "?").join(", ")})`;

/** 2^−k by exponent: the score is its mantissa times this. */
const SCALE = new Map([0, ...SCORE_EXPONENTS].map((k) => [k, 2 ** -k]));

/**
 * A score as the page spells it (see scoreExponent; a re-read one is the number itself, k 0),
 * back to the double. Anything else means the page is not what this module wrote, so it fails
 * closed rather than reading a NaN.
 */
function scoreValue(m: unknown, k: unknown): number | null {
  const scale = SCALE.get(k as number);
  if (scale !== undefined) {
    if (m === null && k === 0) return null;
    if (typeof m === "number" && (k === 0 || Number.isInteger(m))) return m * scale;
  }
  throw new StoredRecordError("decision_traces", ["a tail page score is not in the page's encoding"]);
}
const nullableNum = (v: unknown) => (v === null ? null : Number(v));
/** A `textual` column: the text itself (a number there is a non-text value the decoder then rejects or skips, as it would the driver's). */
const text = (v: unknown) => (v === null ? null : String(v));

const usable = (g: string | null) => g !== null && g !== "null" && g !== '""';

/**
 * The groups of `attributes` of one trace from its stored attributes and protected
 * attributes (JSON texts), as SQLite's `attributes -> '$.a'` gives them — each value's JSON
 * text, the trace's own value first, null when absent — as an index into `lists` (the page's
 * distinct ones), or −1 when none is usable (the trace is skipped). One decoder serves a
 * page: its traces repeat few distinct texts.
 */
function tailGroups(attributes: readonly string[]) {
  const seen = new Map<string, number>();
  const lists: (string | null)[][] = [];
  const object = (text: string | null): Record<string, unknown> | null => {
    if (text === null) return null;
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  };
  const valueOf = (o: Record<string, unknown> | null, a: string) => (o && Object.hasOwn(o, a) ? JSON.stringify(o[a]) : null);
  const indexOf = (attrs: string, prot: string | null): number => {
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
      g = groups.some(usable) ? lists.push(groups) - 1 : -1;
      seen.set(key, g);
    }
    return g;
  };
  return { indexOf, lists };
}

/** One statement's columns, parsed: arrays of one length, in COLUMNS order. */
type RawColumns = unknown[][];

/** The page reader of one tenant's tail. */
export function createTailPageReader(db: Client, tenantId: string) {
  /**
   * One statement's worth: up to `want` traces after `cursor`, as parsed columns, with the
   * numbers of any trace the page marked REREAD replaced by the driver's (scores are immutable
   * once recorded, and the integer columns only hold other types when written around the API).
   */
  async function fetch(flowKey: string, days: number[], fromMs: number, toMs: number, cursor: { day: number; seq: number } | null, want: number): Promise<{ cols: RawColumns; generation: number }> {
    const rs = await read(db, { sql: TAIL_PAGE_JSON_SQL, args: [tenantId, flowKey, tenantId, flowKey, ...days, fromMs, toMs, cursor?.day ?? -1, cursor?.seq ?? -1, want] });
    const row = rs.rows[0];
    const generation = Number(row?.generation ?? 0);
    const cols = COLUMNS.map((c) => JSON.parse(String(row?.[c] ?? "[]")) as unknown);
    const n = Array.isArray(cols[0]) ? cols[0].length : -1;
    if (!cols.every((c) => Array.isArray(c) && c.length === n)) throw new StoredRecordError("decision_traces", ["the tail page's columns are not arrays of one length"]);
    const [seq, created, , , selected, converted, m, k] = cols as RawColumns;
    const again: number[] = [];
    for (let i = 0; i < n; i++) {
      if (seq![i] === REREAD || created![i] === REREAD || selected![i] === REREAD || converted![i] === REREAD || k![i] === SCORE_REREAD) again.push(i);
    }
    for (let i = 0; i < again.length; i += 500) {
      const part = again.slice(i, i + 500);
      const got = await read(db, { sql: REREAD_SQL(part.length), args: [tenantId, ...part.map((j) => seq![j] as SqlValue)] });
      const bySeq = new Map(got.rows.map((x) => [Number(x.seq), x]));
      for (const j of part) {
        const x = bySeq.get(Number(seq![j]));
        // Gone between the two statements (retention, say): the window is read again, as when a
        // listed segment changes under a read (engine/consistent-read), not reported as corrupt.
        if (!x) throw new SegmentChangedError(`tail trace ${String(seq![j])}`);
        created![j] = x.created_at;
        selected![j] = x.selected;
        converted![j] = x.converted;
        // The number itself (NaN for bytes, as the row path reads them), exponent 0.
        m![j] = x.score === null ? null : Number(x.score);
        k![j] = 0;
      }
    }
    return { cols: cols as RawColumns, generation };
  }

  /**
   * One page of the not-yet-packed traces of [fromMs, toMs) projected to `attributes`, in
   * (UTC day, seq) order after the given (day, seq) position, column by column, with the
   * flow's packing generation its statements saw. Traces carrying none of the attributes are
   * skipped.
   */
  return async function readTailPage(
    flowKey: string,
    attributes: readonly string[],
    fromMs: number,
    toMs: number,
    after: { day: number; seq: number } | null,
    limit: number,
  ) {
    const days = [Math.floor(fromMs / DAY), Math.floor((toMs - 1) / DAY)];
    const groups = tailGroups(attributes);
    let out: TailColumns | null = null;
    let seen: number | null = null;
    // Traces carrying none of the attributes are dropped here, so a short page does not mean
    // the end: read on until `limit` usable rows or the tail's end (the port's contract).
    let cursor = after;
    for (;;) {
      const want = limit - (out?.seq.length ?? 0);
      const { cols, generation } = await fetch(flowKey, days, fromMs, toMs, cursor, want);
      // A page of several statements with a pack between them: the window is read again.
      if (seen !== null && generation !== seen) throw new SegmentChangedError(`flow ${flowKey}: packing changed during a tail page`);
      seen = generation;
      const n = cols[0]!.length;
      const { page, last } = usableColumns(cols, groups, cursor);
      // The usual page is one statement's: its parsed arrays are the page.
      out = out ? appendColumns(out, page) : page;
      if (n < want || out.seq.length >= limit) return { ...out, generation };
      cursor = last;
    }
  };
}

/**
 * One statement's columns as a page (the engine's TailPage, which the store does not import:
 * entry i of every array is the i-th usable trace; groupOf indexes the distinct groupLists,
 * read-only): its usable traces (the others dropped), numbers decoded, in the parsed arrays
 * themselves (compacted in place: no copy per trace). Checks the (day, seq) order from
 * `cursor` on; `last` is the position of the statement's last trace, usable or not.
 */
function usableColumns(cols: RawColumns, groups: ReturnType<typeof tailGroups>, cursor: { day: number; seq: number } | null) {
  const [seq, created, attrs, prot, selected, converted, m, k] = cols as [number[], number[], unknown[], unknown[], number[], (number | null)[], (number | null)[], unknown[]];
  const groupOf: number[] = [];
  let lastDay = cursor?.day ?? -Infinity;
  let lastSeq = cursor?.seq ?? -Infinity;
  let w = 0;
  for (let i = 0; i < seq.length; i++) {
    const s = Number(seq[i]);
    const createdAt = Number(created[i]);
    const day = Math.floor(createdAt / DAY);
    // The aggregate's input order is SQLite's plan, not a promise of SQL: a page out of
    // (day, seq) order would hash another dataset, so it fails closed instead.
    if (day < lastDay || (day === lastDay && !(s > lastSeq))) throw new StoredRecordError("decision_traces", ["the tail page is out of (day, seq) order"]);
    lastDay = day;
    lastSeq = s;
    const g = groups.indexOf(String(text(attrs[i])), text(prot[i]));
    if (g < 0) continue;
    seq[w] = s;
    created[w] = createdAt;
    groupOf.push(g);
    selected[w] = Number(selected[i]);
    converted[w] = nullableNum(converted[i]);
    m[w] = scoreValue(m[i], k[i]);
    w++;
  }
  for (const c of [seq, created, selected, converted, m]) c.length = w;
  const page = { seq, createdAt: created, groupOf, groupLists: groups.lists, selected, converted, score: m };
  return { page, last: { day: lastDay, seq: lastSeq } };
}

/** A page of the tail as readTailPage returns it. */
export type TailColumns = ReturnType<typeof usableColumns>["page"];

/** `a` with `b`'s traces after its own (same group lists). */
function appendColumns(a: TailColumns, b: TailColumns): TailColumns {
  for (let i = 0; i < b.seq.length; i++) {
    a.seq.push(b.seq[i]!);
    a.createdAt.push(b.createdAt[i]!);
    a.groupOf.push(b.groupOf[i]!);
    a.selected.push(b.selected[i]!);
    a.converted.push(b.converted[i]!);
    a.score.push(b.score[i]!);
  }
  return a;
}
