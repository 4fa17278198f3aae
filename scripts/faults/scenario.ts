/**
 * @module scripts/faults/scenario
 * The shape of one fault scenario of `npm run bench:faults`: a name and a
 * function that starts what it needs (its own gateway, data directory, servers),
 * injects its fault, and returns its figures as plain JSON. Scenarios clean up
 * after themselves even when they fail; bench-faults.ts collects them in one
 * array and prints one JSON object with every scenario's figures.
 */

/** Options every scenario may read (from the command line). */
export interface FaultOptions {
  /** How long the lock scenario holds its exclusive lock. */
  lockSeconds: number;
  /** Lines of the bulk-load scenario. */
  bulkLines: number;
  /** Recommend loops kept in flight by the load generators. */
  concurrency: number;
  /** Progress lines go here (stderr), never to stdout. */
  log: (msg: string) => void;
}

export interface FaultScenario {
  name: string;
  run(opts: FaultOptions): Promise<Record<string, unknown>>;
}
