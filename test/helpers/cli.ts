/** Shared set-up for the in-process `fairgate` CLI tests (not a test file). */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../scripts/fairgate.js";
import type { CheckIo } from "../../scripts/cli/check.js";

/**
 * The 20-row sweep file's scores (selected = score >= threshold), whose selection rates
 * sweep.test.ts counts by hand: group A's are 0.1, 0.2, …, 1.0; group B's below.
 */
export const SWEEP_A = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
export const SWEEP_B = [0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.5, 0.6, 0.9];

/** Runs main(argv) in-process with `io` (clock, ids, env) and returns its exit code and what it wrote. */
export async function runMain(argv: string[], io: Omit<CheckIo, "stdout" | "stderr"> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { ...io, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

/** A fresh temporary directory holding `scores.csv` (the given text) and `policy.json` (the policy as JSON). */
export async function checkInputs(prefix: string, csvText: string, policy: unknown): Promise<{ dir: string; csv: string; policy: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const csv = join(dir, "scores.csv");
  await writeFile(csv, csvText);
  const policyPath = join(dir, "policy.json");
  await writeFile(policyPath, JSON.stringify(policy));
  return { dir, csv, policy: policyPath };
}
