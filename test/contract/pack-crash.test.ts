/**
 * Packing is crash-safe: a packer killed with SIGKILL at random moments never
 * loses a trace or counts one twice — the columnar view always equals the row
 * view, and a later packing run completes the job.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createColumnarWindowReader } from "../../worker/engine/columnar-window.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import { createRowWindowReader } from "../../worker/engine/window.js";
import { packTraces } from "../../worker/services/pack.js";
import { createTestTenantStore } from "../helpers/tenant-db.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BASE = Date.UTC(2026, 2, 1);
const NOW = BASE + 9 * DAY_MS + 3_600_000;

describe("packing under SIGKILL", () => {
  it("never loses or double-counts a trace", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "fairgate-crash-")), "t1.db");
    const { client, store } = await createTestTenantStore(`file:${file}`);
    await client.execute("PRAGMA journal_mode = WAL");
    const N = 40_000;
    const traces = Array.from({ length: N }, (_, i) => ({
      id: `t${i}`, flowKey: "f", version: 1, customerId: "c", attributes: { g: ["a", "b", "c"][i % 3]! },
      selected: i % 4 === 0, score: null, offers: null, converted: i % 5 === 0 ? true : i % 7 === 0 ? false : null,
      source: "bulk" as const, createdAt: BASE + (i % 9) * DAY_MS + (i % 86_000) * 1000,
    }));
    for (let i = 0; i < N; i += 5000) await store.traces.insert(traces.slice(i, i + 5000));
    const kernels = createReferenceKernels();
    const from = new Date(NOW - 10 * DAY_MS);
    const to = new Date(NOW);
    const expected = await createRowWindowReader(store.window, kernels).confusionTable("f", "g", from, to);
    expect(expected.groups.reduce((s, g) => s + g.n, 0)).toBe(N);

    let kills = 0;
    for (const delay of [150, 400, 900, 1500]) {
      const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/pack-child.ts", `file:${file}`, String(NOW)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      await new Promise<void>((ok) => child.stdout.once("data", () => ok()));
      await new Promise((r) => setTimeout(r, delay));
      if (child.exitCode === null) {
        child.kill("SIGKILL");
        kills++;
      }
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once("exit", r)));
      const col = await createColumnarWindowReader(store.window, kernels).confusionTable("f", "g", from, to);
      expect(col).toEqual(expected);
      const seg = await client.execute("SELECT coalesce(sum(row_count), 0) AS n FROM trace_segments");
      const marked = await client.execute("SELECT count(*) AS n FROM decision_traces WHERE segment_id IS NOT NULL");
      expect(seg.rows[0]!.n).toBe(marked.rows[0]!.n);
    }
    expect(kills).toBeGreaterThan(0);
    await packTraces({ clock: () => new Date(NOW), newId: () => crypto.randomUUID() }, store);
    const unpacked = await client.execute(`SELECT count(*) AS n FROM decision_traces WHERE segment_id IS NULL AND created_at < ${Math.floor(NOW / DAY_MS) * DAY_MS}`);
    expect(unpacked.rows[0]!.n).toBe(0);
    expect(await createColumnarWindowReader(store.window, kernels).confusionTable("f", "g", from, to)).toEqual(expected);
    client.close();
  });
});
