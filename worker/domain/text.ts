/**
 * @module domain/text
 * Text that does not survive storage unchanged is refused before anything is
 * written: a lone UTF-16 surrogate (which JSON allows as an escape) becomes
 * U+FFFD in the database's UTF-8, so what was hashed would no longer be what is
 * stored. Every string and object key of a value is checked.
 */
import { ValidationError } from "./errors.js";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string or key in `value` holding a lone surrogate, or null. */
export function illFormedTextPath(value: unknown, path = ""): string | null {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path || "(root)" : null;
  if (value === null || typeof value !== "object") return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = illFormedTextPath(value[i], path ? `${path}.${i}` : String(i));
      if (p) return p;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const here = path ? `${path}.${k}` : k;
    if (LONE_SURROGATE.test(k)) return here;
    const p = illFormedTextPath(v, here);
    if (p) return p;
  }
  return null;
}

/** Throws 400 `invalid_text` when `value` holds text that would not round-trip through storage. */
export function assertWellFormedText(value: unknown, what = "The request"): void {
  const path = illFormedTextPath(value);
  if (path !== null)
    throw new ValidationError(`${what} contains text that cannot be stored as sent (a lone UTF-16 surrogate) at ${path}.`, { errors: [{ path, code: "invalid_text", message: "lone UTF-16 surrogate" }] }, "invalid_text");
}
