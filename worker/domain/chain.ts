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
  /** Stored columns that disagree with the chained content they are queried by (null or absent: none). */
  mismatch?: string | null;
}

/** The last link of a chain, as recorded in chain_heads. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** Why a chain does not verify (stable codes). */
export type BreakReason =
  | "hash_mismatch"
  | "prev_mismatch"
  | "seq_gap"
  | "unchained_row"
  | "head_mismatch"
  | "anchor_rollback"
  | "anchor_mismatch"
  | "unanchored_rows"
  | "signature_invalid"
  | "column_mismatch";

/** One broken link (or a whole-chain finding, with id and seq null). */
export interface ChainBreak {
  id: string | null;
  seq: number | null;
  reason: BreakReason;
}

/** The outcome of verifying one chain. */
export interface ChainVerdict {
  ok: boolean;
  /** Rows checked (chained rows; legacy rows are counted separately). */
  rows: number;
  /** Rows written before the chain existed (not covered by it). */
  legacyRows: number;
  /** The first row whose link does not verify; null when ok, or when the first finding is about the whole chain. */
  firstBrokenId: string | null;
  /** Why it first broke, null when ok. */
  reason: BreakReason | null;
  /** Every finding, in storage order (the list stops at MAX_LISTED_BREAKS; `breakCount` counts all). */
  breaks: ChainBreak[];
  breakCount: number;
  /** Findings per reason. */
  breakCounts: Partial<Record<BreakReason, number>>;
  /**
   * Rows beyond the anchor that match the head the last write announced before committing:
   * a write whose anchor update did not happen (a crash); the next write anchors them.
   */
  anchorLag: number;
}

/** The anchor a chain is checked against: a head kept outside the tenant database. */
export interface AnchorView {
  seq: number;
  hash: string;
  /** Rows from before chaining may precede the chain (a tenant anchored after it had such rows). */
  legacyRowsAllowed: boolean;
  /**
   * Heads writes announced before committing (chain_anchor_pending): rows beyond the
   * anchor that end at one of them are an interrupted write, not tampering. Only the
   * control store's own list is trusted; an export's claims are not (pass []).
   */
  pending: readonly ChainHead[];
}

/** How many breaks a verdict lists; the rest are only counted. */
export const MAX_LISTED_BREAKS = 1000;

/**
 * An incremental verifier: feed rows in storage order (page by page, so memory
 * stays bounded), then ask for the verdict against the stored head and, when one
 * exists, the anchor. It walks the whole chain and reports every broken link:
 * after a break it continues from the row as stored, so one edited row is one
 * finding, not a cascade.
 */
export function createChainVerifier(chain: ChainName, opts: { anchor?: AnchorView | null } = {}) {
  const anchor = opts.anchor ?? null;
  const legacyAllowed = anchor ? anchor.legacyRowsAllowed : true;
  let rows = 0;
  let legacyRows = 0;
  let last: ChainHead | null = null;
  let hashAtAnchor: string | null = anchor && anchor.seq === 0 ? GENESIS : null;
  const breaks: ChainBreak[] = [];
  const counts: Partial<Record<BreakReason, number>> = {};
  let total = 0;
  const report = (b: ChainBreak) => {
    total++;
    counts[b.reason] = (counts[b.reason] ?? 0) + 1;
    if (breaks.length < MAX_LISTED_BREAKS) breaks.push(b);
  };
  return {
    async push(link: ChainLink): Promise<void> {
      if (link.chainSeq === null) {
        // Legacy rows may only precede the chain, and only where the anchor allows them.
        if (last === null && legacyAllowed) legacyRows++;
        else report({ id: link.id, seq: null, reason: "unchained_row" });
        return;
      }
      rows++;
      const expectedSeq = (last?.seq ?? 0) + 1;
      const expectedPrev = last?.hash ?? GENESIS;
      if (link.mismatch) report({ id: link.id, seq: link.chainSeq, reason: "column_mismatch" });
      if (link.chainSeq !== expectedSeq) report({ id: link.id, seq: link.chainSeq, reason: "seq_gap" });
      else if (link.prevHash !== expectedPrev) report({ id: link.id, seq: link.chainSeq, reason: "prev_mismatch" });
      else if (link.hash !== (await linkHash(chain, link.chainSeq, expectedPrev, link.content))) report({ id: link.id, seq: link.chainSeq, reason: "hash_mismatch" });
      if (anchor && link.chainSeq === anchor.seq) hashAtAnchor = link.hash;
      last = { seq: link.chainSeq, hash: link.hash ?? "" };
    },
    /** The verdict; with `head`, a chain whose last rows were removed fails too. */
    result(head?: ChainHead | null): ChainVerdict {
      if (head !== undefined) {
        const same = head === null ? last === null : last !== null && last.seq === head.seq && last.hash === head.hash;
        if (!same) report({ id: null, seq: head?.seq ?? null, reason: "head_mismatch" });
      }
      let anchorLag = 0;
      if (anchor) {
        const lastSeq = last?.seq ?? 0;
        const lastHash = last?.hash ?? GENESIS;
        if (lastSeq < anchor.seq) report({ id: null, seq: lastSeq, reason: "anchor_rollback" });
        else if (hashAtAnchor !== anchor.hash) report({ id: null, seq: anchor.seq, reason: "anchor_mismatch" });
        else if (lastSeq > anchor.seq) {
          if (anchor.pending.some((p) => p.seq === lastSeq && p.hash === lastHash)) anchorLag = lastSeq - anchor.seq;
          else report({ id: null, seq: anchor.seq + 1, reason: "unanchored_rows" });
        }
      }
      const first = breaks[0] ?? null;
      return { ok: total === 0, rows, legacyRows, firstBrokenId: first?.id ?? null, reason: first?.reason ?? null, breaks, breakCount: total, breakCounts: counts, anchorLag };
    },
  };
}

/**
 * Compares a chain head read from the tenant database with its anchor, before a
 * write: `match`, `behind` (rows removed or the database rolled back), `diverged`
 * (same length, other hash), or `ahead` (rows beyond the anchor, acceptable only
 * when they end exactly at an announced head and the row at the anchor's seq
 * still has the anchored hash — the caller checks the latter).
 */
export function compareWithAnchor(head: ChainHead | null, anchor: AnchorView): "match" | "behind" | "diverged" | "ahead" | "ahead_unannounced" {
  const seq = head?.seq ?? 0;
  const hash = head?.hash ?? GENESIS;
  if (seq < anchor.seq) return "behind";
  if (seq === anchor.seq) return hash === anchor.hash ? "match" : "diverged";
  return anchor.pending.some((p) => p.seq === seq && p.hash === hash) ? "ahead" : "ahead_unannounced";
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
