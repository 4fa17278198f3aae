/**
 * @module scripts/bench-args
 * Command-line checks the benches share (bench:recommend, bench:faults): a bad value
 * stops the bench before it starts anything, with exit code 2 and the option's name.
 */

/** `v` (the value of `--name`) as an integer in 1..max; otherwise prints why and exits 2. */
export function positiveInt(name: string, v: string | undefined, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    process.stderr.write(`--${name} must be an integer in 1..${max}\n`);
    process.exit(2);
  }
  return n;
}
