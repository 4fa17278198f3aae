/**
 * @module domain/chain-sign
 * Signed chain heads: the (sequence, hash) of a tenant's chain, signed with the
 * platform's Ed25519 evidence key (WebCrypto, identical on Node, Deno and
 * Workers). A signed head is kept outside the tenant database (the control
 * store's chain anchors) and travels with every export, so rewriting, truncating
 * or rolling back a tenant database is caught by anyone holding the public key.
 *
 * Signed message: canonical JSON of
 * `{format: "fairgate-chain-head/2", tenantId, chain, seq, hash, signedAt, legacyRowsAllowed}`
 * (legacyRowsAllowed: whether rows from before chaining may precede the chain —
 * signed, so an export cannot claim it to excuse unchained rows).
 * Keys: the private key is a 32-byte Ed25519 seed (base64url, base64 or hex);
 * the public key is its 32 raw bytes, base64url; the key id is the first 16 hex
 * digits of SHA-256 over the raw public key.
 */
import { z } from "zod";
import { canonicalJson, type ChainName } from "./chain.js";
import { sha256Hex } from "./hex.js";

export const SIGNED_HEAD_FORMAT = "fairgate-chain-head/2";

/** A chain head as signed and stored (seq 0 with the genesis hash: an empty chain). */
export const signedHeadSchema = z.object({
  tenantId: z.string(),
  chain: z.enum(["audit", "evaluation"]),
  seq: z.number().int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  signedAt: z.string(),
  legacyRowsAllowed: z.boolean(),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  signature: z.string().regex(/^[A-Za-z0-9_-]+$/),
});
export type SignedHead = z.infer<typeof signedHeadSchema>;

/** The evidence signing key: signs heads and names its public half. */
export interface EvidenceSigner {
  keyId: string;
  /** Raw public key, base64url. */
  publicKey: string;
  sign(head: { tenantId: string; chain: ChainName; seq: number; hash: string; signedAt: string; legacyRowsAllowed: boolean }): Promise<SignedHead>;
}

/** Why a configured key is unusable (the message names the problem, never the key). */
export class SigningKeyError extends Error {}

const PKCS8_ED25519_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

function base64urlOf(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function bytesOfBase64(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** The 32-byte seed from its text form (64 hex digits, or base64 / base64url of 32 bytes). */
export function parseSeed(text: string): Uint8Array<ArrayBuffer> {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Uint8Array.from(t.match(/../g)!, (h) => parseInt(h, 16));
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const bytes = bytesOfBase64(t.replace(/=$/, ""));
    if (bytes.length === 32) return bytes;
  }
  throw new SigningKeyError("must be a 32-byte Ed25519 seed: 64 hex digits or 43 base64url characters");
}

/** A new random seed, base64url (what a generated key file holds). */
export function generateSeed(): string {
  return base64urlOf(crypto.getRandomValues(new Uint8Array(32)));
}

const message = (h: { tenantId: string; chain: string; seq: number; hash: string; signedAt: string; legacyRowsAllowed: boolean }) =>
  new TextEncoder().encode(
    canonicalJson({ format: SIGNED_HEAD_FORMAT, tenantId: h.tenantId, chain: h.chain, seq: h.seq, hash: h.hash, signedAt: h.signedAt, legacyRowsAllowed: h.legacyRowsAllowed }),
  );

/** The key id of a raw public key (base64url). */
export async function keyIdOf(publicKey: string): Promise<string> {
  return (await sha256Hex(bytesOfBase64(publicKey))).slice(0, 16);
}

/** Builds the signer for a seed (text form, see parseSeed). */
export async function createEvidenceSigner(seedText: string): Promise<EvidenceSigner> {
  const seed = parseSeed(seedText);
  const pkcs8 = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
  pkcs8.set(PKCS8_ED25519_PREFIX);
  pkcs8.set(seed, PKCS8_ED25519_PREFIX.length);
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const jwk = (await crypto.subtle.exportKey("jwk", privateKey)) as { x?: string };
  if (!jwk.x) throw new SigningKeyError("the runtime did not derive a public key");
  const publicKey = jwk.x;
  const keyId = await keyIdOf(publicKey);
  return {
    keyId,
    publicKey,
    async sign(h) {
      const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, message(h)));
      return { tenantId: h.tenantId, chain: h.chain, seq: h.seq, hash: h.hash, signedAt: h.signedAt, legacyRowsAllowed: h.legacyRowsAllowed, keyId, signature: base64urlOf(sig) };
    },
  };
}

/** Whether `head` carries a valid signature by `publicKey` (raw, base64url). Never throws on bad input. */
export async function verifySignedHead(head: SignedHead, publicKey: string): Promise<boolean> {
  try {
    if ((await keyIdOf(publicKey)) !== head.keyId) return false;
    const key = await crypto.subtle.importKey("raw", bytesOfBase64(publicKey), { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, bytesOfBase64(head.signature), message(head));
  } catch {
    return false;
  }
}
