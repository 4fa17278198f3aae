/**
 * @module services/recheck-pool
 * Runs one job per tenant through a bounded pool, each under its own time
 * budget, so that one slow tenant (a locked file, a stalled libSQL server) holds
 * one slot for at most its budget and never delays the others beyond it.
 *
 * A job that outlives its budget is reported as timed out and its slot is
 * handed to the next tenant. JavaScript cannot cancel the job's promise, so the
 * job receives an AbortSignal that fires at the budget: the recheck checks it
 * before each flow's write, so nothing new is committed after it fires, and a
 * write already under way commits all of its batch or nothing. The job's claim
 * is released when it ends (or its lease expires), and the next run retries.
 *
 * Hand-written rather than p-limit/p-map: the budget and the abort are the
 * point, and neither library has them.
 */

export interface PoolOptions {
  /** Most jobs running at once (at least 1). */
  concurrency: number;
  /** How long one job may hold its slot before it is reported as timed out; null: no budget (jobs bounded by their own). */
  budgetMs: number | null;
}

export const DEFAULT_RECHECK_CONCURRENCY = 4;
export const DEFAULT_RECHECK_TENANT_BUDGET_MS = 60_000;

/** What one job ended as: its value, a timeout at the budget, or the error it threw. */
export type PoolOutcome<R> = { kind: "done"; value: R; elapsedMs: number } | { kind: "timed_out"; elapsedMs: number } | { kind: "error"; error: unknown; elapsedMs: number };

/**
 * Runs `job` for every item, at most `concurrency` at a time, and returns the
 * outcomes in the items' order. Never throws for one item.
 */
export async function runPool<T, R>(items: readonly T[], opts: PoolOptions, job: (item: T, signal: AbortSignal) => Promise<R>): Promise<PoolOutcome<R>[]> {
  const out = new Array<PoolOutcome<R>>(items.length);
  let next = 0;
  const runOne = async (item: T): Promise<PoolOutcome<R>> => {
    const abort = new AbortController();
    // Real time, not a business clock: this is how long the slot is held.
    const started = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const budget = new Promise<"timed_out">((ok) => {
      if (opts.budgetMs === null) return;
      timer = setTimeout(() => {
        abort.abort();
        ok("timed_out");
      }, opts.budgetMs);
    });
    const work = job(item, abort.signal).then(
      (value) => ({ kind: "done" as const, value }),
      (error: unknown) => ({ kind: "error" as const, error }),
    );
    try {
      const r = await Promise.race([work, budget]);
      const elapsedMs = Date.now() - started;
      return r === "timed_out" ? { kind: "timed_out", elapsedMs } : { ...r, elapsedMs };
    } finally {
      clearTimeout(timer);
    }
  };
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await runOne(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, items.length)) }, worker));
  return out;
}

/** Raised inside a job whose budget ran out, at the next point where it would write. */
export class BudgetExceededError extends Error {
  constructor() {
    super("the tenant's recheck budget ran out");
  }
}

/** Throws BudgetExceededError once `signal` has fired. */
export function checkBudget(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BudgetExceededError();
}
