/**
 * @module domain/hex
 * The one hex encoder and SHA-256 helper of the tree. WebCrypto is a global on
 * Node, Deno and Workers, so hashing needs no I/O import and may live in the
 * pure domain; every layer (chain links, key hashes, dataset hashes, webhook
 * signatures) encodes digests through here so they agree byte for byte.
 */

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex of a byte buffer. */
export function toHex(buf: ArrayBuffer | Uint8Array): string {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  let s = "";
  for (const b of bytes) s += HEX[b];
  return s;
}

/** SHA-256 of bytes or a UTF-8 string, lowercase hex. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return toHex(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/** The parts laid end to end in one new buffer. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((x, p) => x + p.length, 0));
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  return all;
}

/** SHA-256 of the parts laid end to end (a hash over a framed byte layout), lowercase hex. */
export async function sha256HexOfParts(parts: readonly Uint8Array[]): Promise<string> {
  return sha256Hex(concatBytes(parts));
}

/** HMAC-SHA256 of a UTF-8 message under a UTF-8 secret, lowercase hex. */
export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toHex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
}
