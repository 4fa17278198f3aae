/**
 * @module scripts/cli/state
 * The sequential state file of `fairgate check --state FILE`: the confidence
 * sequences (domain/sequential) carried from one CI run to the next. A missing file
 * starts new sequences; a file that does not parse is bad input (exit 2), never a
 * silently restarted sequence. Written to a temporary file beside it and renamed
 * over it, so a killed run leaves the old state or the new one, never half of one.
 */
import { randomUUID } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { type SequenceState, sequenceStateSchemaOf } from "../../worker/domain/sequential.js";
import { at } from "./errors.js";

export const STATE_FORMAT = "fairgate-sequential-state/1";

const fileSchema = z.strictObject({
  format: z.literal(STATE_FORMAT),
  updatedAt: z.string(),
  evaluationId: z.string(),
  states: z.array(sequenceStateSchemaOf(z.strictObject)),
});

/** The kept states, or none when the file does not exist yet. */
export async function loadState(file: string): Promise<SequenceState[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw at(file, null, `cannot read the state file (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw at(file, null, `invalid JSON in the state file (${(err as Error).message})`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw at(file, null, `not a ${STATE_FORMAT} file: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`).join("; ")}`);
  return parsed.data.states;
}

/** Replaces the state file atomically (temporary file in the same directory, then rename). */
export async function saveState(file: string, states: SequenceState[], evaluationId: string, now: Date): Promise<void> {
  const body = `${JSON.stringify({ format: STATE_FORMAT, updatedAt: now.toISOString(), evaluationId, states }, null, 2)}\n`;
  const tmp = join(dirname(file), `.${randomUUID()}.fairgate-state.tmp`);
  try {
    await writeFile(tmp, body, { flag: "wx" });
    await rename(tmp, file);
  } catch (err) {
    throw at(file, null, `cannot write the state file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
