/**
 * A deliberately naive, independent implementation of the dataset hash (format
 * `fairgate-dataset/2`, docs/evidence.md) for tests: one SQL read of every trace of the
 * window, ordered by SQL, outcomes straight from the trace rows (not segments or deltas),
 * every chunk built from plain arrays with Buffer (label numbers by linear search) and hashed
 * with node:crypto. Both window readers must agree with it.
 */
import { createHash } from "node:crypto";
import type { Client } from "@libsql/client";
import { groupLabel } from "../../worker/domain/slices.js";

const DAY_MS = 86_400_000;

/** The dataset hash of `attributes` over the flow's traces in [fromMs, toMs), and how many rows it covers. */
export async function oracleDatasetHash(
  client: Client,
  q: { tenantId: string; flowKey: string; attributes: readonly string[]; fromMs: number; toMs: number; chunkRows?: number },
): Promise<{ hash: string; rows: number }> {
  const chunkRows = q.chunkRows ?? 32_768;
  const rs = await client.execute({
    sql: `SELECT seq, created_at, attributes, selected, converted, score FROM decision_traces
          WHERE tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ? ORDER BY created_at / 86400000, seq`,
    args: [q.tenantId, q.flowKey, q.fromMs, q.toMs],
  });
  const rows: Row[] = [];
  for (const r of rs.rows) {
    const attrs = JSON.parse(String(r.attributes)) as Record<string, unknown>;
    const labels = q.attributes.map((a) => groupLabel(attrs[a]));
    if (labels.every((l) => l === null)) continue;
    const createdAt = Number(r.created_at);
    const day = Math.floor(createdAt / DAY_MS);
    rows.push({ day, time: createdAt - day * DAY_MS, selected: Number(r.selected), outcome: r.converted === null ? 255 : Number(r.converted), score: r.score === null ? null : Number(r.score), labels });
  }
  return { hash: hashRowsV2(rows, q.attributes, chunkRows), rows: rows.length };
}

type Row = { day: number; time: number; selected: number; outcome: number; score: number | null; labels: (string | null)[] };

const u32 = (x: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(x);
  return b;
};
const u16 = (x: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(x);
  return b;
};

/** The `fairgate-dataset/2` hash of canonical rows (already usable and in (day, seq) order). */
function hashRowsV2(rows: Row[], attributes: readonly string[], chunkRows: number): string {
  const q = { attributes };
  const digests: Buffer[] = [];
  for (let c = 0; c < rows.length; c += chunkRows) {
    const chunk = rows.slice(c, c + chunkRows);
    // Day runs: consecutive rows on the same day.
    const runs: [number, number][] = [];
    for (const x of chunk) {
      const last = runs[runs.length - 1];
      if (last && last[0] === x.day) last[1]++;
      else runs.push([x.day, 1]);
    }
    const parts: Buffer[] = [u32(runs.length), ...runs.flatMap(([d, n]) => [u32(d), u32(n)])];
    for (const x of chunk) parts.push(u32(x.time));
    parts.push(Buffer.from(chunk.map((x) => x.selected)), Buffer.from(chunk.map((x) => x.outcome)));
    for (const x of chunk) {
      const b = Buffer.alloc(4);
      if (x.score === null) b.writeUInt32LE(0x7fc00000);
      else b.writeFloatLE(x.score);
      parts.push(b);
    }
    // Labels: per attribute, numbered by first appearance in the chunk; then the label lists.
    const lists = q.attributes.map((_, j) => {
      const names: string[] = [];
      for (const x of chunk) {
        const l = x.labels[j] ?? null;
        if (l !== null && !names.includes(l)) names.push(l);
        parts.push(u16(l === null ? 0xffff : names.indexOf(l)));
      }
      return names;
    });
    for (const names of lists) {
      parts.push(u32(names.length));
      for (const l of names) parts.push(u32(Buffer.byteLength(l, "utf8")), Buffer.from(l, "utf8"));
    }
    digests.push(createHash("sha256").update(Buffer.concat(parts)).digest());
  }
  const header = Buffer.from(`fairgate-dataset/2\n${JSON.stringify(q.attributes)}\n${rows.length}\n`, "utf8");
  return createHash("sha256").update(Buffer.concat([header, ...digests])).digest("hex");
}

/**
 * The `fairgate-dataset/3` (Merkle) hash, naively: one SQL read of the window's segments (S leaves, C when cut by the window)
 * with their BLOBs, dictionaries and deltas, one of every trace row with its segment; each
 * leaf's bytes built with Buffer and node:crypto from the layout in docs/evidence.md, never
 * from stored hashes, summaries or the engine.
 */
