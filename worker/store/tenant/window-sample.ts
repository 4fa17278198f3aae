/**
 * @module store/tenant/window-sample
 * The seeded sample of a window's recorded requests (the engine's `WindowSource.sampleWindow`):
 * what the candidate replay at publish and the counterfactual re-run. Part of the window
 * source (store/tenant/window-reads.ts), kept apart for its two query plans.
 */
import type { Attributes } from "../../domain/flow.js";
import { type Client, read } from "../sql.js";
import { PROTECTED_OBJECT } from "./protected-attributes.js";

/**
 * The sample key of a trace: Fibonacci hashing of seq, offset by the seed,
 * (seq · 2654435769 + seed) mod 2^32. The traces with the smallest keys form the sample:
 * a systematic sample over seq with a seeded start (consecutive seqs spread by the golden
 * ratio), so it covers the window evenly whatever order traces were recorded in. SQL has
 * no XOR, and one multiply keeps the expression indexable. seq is < 2^31, so the product
 * fits in 64 bits. The index (migration 0014) holds the seed-free part, spelled as here.
 */
const SAMPLE_KEY = "(((seq & 2147483647) * 2654435769 + ?) & 4294967295)";
const SAMPLE_INDEX_KEY = "(((seq & 2147483647) * 2654435769) & 4294967295)";
const TWO_32 = 4_294_967_296;

/**
 * Which read draws the sample: "window-index" hashes and sorts every trace of the window
 * (decision_traces_window; cost ∝ the window's traces w), "sample-index" walks the flow's
 * sample index from the seed's offset until `limit` window traces are found (cost ∝
 * limit × flow / w, every trace of the flow's history having an entry). The window's and
 * the flow's trace counts are estimated from their packed segments (the unpacked tail is
 * at most a day or two): a window holding a small share of a long history, or few traces,
 * reads the window index; a window holding most of the flow's traces walks the sample index.
 */
export function samplePlan(flowTraces: number, windowTraces: number, limit: number): "sample-index" | "window-index" {
  return windowTraces * windowTraces > limit * flowTraces ? "sample-index" : "window-index";
}

/**
 * SQL of the seq of up to `limit` window traces in sample order from one side of the key
 * space: key + seed (mod 2^32) ascending is the indexed key ascending from 2^32 − seed,
 * then wrapping to 0 — two index range reads that stop after `limit` entries each. (The
 * key is a bijection of seq below 2^31; `seq` only breaks ties past that.)
 */
function samplePartSql(side: ">=" | "<"): string {
  return `SELECT seq, ${SAMPLE_INDEX_KEY} AS k FROM decision_traces INDEXED BY decision_traces_sample
          WHERE tenant_id = ? AND flow_key = ? AND ${SAMPLE_INDEX_KEY} ${side} ? AND created_at >= ? AND created_at < ?
          ORDER BY ${SAMPLE_INDEX_KEY}, seq LIMIT ?`;
}

/** The sample read of one tenant. */
export function createWindowSample(db: Client, tenantId: string) {
  /**
   * A seeded sample (without replacement) of up to `limit` traces of the window, in sample
   * order (so any prefix is itself a sample): the traces with the smallest sample key.
   * Two plans give the same rows in the same order (contract-tested); samplePlan picks the
   * cheaper from the packed segments' row counts. Attributes are fetched for the chosen
   * traces alone.
   */
  return async function sampleWindow(flowKey: string, fromMs: number, toMs: number, limit: number, seed: number) {
    if (limit <= 0) return [];
    const est = await read(db, {
      sql: `SELECT coalesce(sum(row_count), 0) AS in_flow, coalesce(sum(CASE WHEN created_max >= ? AND created_min < ? THEN row_count ELSE 0 END), 0) AS in_window
            FROM trace_segments WHERE tenant_id = ? AND flow_key = ?`,
      args: [fromMs, toMs, tenantId, flowKey],
    });
    const plan = samplePlan(Number(est.rows[0]?.in_flow ?? 0), Number(est.rows[0]?.in_window ?? 0), limit);
    const start = (TWO_32 - (seed >>> 0)) % TWO_32;
    const protectedOf = PROTECTED_OBJECT.replaceAll("decision_traces.", "t.");
    const rs = await read(
      db,
      plan === "sample-index"
        ? {
            sql: `WITH a AS (${samplePartSql(">=")}), b AS (${samplePartSql("<")}),
                       h AS (SELECT seq, 0 AS part, k FROM a UNION ALL SELECT seq, 1 AS part, k FROM b ORDER BY part, k, seq LIMIT ?)
                  SELECT t.seq, t.attributes, ${protectedOf} AS protected, t.selected, t.converted
                  FROM h JOIN decision_traces t ON t.seq = h.seq ORDER BY h.part, h.k, h.seq`,
            args: [tenantId, flowKey, start, fromMs, toMs, limit, tenantId, flowKey, start, fromMs, toMs, limit, limit],
          }
        : {
            sql: `WITH h AS (SELECT seq, ${SAMPLE_KEY} AS h FROM decision_traces
                             WHERE tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ? ORDER BY h, seq LIMIT ?)
                  SELECT t.seq, t.attributes, ${protectedOf} AS protected, t.selected, t.converted
                  FROM h JOIN decision_traces t ON t.seq = h.seq ORDER BY h.h, h.seq`,
            args: [seed >>> 0, tenantId, flowKey, fromMs, toMs, limit],
          },
    );
    return rs.rows.map((r) => ({
      seq: Number(r.seq),
      // Privacy mode: the request as made, its protected attributes joined back (never returned by any API).
      attributes: { ...(r.protected === null || r.protected === undefined ? {} : (JSON.parse(String(r.protected)) as Attributes)), ...(JSON.parse(String(r.attributes)) as Attributes) },
      selected: Number(r.selected) === 1,
      converted: r.converted === null ? null : Number(r.converted) === 1,
    }));
  };
}
