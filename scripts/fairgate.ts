/**
 * @module scripts/fairgate
 * The `fairgate` command line: `fairgate check` runs the fairness gate over a
 * CSV or NDJSON file in CI (exit 0 pass or skip, 1 blocked); `fairgate verify FILE`
 * checks an evidence export offline (exit 0 intact, 1 tampered); `fairgate hash`
 * recomputes a window's dataset hash from a tenant database copy. Exit 2 is bad
 * usage or bad input. Errors are one line on stderr, never a stack trace.
 *
 *   node --import tsx scripts/fairgate.ts check --input data.csv --sensitive race ...
 *   npx fairgate check ...            (bin/fairgate.mjs registers tsx, then calls main)
 *
 * FAIRGATE_DEBUG_RSS=1 prints the process's peak RSS on stderr at exit (for the
 * bounded-memory test and scripts/bench-cli.ts).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseCommand, USAGE } from "./cli/args.js";
import { type CheckIo, runCheck } from "./cli/check.js";
import { InputError, UsageError } from "./cli/errors.js";
import { runVerify } from "./cli/verify.js";
import { runAuditLl144 } from "./cli/audit.js";
import { runHash } from "./cli/hash.js";

/** Exit status for bad usage, bad input and any other failure: never mistakable for pass/block. */
export const EXIT_ERROR = 2;

/** Runs the CLI with `argv` (without node and script); returns the exit status. */
export async function main(argv: string[], io: CheckIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    // `hash` parses its own flags (scripts/cli/hash.ts): an offline tool apart from check's many options.
    if (argv[0] === "hash") return await runHash(argv.slice(1), io);
    const command = parseCommand(argv);
    if (command.kind === "help") {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (command.kind === "verify") return await runVerify(command.file, command.json, io, command.publicKey);
    if (command.kind === "audit-ll144") return await runAuditLl144(command.options, io);
    return await runCheck(command.options, io);
  } catch (err) {
    if (err instanceof UsageError) io.stderr.write(`fairgate: ${err.message}\n\n${USAGE}\n`);
    else if (err instanceof InputError) io.stderr.write(`fairgate: ${err.message}\n`);
    // Unexpected: still one line — CI logs are read by people, not debuggers.
    else io.stderr.write(`fairgate: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_ERROR;
  } finally {
    if (process.env.FAIRGATE_DEBUG_RSS) io.stderr.write(`fairgate: debug: maxRSS ${process.resourceUsage().maxRSS} KiB\n`);
  }
}

/** Runs `main` on the process's arguments and sets the exit status (letting stdout drain). */
export async function run(): Promise<void> {
  // A closed pipe (e.g. `| head`) is not an error worth reporting; anything else is, in one line.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") return;
    process.stderr.write(`fairgate: cannot write to stdout (${err.code ?? err.message})\n`);
    process.exitCode = EXIT_ERROR;
  });
  process.exitCode = await main(process.argv.slice(2));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await run();
