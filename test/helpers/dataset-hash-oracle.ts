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
  type Row = { day: number; time: number; selected: number; outcome: number; score: number | null; labels: (string | null)[] };
  const rows: Row[] = [];
  for (const r of rs.rows) {
    const attrs = JSON.parse(String(r.attributes)) as Record<string, unknown>;
    const labels = q.attributes.map((a) => groupLabel(attrs[a]));
    if (labels.every((l) => l === null)) continue;
    const createdAt = Number(r.created_at);
    const day = Math.floor(createdAt / DAY_MS);
    rows.push({ day, time: createdAt - day * DAY_MS, selected: Number(r.selected), outcome: r.converted === null ? 255 : Number(r.converted), score: r.score === null ? null : Number(r.score), labels });
  }
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
  return { hash: createHash("sha256").update(Buffer.concat([header, ...digests])).digest("hex"), rows: rows.length };
}
