/**
 * @module scripts/cli/hash
 * `fairgate hash --db TENANT.db --tenant ID (--evaluation FILE | --flow KEY --attributes
 * a,b --from ISO --to ISO) [--expect HEX] [--json]`: recomputes a window's dataset hash
 * offline from a copy of the tenant database (the export: BLOB columns, dictionaries,
 * outcome deltas, trace rows), in both schemes the gateway has stored —
 * `fairgate-dataset/3` (Merkle) and `fairgate-dataset/2` (row chunks).
 * Nothing stored about the data is trusted: segment content and column hashes, delta
 * digests and summaries are recomputed from the columns and the deltas themselves (a
 * source that hides them from the reader), and the database is never written. With
 * `--evaluation` (an evidence pack's `evaluations/<id>.json`) the flow, attributes and
 * window come from the evaluation and its stored hash is the expected one; its observed
 * per-group counts are also compared with a recount from the columns (the gate sums stored
 * summaries, which are not hash leaves). Exit 0 when the expected hash matches one scheme
 * (or none was given) and the counts agree, 1 when the hash matches neither or a count differs.
 * `fairgate-dataset/1` hashes cannot be recomputed (their format is retired); those
 * evaluations still verify through their chain (`fairgate verify`).
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createClient } from "@libsql/client";
import { createColumnarWindowReader } from "../../worker/engine/columnar-window.js";
import { loadWasmKernelsFromFile } from "../../worker/engine/kernels/wasm-node.js";
import { createSummaryWindowReader } from "../../worker/engine/summary-window.js";
import { createTenantStore } from "../../worker/store/tenant-store.js";
import { z } from "zod";
import type { GroupCounts } from "../../worker/domain/confusion.js";
import { sliceResultSchema } from "../../worker/domain/evaluation.js";
import type { CheckIo } from "./check.js";
import { InputError, UsageError } from "./errors.js";

export const HASH_USAGE =
  "fairgate hash --db TENANT.db --tenant ID (--evaluation EVALUATION.json | --flow KEY --attributes a,b --from ISO --to ISO) [--expect HEX] [--json]";

interface Query {
  flowKey: string;
  attributes: string[];
  from: Date;
  to: Date;
  expect: string | null;
  /** With --evaluation: the counts it reported for the observed window, slice by slice. */
  counts: { slice: string; groups: GroupCounts[] }[] | null;
}

const COUNT_FIELDS = ["n", "selected", "labeled", "positives", "tp", "fp", "fn", "tn"] as const;
/** The evaluation fields `fairgate hash` reads (parsed, not cast): its flow, window and observed counts. */
const evaluationBodySchema = z.object({
  flowKey: z.string().nullable(),
  sensitiveAttributes: z.array(z.string()),
  window: z.object({ from: z.string(), to: z.string() }).nullable(),
  results: z.array(sliceResultSchema.pick({ slice: true, source: true, groups: true })).optional(),
});

/**
 * Where the evaluation's counts and the recount from the data differ (at most 20), each as
 * one line. The gate sums stored per-segment summaries, which are not hash leaves: a summary
 * altered before an evaluation leaves its dataset hash intact but not its counts.
 */
function countMismatches(stored: NonNullable<Query["counts"]>, recounted: readonly { name: string; table: { groups: readonly GroupCounts[] } }[]): string[] {
  const out: string[] = [];
  for (const s of stored) {
    const r = recounted.find((x) => x.name === s.slice);
    if (!r) {
      out.push(`slice ${s.slice}: not in the recount`);
      continue;
    }
    const values = new Set([...s.groups.map((g) => g.value), ...r.table.groups.map((g) => g.value)]);
    for (const v of values) {
      const a = s.groups.find((g) => g.value === v);
      const b = r.table.groups.find((g) => g.value === v);
      for (const f of COUNT_FIELDS) if ((a?.[f] ?? 0) !== (b?.[f] ?? 0)) out.push(`slice ${s.slice} group ${JSON.stringify(v)}: ${f} ${a?.[f] ?? 0} in the evaluation, ${b?.[f] ?? 0} in the data`);
    }
  }
  return out.slice(0, 20);
}

