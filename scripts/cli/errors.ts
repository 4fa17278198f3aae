/**
 * @module scripts/cli/errors
 * The CLI's two kinds of expected failure. Both exit 2 with a single line on
 * stderr; anything else is a bug, still reported in one line (never a stack).
 */

/** Bad flags or flag combinations: the usage text follows the message. */
export class UsageError extends Error {}

/**
 * Bad input data or policy: the message already names the file and, where it
 * applies, the line and column, e.g. `data.csv:17: column "label" value …`.
 */
export class InputError extends Error {}

/** `file:line: message`, or `file: message` when there is no line. */
export function at(file: string, line: number | null, message: string): InputError {
  return new InputError(line === null ? `${file}: ${message}` : `${file}:${line}: ${message}`);
}
