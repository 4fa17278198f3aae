/**
 * @module http/crypto
 * Key and token helpers on WebCrypto (available on Node, Deno and Workers).
 */

import { sha256Hex } from "../domain/hex.js";

/** Keys are hashed with plain SHA-256: they are 256-bit random, so a fast hash is sufficient. */
export { sha256Hex };

/** A random secret: prefix + 32 random bytes, base64url. */
export function randomSecret(prefix: string): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return prefix + btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Constant-time comparison of two secrets: both are hashed first, so the
 * comparison time depends on neither their content nor their lengths.
 */
export async function secretsEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(presented), sha256Hex(expected)]);
  return hashesEqual(a, b);
}

/** Constant-time comparison of two equal-length hex digests. */
export function hashesEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
