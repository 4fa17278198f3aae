/**
 * @module domain/text
 * Text that does not survive storage unchanged is refused before anything is
 * written: a lone UTF-16 surrogate (which JSON allows as an escape) becomes
 * U+FFFD in the database's UTF-8, and a NUL (U+0000) ends a text value in the
 * SQLite driver, so what was hashed would no longer be what is stored. Every
 * string and object key of a value is checked.
 */
import { ValidationError } from "./errors.js";

const UNSTORABLE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/;

/**
 * The path of the first string or key in `value` holding a lone surrogate, or null.
 * Iterative: request bodies may nest deeper than the call stack allows.
 */
export function illFormedTextPath(value: unknown): string | null {
  const stack: { v: unknown; path: string }[] = [{ v: value, path: "" }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v === "string") {
      if (UNSTORABLE.test(v)) return path || "(root)";
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    // Pushed in reverse so the first offending member (in document order) is found first.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, x] = entries[i]!;
      const here = path ? `${path}.${k}` : k;
      if (!Array.isArray(v) && UNSTORABLE.test(k)) return here;
      stack.push({ v: x, path: here });
    }
  }
  return null;
}

/** Throws 400 `invalid_text` when `value` holds text that would not round-trip through storage. */
export function assertWellFormedText(value: unknown, what = "The request"): void {
  const path = illFormedTextPath(value);
  if (path !== null)
    throw new ValidationError(`${what} contains text that cannot be stored as sent (a lone UTF-16 surrogate or a NUL character) at ${path}.`, { errors: [{ path, code: "invalid_text", message: "lone UTF-16 surrogate or NUL character" }] }, "invalid_text");
}
