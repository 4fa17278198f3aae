/**
 * @module domain/chain
 * Tamper evidence: canonical JSON, SHA-256 (WebCrypto, so the same code runs on
 * Workers, Deno and Node) and the hash chain that links a tenant's audit rows
 * (and, separately, its evaluations). One verifier serves the API route, the
 * NDJSON export and the offline `fairgate verify`, so they cannot disagree.
 *
 * Link hash of row n: sha256(canonical({chain, seq: n, prev: hash(n-1), content})),
 * with hash(0) = GENESIS. Editing any stored field changes `content`, so the
 * recomputed hash stops matching; deleting a row breaks the next row's `prev`;
 * truncating the tail is caught by comparing with the stored chain head.
 */
import { sha256Hex } from "./hex.js";

/** The chains a tenant keeps. */
export type ChainName = "audit" | "evaluation";

/** prev hash of the first link. */
export const GENESIS = "0".repeat(64);

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace,
 * `undefined` members dropped and non-finite numbers as null (JSON semantics).
 * Arrays keep their order. Stable across runtimes because number formatting is
 * fixed by ECMAScript.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) return "null";
    if (value === undefined || typeof value === "function" || typeof value === "symbol") return "null";
    if (typeof value === "bigint") return JSON.stringify(value.toString());
    return JSON.stringify(value);
  }
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === "function") return canonicalJson(withJson.toJSON());
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

/** Chain links hash with the tree's one SHA-256 helper (re-exported for the chain's callers). */
export { sha256Hex };

/** The hash of link `seq` of `chain` over `content`, given the previous link's hash. */
export function linkHash(chain: ChainName, seq: number, prevHash: string, content: unknown): Promise<string> {
  return sha256Hex(canonicalJson({ chain, seq, prev: prevHash, content }));
}

/** One stored row as the verifier sees it. Rows written before chaining existed have chainSeq null. */
export interface ChainLink {
  id: string;
  chainSeq: number | null;
  prevHash: string | null;
  hash: string | null;
  content: unknown;
}

/** The last link of a chain, as recorded in chain_heads. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** The outcome of verifying one chain. */
export interface ChainVerdict {
  ok: boolean;
  /** Rows checked (chained rows; legacy rows are counted separately). */
  rows: number;
  /** Rows written before the chain existed (not covered by it). */
  legacyRows: number;
  /** The first row whose link does not verify; null when ok, or when only the tail was cut. */
  firstBrokenId: string | null;
  /** Why it broke: stable codes, null when ok. */
  reason: "hash_mismatch" | "prev_mismatch" | "seq_gap" | "unchained_row" | "head_mismatch" | null;
}

/**
 * An incremental verifier: feed rows in storage order (page by page, so memory
 * stays bounded), then ask for the verdict, optionally against the stored head.
 */
export function createChainVerifier(chain: ChainName) {
  let rows = 0;
  let legacyRows = 0;
  let last: ChainHead | null = null;
  let broken: { id: string | null; reason: NonNullable<ChainVerdict["reason"]> } | null = null;
  return {
    async push(link: ChainLink): Promise<void> {
      if (broken) return;
      if (link.chainSeq === null) {
        // Legacy rows may only precede the chain; an unchained row after it started was inserted around it.
        if (last === null) legacyRows++;
        else broken = { id: link.id, reason: "unchained_row" };
        return;
      }
      rows++;
      const expectedSeq = (last?.seq ?? 0) + 1;
      const expectedPrev = last?.hash ?? GENESIS;
      if (link.chainSeq !== expectedSeq) broken = { id: link.id, reason: "seq_gap" };
      else if (link.prevHash !== expectedPrev) broken = { id: link.id, reason: "prev_mismatch" };
      else if (link.hash !== (await linkHash(chain, link.chainSeq, expectedPrev, link.content))) broken = { id: link.id, reason: "hash_mismatch" };
      last = { seq: link.chainSeq, hash: link.hash ?? "" };
    },
    /** The verdict; with `head`, a chain whose last rows were removed fails too. */
    result(head?: ChainHead | null): ChainVerdict {
      if (!broken && head !== undefined) {
        const same = head === null ? last === null : last !== null && last.seq === head.seq && last.hash === head.hash;
        if (!same) broken = { id: null, reason: "head_mismatch" };
      }
      return { ok: broken === null, rows, legacyRows, firstBrokenId: broken?.id ?? null, reason: broken?.reason ?? null };
    },
  };
}

/** Parses a JSON text column (null stays null) for chain content. */
const parsed = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(String(v)));

/**
 * The chained content of an audit row, from its stored columns (JSON columns
 * parsed), so that write time and verify time see exactly the same value.
 */
export function auditContent(c: {
  id: unknown;
  tenant_id: unknown;
  entity_type: unknown;
  entity_id: unknown;
  action: unknown;
  actor: unknown;
  reason: unknown;
  before: unknown;
  after: unknown;
  violations: unknown;
  details: unknown;
  created_at: unknown;
}): Record<string, unknown> {
  return {
    id: String(c.id),
    tenantId: String(c.tenant_id),
    entityType: String(c.entity_type),
    entityId: String(c.entity_id),
    action: String(c.action),
    actor: String(c.actor),
    reason: c.reason === null || c.reason === undefined ? null : String(c.reason),
    before: parsed(c.before),
    after: parsed(c.after),
    violations: parsed(c.violations),
    details: parsed(c.details),
    createdAt: String(c.created_at),
  };
}

/** The chained content of a stored evaluation: its body plus the columns queries filter on. */
export function evaluationContent(c: { id: unknown; tenant_id: unknown; verdict: unknown; body: unknown; dataset_hash: unknown; created_at: unknown }): Record<string, unknown> {
  return {
    id: String(c.id),
    tenantId: String(c.tenant_id),
    verdict: String(c.verdict),
    body: parsed(c.body),
    datasetHash: c.dataset_hash === null || c.dataset_hash === undefined ? null : String(c.dataset_hash),
    createdAt: String(c.created_at),
  };
}
