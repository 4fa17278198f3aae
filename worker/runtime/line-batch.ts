/**
 * @module runtime/line-batch
 * Log lines written in batches: lines logged during one turn of the event loop
 * go out as one write at its end. On Node, stdout to a pipe or a file is a
 * synchronous write call per line — one per request log line under load — so
 * batching turns many system calls (each of which also wakes the log reader)
 * into one per turn. Lines are never reordered or dropped, except those of the
 * last turn when the process is killed outright (SIGKILL); on any exit that runs
 * JavaScript, `flush()` writes what is left first (node.ts calls it on "exit").
 * A request's log line may therefore reach stdout just after its response.
 */

/** Batches lines for `write` (which gets whole lines, each ending in "\n"). */
export function createLineBatch(write: (text: string) => void, maxPendingBytes = 256 * 1024) {
  let pending: string[] = [];
  let bytes = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!pending.length) return;
    const text = pending.join("");
    pending = [];
    bytes = 0;
    write(text);
  };
  return {
    /** Queues one line (without its newline). */
    line(line: string): void {
      pending.push(line + "\n");
      bytes += line.length + 1;
      // A burst larger than this is written at once rather than held in memory.
      if (bytes >= maxPendingBytes) return flush();
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    /** Writes every queued line now. */
    flush,
  };
}
