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
 * window come from the evaluation and its stored hash is the expected one. Exit 0 when
 * the expected hash matches one scheme (or none was given), 1 when it matches neither.
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
}

async function queryOf(v: Record<string, string | boolean | undefined>): Promise<Query> {
  if (typeof v.evaluation === "string") {
    const raw = JSON.parse(await readFile(v.evaluation, "utf8")) as { body?: Record<string, unknown>; datasetHash?: string | null } & Record<string, unknown>;
    // An evidence pack member wraps the stored body; a bare evaluation body works too.
    const body = (raw.body ?? raw) as { flowKey?: string; sensitiveAttributes?: string[]; window?: { from: string; to: string } | null };
    if (!body.flowKey || !body.window || !body.sensitiveAttributes?.length) throw new InputError(`${v.evaluation}: not a gateway evaluation with a window`);
    return { flowKey: body.flowKey, attributes: body.sensitiveAttributes, from: new Date(body.window.from), to: new Date(body.window.to), expect: typeof v.expect === "string" ? v.expect : (raw.datasetHash ?? null) };
  }
  if (typeof v.flow !== "string" || typeof v.attributes !== "string" || typeof v.from !== "string" || typeof v.to !== "string") throw new UsageError(`hash needs --evaluation, or --flow, --attributes, --from and --to`);
  const from = new Date(v.from);
  const to = new Date(v.to);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new UsageError("--from and --to must be ISO times");
  return { flowKey: v.flow, attributes: v.attributes.split(","), from, to, expect: typeof v.expect === "string" ? v.expect : null };
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
      listSegments: async (f: string, a: number, b: number) => (await store.window.listSegments(f, a, b)).map((m) => ({ ...m, contentHash: null, columnHashes: {}, deltaDigest: null, deltaCount: undefined })),
      windowStatistics: async () => ({ summaries: [] }),
      memoiseSegment: async () => {},
    };
    const v3 = await createSummaryWindowReader(raw, kernels).readWindow(q.flowKey, q.attributes, q.from, q.to);
    const v2 = await createColumnarWindowReader(store.window, kernels).readWindow(q.flowKey, q.attributes, q.from, q.to);
    const matches = q.expect === null ? null : q.expect === v3.datasetHash ? "fairgate-dataset/3" : q.expect === v2.datasetHash ? "fairgate-dataset/2" : "none";
    const out = { flowKey: q.flowKey, attributes: q.attributes, from: q.from.toISOString(), to: q.to.toISOString(), "fairgate-dataset/3": v3.datasetHash, "fairgate-dataset/2": v2.datasetHash, expected: q.expect, matches };
    if (v.json) io.stdout.write(`${JSON.stringify(out)}\n`);
    else {
      io.stdout.write(`fairgate-dataset/3 ${v3.datasetHash}\nfairgate-dataset/2 ${v2.datasetHash}\n`);
      if (q.expect !== null) io.stdout.write(matches === "none" ? `expected ${q.expect}: matches NEITHER scheme\n` : `expected ${q.expect}: matches ${matches}\n`);
    }
    return matches === "none" ? 1 : 0;
  } finally {
    client.close();
  }
}
