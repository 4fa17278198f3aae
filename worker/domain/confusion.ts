/**
 * @module domain/confusion
 * The confusion table: per group, the counts every gated metric is a function of.
 * It is the only thing that crosses from the engine (kernels) into the domain.
 */

/** Counts for one group of usable traces. */
export interface GroupCounts {
  /** The sensitive attribute's value (as a string). */
  value: string;
  n: number;
  selected: number;
  /** Traces whose outcome is known. */
  labeled: number;
  /** Traces with a positive outcome (converted = true). */
  positives: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** A confusion table: one entry per distinct value of the sensitive attribute. */
export interface ConfusionTable {
  groups: GroupCounts[];
}

/** Total usable traces in a table. */
export function sampleSize(table: ConfusionTable): number {
  return table.groups.reduce((s, g) => s + g.n, 0);
}

/** An empty group entry, for accumulation. */
export function emptyGroup(value: string): GroupCounts {
  return { value, n: 0, selected: 0, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 };
}

