/**
 * @module services/chain
 * Verifying and exporting a tenant's hash chains. Both page through storage with
 * a bounded page size; verification uses the domain's one verifier, the same
 * one `fairgate verify` runs over an export. With the control store's anchors
 * (signed heads kept outside the tenant database) a chain is also checked
 * against its anchor and the anchor's signature, so a rewritten, truncated or
 * rolled-back tenant database does not verify.
 */
import { type ChainHead, type ChainName, type ChainVerdict, createChainVerifier, type AnchorView } from "../domain/chain.js";
import { type SignedHead, verifySignedHead } from "../domain/chain-sign.js";
import type { Anchors, ChainAnchor, ChainAnchorStore } from "../store/chain-anchors.js";
import type { TenantStore } from "../store/tenant-store.js";

const PAGE = 500;
const CHAINS: ChainName[] = ["audit", "evaluation"];

/** An anchor as verification reports it. */
export interface AnchorReport {
  seq: number;
  hash: string;
  signedAt: string;
  keyId: string;
  signatureValid: boolean;
}

export interface AnchoredVerdict extends ChainVerdict {
  /** The anchor it was checked against (null: this tenant's chain was never anchored). */
  anchor: AnchorReport | null;
}

/** An exported anchor: the signed head plus what offline verification needs to judge rows beyond it. */
export type ExportedAnchor = SignedHead & { legacyRowsAllowed: boolean; pending: ChainHead | null };

const view = (a: ChainAnchor | null): AnchorView | null => (a ? { seq: a.seq, hash: a.hash, legacyRowsAllowed: a.legacyRowsAllowed, pending: a.pending } : null);
const exported = (a: ChainAnchor | null): ExportedAnchor | null => (a ? { ...a } : null);

/**
 * Heads and anchors that belong together. Anchors are read first (they only move
 * after a commit); a write racing the read can still leave a head past an anchor
 * read before it was announced, so such a pair is re-read a few times.
 */
async function snapshot(store: TenantStore, anchors: ChainAnchorStore | null): Promise<{ heads: Record<ChainName, ChainHead | null>; anchors: Anchors | null }> {
  for (let attempt = 0; ; attempt++) {
    const a = anchors ? await anchors.get(store.tenantId) : null;
    const heads = await store.evidence.chainHeads();
    const settled = !a || CHAINS.every((c) => {
      const an = a[c];
      const h = heads[c];
      if (!an || !h || h.seq <= an.seq) return true;
      return an.pending?.seq === h.seq && an.pending.hash === h.hash;
    });
    if (settled || attempt >= 3) return { heads, anchors: a };
    await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
  }
}

async function walk(store: TenantStore, chain: ChainName, head: ChainHead | null, anchor: ChainAnchor | null): Promise<ChainVerdict> {
  const v = createChainVerifier(chain, { anchor: view(anchor) });
  let after = 0;
  // The walk reads at least up to the anchor, so rows a rollback removed are missed against it, not silently skipped.
  const cap = Math.max(head?.seq ?? 0, anchor?.seq ?? 0);
  for (;;) {
    const page = await store.evidence.linkPage(chain, after, PAGE, cap);
    for (const l of page.links) await v.push(l);
    if (page.last === null || page.links.length < PAGE) break;
    after = page.last;
  }
  return v.result(head);
}

async function withAnchor(verdict: ChainVerdict, anchor: ChainAnchor | null, publicKey: string | null): Promise<AnchoredVerdict> {
  if (!anchor || !publicKey) return { ...verdict, anchor: null };
  const signatureValid = await verifySignedHead(anchor, publicKey);
  const report: AnchorReport = { seq: anchor.seq, hash: anchor.hash, signedAt: anchor.signedAt, keyId: anchor.keyId, signatureValid };
  if (signatureValid) return { ...verdict, anchor: report };
  const b = { id: null, seq: anchor.seq, reason: "signature_invalid" as const };
  return {
    ...verdict,
    ok: false,
    firstBrokenId: verdict.breakCount === 0 ? null : verdict.firstBrokenId,
    reason: verdict.reason ?? "signature_invalid",
    breaks: [...verdict.breaks, b],
    breakCount: verdict.breakCount + 1,
    breakCounts: { ...verdict.breakCounts, signature_invalid: (verdict.breakCounts.signature_invalid ?? 0) + 1 },
    anchor: report,
  };
}

/** Verifies one chain against its stored head (and, given the anchor store, its signed anchor). */
export async function verifyChain(store: TenantStore, chain: ChainName, anchors: ChainAnchorStore | null = null): Promise<AnchoredVerdict> {
  const s = await snapshot(store, anchors);
  const anchor = s.anchors?.[chain] ?? null;
  return withAnchor(await walk(store, chain, s.heads[chain], anchor), anchor, anchors?.signer.publicKey ?? null);
}

/** The first line of an export: what it is, where it came from, and the signed heads to check it against. */
export interface ExportHeader {
  format: "fairgate-evidence/2";
  tenantId: string;
  exportedAt: string;
  heads: Record<ChainName, ChainHead | null>;
  /** The control store's signed anchors at export time (null per chain never anchored). */
  anchors: Record<ChainName, ExportedAnchor | null>;
  /** The Ed25519 public key (raw, base64url) the anchors are signed with, and its id. */
  publicKey: string | null;
  keyId: string | null;
}

/**
 * The export as NDJSON lines, produced lazily page by page: a header with the
 * chain heads and signed anchors, then every link of each chain up to the
 * later of head and anchor (`{"chain", "id", "chainSeq", "prevHash", "hash", "content"}`).
 */
export async function* exportLines(store: TenantStore, now: Date, anchors: ChainAnchorStore | null = null): AsyncGenerator<string> {
  const s = await snapshot(store, anchors);
  const header: ExportHeader = {
    format: "fairgate-evidence/2",
    tenantId: store.tenantId,
    exportedAt: now.toISOString(),
    heads: s.heads,
    anchors: { audit: exported(s.anchors?.audit ?? null), evaluation: exported(s.anchors?.evaluation ?? null) },
    publicKey: anchors?.signer.publicKey ?? null,
    keyId: anchors?.signer.keyId ?? null,
  };
  yield `${JSON.stringify(header)}\n`;
  for (const chain of CHAINS) {
    let after = 0;
    const cap = Math.max(s.heads[chain]?.seq ?? 0, s.anchors?.[chain]?.seq ?? 0);
    for (;;) {
      const page = await store.evidence.linkPage(chain, after, PAGE, cap);
      if (page.links.length > 0) yield page.links.map((l) => JSON.stringify({ chain, ...l })).join("\n") + "\n";
      if (page.last === null || page.links.length < PAGE) break;
      after = page.last;
    }
  }
}
