/**
 * @module scripts/cli/progress
 * A one-line progress bar (bytes read / file size) for interactive terminals.
 * Redraws at most ten times a second so it never costs measurable throughput.
 */

const WIDTH = 30;
const REDRAW_MS = 100;

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);

/** Creates a bar on `out` (a TTY) for a file of `total` bytes. */
export function createProgress(out: { write(s: string): unknown }, total: number) {
  let last = 0;
  let drawn = false;
  return {
    update(bytes: number): void {
      const now = Date.now();
      if (now - last < REDRAW_MS) return;
      last = now;
      const frac = total > 0 ? Math.min(1, bytes / total) : 1;
      const filled = Math.round(frac * WIDTH);
      out.write(`\r[${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${mb(bytes)}/${mb(total)} MB`);
      drawn = true;
    },
    /** Erases the bar (before other stderr output, and when done). */
    clear(): void {
      if (drawn) out.write("\r\x1b[K");
      drawn = false;
    },
  };
}
