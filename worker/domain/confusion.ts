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

/** Adds `b` into `a` (same group). */
export function addGroup(a: GroupCounts, b: Omit<GroupCounts, "value">): void {
  a.n += b.n;
  a.selected += b.selected;
  a.labeled += b.labeled;
  a.positives += b.positives;
  a.tp += b.tp;
  a.fp += b.fp;
  a.fn += b.fn;
  a.tn += b.tn;
}

/**
 * Merges tables (e.g. from several batches) by group value; output is sorted by
 * value so the same data always yields the same table regardless of batch order.
 */
export function mergeTables(tables: ConfusionTable[]): ConfusionTable {
  const byValue = new Map<string, GroupCounts>();
  for (const t of tables) {
    for (const g of t.groups) {
      let acc = byValue.get(g.value);
      if (!acc) byValue.set(g.value, (acc = emptyGroup(g.value)));
      addGroup(acc, g);
    }
  }
  return { groups: [...byValue.values()].sort((x, y) => (x.value < y.value ? -1 : x.value > y.value ? 1 : 0)) };
}
