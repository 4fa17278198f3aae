/**
 * @module console/evidence
 * How the console shows a gate's evidence: the violations, the metrics and the groups
 * exactly as the 422 problem body carries them (`GateBlockedError`'s fields), and the
 * same for a stored evaluation. Shared by the Publish and Flow screens.
 */
import type { Evaluation } from "../domain/evaluation.js";
import { type Html, fmt3, h, pct } from "./html.js";

type Group = Evaluation["groups"][number];

export function violationsList(violations: readonly string[]): Html {
  if (violations.length === 0) return h`<p>No violations.</p>`;
  return h`<ul class="violations">${violations.map((v) => h`<li>${v}</li>`)}</ul>`;
}

/** The 422's `metrics`: the sample size and the three pinned metrics (null = not computable, with the reason elsewhere). */
export function metricsTable(metrics: Record<string, number | null>): Html {
  return h`<table class="metrics"><thead><tr><th scope="col">Metric</th><th scope="col">Value</th></tr></thead><tbody>${Object.entries(metrics).map(
    ([k, v]) => h`<tr><th scope="row"><code>${k}</code></th><td class="num">${k === "sampleSize" ? String(v) : fmt3(v)}</td></tr>`,
  )}</tbody></table>`;
}

/** The 422's `groups`: one row per group with its counts, rates and the selection-rate interval. */
export function groupsTable(groups: readonly Group[], caption: string): Html {
  if (groups.length === 0) return h`<p>No groups: no usable decisions in the window.</p>`;
  const ci = (g: Group) => (g.intervals?.selectionRate ? `[${fmt3(g.intervals.selectionRate.lower)}, ${fmt3(g.intervals.selectionRate.upper)}]` : "–");
  return h`<table class="groups"><caption class="meta">${caption}</caption><thead><tr><th scope="col">Group</th><th scope="col">n</th><th scope="col">Selected</th><th scope="col">Selection rate</th><th scope="col">95% interval</th><th scope="col">Labelled</th><th scope="col">Positives</th><th scope="col">TPR</th><th scope="col">FPR</th></tr></thead><tbody>${groups.map(
    (g) =>
      h`<tr data-group="${g.value}"><th scope="row">${g.value}${g.excluded ? h` <span class="meta">(small cell, left out of gaps)</span>` : ""}</th><td class="num">${g.n}</td><td class="num">${g.selected}</td><td class="num">${pct(g.selectionRate)}</td><td class="num">${ci(g)}</td><td class="num">${g.labeled}</td><td class="num">${g.positives}</td><td class="num">${pct(g.tpr)}</td><td class="num">${pct(g.fpr)}</td></tr>`,
  )}</tbody></table>`;
}