async function queryOf(v: Record<string, string | boolean | undefined>): Promise<Query> {
  if (typeof v.evaluation === "string") {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(v.evaluation, "utf8"));
    } catch (e) {
      throw new InputError(`${v.evaluation}: cannot read it as JSON (${(e as Error).message})`);
    }
    // An evidence pack member wraps the stored body ({body, datasetHash}); a bare evaluation body works too.
    const wrapper = z.object({ body: z.unknown(), datasetHash: z.string().nullable().optional() }).safeParse(raw);
    const parsed = evaluationBodySchema.safeParse(wrapper.success && wrapper.data.body !== undefined ? wrapper.data.body : raw);
    const body = parsed.success ? parsed.data : null;
    if (!body?.flowKey || !body.window || !body.sensitiveAttributes.length) throw new InputError(`${v.evaluation}: not a gateway evaluation with a window`);
    const counts = (body.results ?? []).filter((r) => r.source === "observed").map((r) => ({ slice: r.slice, groups: r.groups }));
    const stored = wrapper.success ? (wrapper.data.datasetHash ?? null) : null;
    return { flowKey: body.flowKey, attributes: body.sensitiveAttributes, from: new Date(body.window.from), to: new Date(body.window.to), expect: typeof v.expect === "string" ? v.expect : stored, counts };
  }
  if (typeof v.flow !== "string" || typeof v.attributes !== "string" || typeof v.from !== "string" || typeof v.to !== "string") throw new UsageError(`hash needs --evaluation, or --flow, --attributes, --from and --to`);
  const from = new Date(v.from);
  const to = new Date(v.to);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new UsageError("--from and --to must be ISO times");
  return { flowKey: v.flow, attributes: v.attributes.split(","), from, to, expect: typeof v.expect === "string" ? v.expect : null, counts: null };
}

/** Runs `fairgate hash` with its arguments (after the word `hash`); returns the exit status. */
export async function runHash(argv: string[], io: CheckIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        db: { type: "string" }, tenant: { type: "string" }, evaluation: { type: "string" }, flow: { type: "string" }, attributes: { type: "string" },
        from: { type: "string" }, to: { type: "string" }, expect: { type: "string" }, json: { type: "boolean", default: false }, wasm: { type: "string" },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (!v.db || !v.tenant) throw new UsageError("hash needs --db and --tenant");
  const q = await queryOf(v);
  const client = createClient({ url: `file:${v.db}`, intMode: "number" });
  try {
    const store = createTenantStore(client, v.tenant);
    const kernels = await loadWasmKernelsFromFile(v.wasm);
    // Hide every stored digest and summary: the reader recomputes them from the columns and deltas.
    const raw = {
      ...store.window,
      segmentList: async (f: string, a: number, b: number) => {
        const r = await store.window.segmentList(f, a, b);
        return { ...r, segments: r.segments.map((m) => ({ ...m, contentHash: null, columnHashes: {}, deltaDigest: null, deltaCount: undefined })) };
      },
      windowStatistics: async () => ({ summaries: [] }),
      memoiseSegment: async () => {},
    };
    const v3 = await createSummaryWindowReader(raw, kernels).readWindow(q.flowKey, q.attributes, q.from, q.to);
    const v2 = await createColumnarWindowReader(store.window, kernels).readWindow(q.flowKey, q.attributes, q.from, q.to);
    const matches = q.expect === null ? null : q.expect === v3.datasetHash ? "fairgate-dataset/3" : q.expect === v2.datasetHash ? "fairgate-dataset/2" : "none";
    // The counts are compared on the window the hash covers: the recount is v3's (no summary read).
    const mismatches = q.counts === null ? null : countMismatches(q.counts, v3.slices);
    const counts = mismatches === null ? null : mismatches.length === 0 ? "match" : "mismatch";
    const out = { flowKey: q.flowKey, attributes: q.attributes, from: q.from.toISOString(), to: q.to.toISOString(), "fairgate-dataset/3": v3.datasetHash, "fairgate-dataset/2": v2.datasetHash, expected: q.expect, matches, counts, countMismatches: mismatches ?? [] };
    if (v.json) io.stdout.write(`${JSON.stringify(out)}\n`);
    else {
      io.stdout.write(`fairgate-dataset/3 ${v3.datasetHash}\nfairgate-dataset/2 ${v2.datasetHash}\n`);
      if (q.expect !== null) io.stdout.write(matches === "none" ? `expected ${q.expect}: matches NEITHER scheme\n` : `expected ${q.expect}: matches ${matches}\n`);
      if (counts === "match") io.stdout.write("counts: the evaluation's observed counts equal a recount from the data\n");
      if (counts === "mismatch") io.stdout.write(`counts: the evaluation's observed counts DIFFER from a recount from the data:\n${mismatches!.map((m) => `  ${m}\n`).join("")}`);
    }
    return matches === "none" || counts === "mismatch" ? 1 : 0;
  } finally {
    client.close();
  }
}
