/**
 * @module scripts/cli/baseline
 * Reads `--baseline FILE`: a previous evaluation (a `fairgate check` evaluation.json or
 * a gateway evaluation) to compare with under the policy's maxRegression. Parsed with
 * zod down to what the comparison reads, so an evaluation of any version qualifies
 * while anything else is refused in one line.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { BaselineView } from "../../worker/domain/baseline.js";
import { at } from "./errors.js";

const metricValues = z.record(z.string(), z.number().nullable());
const resultSchema = z.object({
  slice: z.string(),
  source: z.enum(["observed", "replayed"]),
  metrics: z.record(z.string(), z.object({ value: z.number().nullable() })),
});

const baselineSchema = z.object({
  id: z.string(),
  createdAt: z.string().optional(),
  sensitiveAttribute: z.string().nullable().optional(),
  metrics: metricValues,
  results: z.array(resultSchema).optional(),
});

/** Loads a baseline evaluation file. Throws InputError naming the file. */
export async function loadBaseline(file: string): Promise<BaselineView> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw at(file, null, code === "ENOENT" ? "baseline file not found" : code ? `cannot read baseline file (${code})` : "baseline is not valid JSON");
  }
  const parsed = baselineSchema.safeParse(json);
  if (!parsed.success) throw at(file, null, "is not an evaluation (expected the evaluation.json of a previous run)");
  const e = parsed.data;
  return {
    id: e.id,
    createdAt: e.createdAt ?? "",
    sensitiveAttribute: e.sensitiveAttribute ?? null,
    metrics: e.metrics,
    ...(e.results ? { results: e.results } : {}),
  };
}
