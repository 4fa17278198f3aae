/**
 * @module engine/kernels/types
 * The contract every metric kernel implementation (AssemblyScript → Wasm, and the
 * plain TypeScript reference) fulfils. Only typed arrays of numbers cross this
 * boundary, mirroring what crosses the Wasm boundary itself.
 */

/** Outcome code for a trace whose outcome is not (yet) known. */
export const OUTCOME_UNKNOWN = 255;

/**
 * Number of u32 counters per group in a confusion-count result, in this order:
 * n, selected, labeled, positives, tp, fp, fn, tn.
 */
export const CONFUSION_FIELDS = 8;
export const enum ConfusionField {
  N = 0,
  Selected = 1,
  Labeled = 2,
  Positives = 3,
  TP = 4,
  FP = 5,
  FN = 6,
  TN = 7,
}

/**
 * Number of disjoint cells per group used for bootstrap replicates, in this order:
 * selected∧positive (TP), selected∧negative (FP), selected∧unknown,
 * ¬selected∧positive (FN), ¬selected∧negative (TN), ¬selected∧unknown.
 * Every confusion field is a sum of these cells, so replicating cells replicates the table.
 */
export const CELLS_PER_GROUP = 6;

/** One columnar batch of traces. All arrays have the same length (one entry per trace). */
export interface TraceColumns {
  /** Dictionary-encoded group code per trace, 0 ≤ code < groupCount. */
  group: Uint16Array;
  /** 1 if the decision selected the customer (at least one offer made), else 0. */
  selected: Uint8Array;
  /** 0 = negative outcome, 1 = positive outcome, 255 = unknown. */
  outcome: Uint8Array;
}

/** Metric kernels over columnar trace batches. */
export interface Kernels {
  readonly name: "wasm" | "reference";
  /**
   * Confusion counts per group, accumulated in one pass.
   * Returns (or adds into `into`, if given) a Uint32Array of length groupCount × CONFUSION_FIELDS.
   * Throws RangeError on mismatched column lengths or a group code ≥ groupCount.
   */
  confusion(columns: TraceColumns, groupCount: number, into?: Uint32Array): Uint32Array;
  /**
   * Per-group score histogram with `bins` equal-width bins over [0, 1]
   * (score 1.0 falls in the last bin; scores outside [0,1] are clamped; NaN scores are skipped).
   * Returns counts and positive-outcome sums, each groupCount × bins, group-major.
   */
  histogram(
    group: Uint16Array,
    score: Float32Array,
    outcome: Uint8Array,
    groupCount: number,
    bins: number,
  ): { count: Uint32Array; positives: Uint32Array };
  /**
   * Poisson bootstrap over sufficient statistics: `cells` has groupCount × CELLS_PER_GROUP
   * counts; returns replicates × cells.length counts, replicate-major, where each entry is a
   * Poisson(cell count) draw from a counter-based PRNG keyed by (seed, replicate, cell).
   * The same seed gives the same replicates bit for bit on every implementation and runtime.
   */
  bootstrap(cells: Uint32Array, replicates: number, seed: number): Uint32Array;
}