export async function oracleMerkleHash(
  client: Client,
  q: { tenantId: string; flowKey: string; attributes: readonly string[]; fromMs: number; toMs: number; chunkRows?: number },
): Promise<{ hash: string; leaves: string }> {
  const chunkRows = q.chunkRows ?? 32_768;
  const segs = await client.execute({
    sql: `SELECT s.id, s.day, s.row_count, s.created_min, s.created_max, s.unpacked_attributes, s.time_col, s.selected_col, s.outcome_col, s.score_col,
            (SELECT min(seq) FROM decision_traces d WHERE d.segment_id = s.id) AS lo
          FROM trace_segments s WHERE s.tenant_id = ? AND s.flow_key = ? AND s.created_max >= ? AND s.created_min < ?`,
    args: [q.tenantId, q.flowKey, q.fromMs, q.toMs],
  });
  const whole = new Map<string, { day: number; lo: number; leaf: Buffer }>();
  for (const s of segs.rows) {
    const unpacked = JSON.parse(String(s.unpacked_attributes)) as string[];
    if (q.attributes.some((a) => unpacked.includes(a))) continue;
    // Cut by the window's bounds: a C leaf, the S fields plus the kept ms-of-day range.
    const dayStart = Number(s.day) * DAY_MS;
    const cut = Number(s.created_min) < q.fromMs || Number(s.created_max) >= q.toMs;
    const n = Number(s.row_count);
    const blob = (x: unknown) => Buffer.from(x as ArrayBuffer);
    const score = blob(s.score_col);
    for (let i = 0; i < n; i++) if (Number.isNaN(score.readFloatLE(4 * i))) score.writeUInt32LE(0x7fc00000, 4 * i);
    const content = createHash("sha256")
      .update(Buffer.concat([Buffer.from("fairgate-segment/1\n"), u32(Number(s.day)), u32(n), blob(s.time_col), blob(s.selected_col), blob(s.outcome_col), score]))
      .digest();
    const cols: Buffer[] = [];
    for (const a of q.attributes) {
      const c = await client.execute({ sql: "SELECT dict, codes FROM segment_columns WHERE segment_id = ? AND attribute = ?", args: [String(s.id), a] });
      const r = c.rows[0];
      if (!r) {
        cols.push(Buffer.alloc(32));
        continue;
      }
      const dict = JSON.parse(String(r.dict)) as string[];
      const list = [u32(dict.length), ...dict.flatMap((l) => [u32(Buffer.byteLength(l)), Buffer.from(l)])];
      cols.push(createHash("sha256").update(Buffer.concat([Buffer.from(`fairgate-column/1\n${a}\n`), ...list, blob(r.codes)])).digest());
    }
    const deltas = await client.execute({ sql: "SELECT pos, outcome FROM segment_outcome_deltas WHERE segment_id = ?", args: [String(s.id)] });
    const lanes = new Array<number>(16).fill(0);
    for (const d of deltas.rows) {
      const e = createHash("sha512").update(Buffer.concat([Buffer.from("fairgate-delta/1\n"), u32(Number(d.pos)), Buffer.from([Number(d.outcome)])])).digest();
      for (let i = 0; i < 16; i++) lanes[i] = (lanes[i]! + e.readUInt32LE(4 * i)) % 4294967296;
    }
    const bounds = cut ? [u32(Math.max(0, q.fromMs - dayStart)), u32(Math.min(DAY_MS, q.toMs - dayStart))] : [];
    const leaf = Buffer.concat([Buffer.from(cut ? "C" : "S"), u32(Number(s.day)), u32(n), content, ...cols, u32(deltas.rows.length), ...lanes.map(u32), ...bounds]);
    whole.set(String(s.id), { day: Number(s.day), lo: Number(s.lo), leaf });
  }
  const rs = await client.execute({
    sql: `SELECT seq, created_at, attributes, selected, converted, score, segment_id FROM decision_traces
          WHERE tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ? ORDER BY created_at / 86400000, seq`,
    args: [q.tenantId, q.flowKey, q.fromMs, q.toMs],
  });
  // Items in (day, seq) order: a whole segment at its lowest seq, every other usable row at its own.
  const items: { day: number; seq: number; leaf?: Buffer; row?: Row }[] = [...whole.values()].map((w) => ({ day: w.day, seq: w.lo, leaf: w.leaf }));
  for (const r of rs.rows) {
    if (r.segment_id !== null && whole.has(String(r.segment_id))) continue;
    const attrs = JSON.parse(String(r.attributes)) as Record<string, unknown>;
    const labels = q.attributes.map((a) => groupLabel(attrs[a]));
    if (labels.every((l) => l === null)) continue;
    const createdAt = Number(r.created_at);
    const day = Math.floor(createdAt / DAY_MS);
    const row = { day, time: createdAt - day * DAY_MS, selected: Number(r.selected), outcome: r.converted === null ? 255 : Number(r.converted), score: r.score === null ? null : Number(r.score), labels };
    items.push({ day, seq: Number(r.seq), row });
  }
  items.sort((a, b) => a.day - b.day || a.seq - b.seq);
  const leaves: Buffer[] = [];
  let run: Row[] = [];
  const close = () => {
    if (run.length) leaves.push(Buffer.concat([Buffer.from("R"), u32(run.length), Buffer.from(hashRowsV2(run, q.attributes, chunkRows), "hex")]));
    run = [];
  };
  for (const it of items) {
    if (it.row) run.push(it.row);
    else {
      close();
      leaves.push(it.leaf!);
    }
  }
  close();
  const header = Buffer.from(`fairgate-dataset/3\n${JSON.stringify(q.attributes)}\n${leaves.length}\n`, "utf8");
  return { hash: createHash("sha256").update(Buffer.concat([header, ...leaves])).digest("hex"), leaves: leaves.map((l) => String.fromCharCode(l[0]!)).join("") };
}
