/**
 * @module scripts/cli/synthetic
 * Writes large synthetic decision files (CSV or NDJSON) for the bounded-memory
 * test and scripts/bench-cli.ts, with exactly known counts per group.
 */
import { createWriteStream } from "node:fs";
import { once } from "node:events";

/** Groups cycle A, B, C, D; the row index alone fixes every value, so counts are exact. */
export const SYNTHETIC_GROUPS = ["A", "B", "C", "D"] as const;

/** One synthetic row: group by i mod 4; label by i mod 3 (1 on remainder 1); score in [0, 1). */
export function syntheticRow(i: number): { group: string; label: number; score: number } {
  return { group: SYNTHETIC_GROUPS[i % 4]!, label: i % 3 === 1 ? 1 : 0, score: ((i * 7919) % 1000) / 1000 };
}

/** Writes `rows` synthetic rows to `path`; resolves with the file size in bytes. */
export async function writeSyntheticDecisions(path: string, rows: number, format: "csv" | "ndjson"): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  let block = format === "csv" ? "group,label,score\n" : "";
  // Writes go out in ~64 KiB blocks, honouring backpressure, so generating is bounded too.
  const flush = async () => {
    bytes += Buffer.byteLength(block);
    if (!out.write(block)) await once(out, "drain");
    block = "";
  };
  for (let i = 0; i < rows; i++) {
    const r = syntheticRow(i);
    block += format === "csv" ? `${r.group},${r.label},${r.score}\n` : `{"group":"${r.group}","label":${r.label},"score":${r.score}}\n`;
    if (block.length >= 65_536) await flush();
  }
  await flush();
  out.end();
  await once(out, "finish");
  return bytes;
}
