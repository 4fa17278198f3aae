/**
 * @module store/group-commit
 * Group commit for decision traces: requests that arrive while a commit is in
 * flight are written together in the next batch, and every request's promise
 * resolves only after its own batch is durable. One fsync then serves many
 * recommendations without ever answering before the trace is on disk. An item
 * may carry statements of its own (store/tenant/traces TraceWrite: privacy mode's
 * protected attributes); `commit` writes them in the item's batch, atomically.
 */

/** A writer that commits queued items in batches, one batch at a time. */
export interface GroupCommitWriter<T> {
  /** Resolves once `item` is committed; rejects if its batch failed. */
  write(item: T): Promise<void>;
  /** Resolves when everything queued so far is committed (used on shutdown). */
  drain(): Promise<void>;
}

/** Creates a group-commit writer over `commit`, which writes one batch atomically. */
export function createGroupCommitWriter<T>(commit: (items: T[]) => Promise<void>, maxBatch = 500): GroupCommitWriter<T> {
  let queue: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let running: Promise<void> | null = null;

  async function loop(): Promise<void> {
    while (queue.length) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(maxBatch);
      try {
        await commit(batch.map((b) => b.item));
        batch.forEach((b) => b.resolve());
      } catch (e) {
        batch.forEach((b) => b.reject(e));
      }
    }
    running = null;
  }

  return {
    write(item) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        running ??= loop();
      });
    },
    async drain() {
      while (running) await running;
    },
  };
}
