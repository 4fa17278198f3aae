/**
 * @module scripts/cli/fail-on
 * `--fail-on block|critical|warning`: which findings fail the CI run (exit 1). A block
 * verdict always fails, as it always has; `critical` also fails on a critical-tier
 * finding, `warning` on any warning or critical finding (regressions against the
 * baseline are warnings). A skip never fails: it judged nothing. The exit-status
 * contract stays 0 pass / 1 fail / 2 bad usage or input, whatever the flag.
 */
import type { Evaluation } from "../../worker/domain/evaluation.js";
import type { FailOn } from "./args.js";

/** The warning tiers that fail the run under `failOn` (a block always does). */
export function failingTiers(failOn: FailOn): ("critical" | "warning")[] {
  return failOn === "warning" ? ["critical", "warning"] : failOn === "critical" ? ["critical"] : [];
}

/** Whether `e` fails the run under `failOn`. */
export function failsRun(e: Pick<Evaluation, "verdict" | "warnings">, failOn: FailOn = "block"): boolean {
  if (e.verdict === "block") return true;
  if (e.verdict === "skip") return false;
  const tiers = failingTiers(failOn);
  return e.warnings.some((w) => tiers.includes(w.tier));
}

/** Exit status of a run: 1 when it fails under `failOn`, else 0. */
export const exitCodeFor = (e: Pick<Evaluation, "verdict" | "warnings">, failOn: FailOn = "block"): 0 | 1 => (failsRun(e, failOn) ? 1 : 0);
