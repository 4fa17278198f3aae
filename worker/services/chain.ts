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

/** An exported anchor: the signed head, exactly as signed (announcements are not exported: offline they prove nothing). */
export type ExportedAnchor = SignedHead;

const view = (a: ChainAnchor | null): AnchorView | null => (a ? { seq: a.seq, hash: a.hash, legacyRowsAllowed: a.legacyRowsAllowed, pending: a.pending } : null);
const exported = (a: ChainAnchor | null): ExportedAnchor | null => {
  if (!a) return null;
  const { pending: _pending, ...signed } = a;
  return signed;
};

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
      return an.pending.some((p) => p.seq === h.seq && p.hash === h.hash);
    });
    if (settled || attempt >= 3) return { heads, anchors: a };
    await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
  }
}

/** Feeds every row of `chain` (whatever its position or seq) to `push`. */
async function eachLink(store: TenantStore, chain: ChainName, push: (l: Awaited<ReturnType<TenantStore["evidence"]["linkPage"]>>["links"][number]) => Promise<void>): Promise<void> {
  let after: number | null = null;
  for (;;) {
    const page = await store.evidence.linkPage(chain, after, PAGE);
    for (const l of page.links) await push(l);
    if (page.last === null || page.links.length < PAGE) break;
    after = page.last;
  }
}

async function walk(store: TenantStore, chain: ChainName, head: ChainHead | null, anchor: ChainAnchor | null): Promise<ChainVerdict> {
  const v = createChainVerifier(chain, { anchor: view(anchor) });
  await eachLink(store, chain, (l) => v.push(l));
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
  // A write committing during the walk makes its rows look past the head read first: walk again (bounded).
  for (let attempt = 0; ; attempt++) {
    const s = await snapshot(store, anchors);
    const anchor = s.anchors?.[chain] ?? null;
    const verdict = await walk(store, chain, s.heads[chain], anchor);
    const raced = !verdict.ok && attempt < 2 && JSON.stringify((await store.evidence.chainHeads())[chain]) !== JSON.stringify(s.heads[chain]);
    if (!raced) return withAnchor(verdict, anchor, anchors?.signer.publicKey ?? null);
  }
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
 * chain heads and signed anchors, then every row of each chain in storage order
 * (`{"chain", "id", "chainSeq", "prevHash", "hash", "content"}`).
 */
export async function* exportLines(store: TenantStore, now: Date, anchors: ChainAnchorStore | null = null): AsyncGenerator<string> {
  // An interrupted write is anchored first: offline, rows past the signed anchor cannot be told from forgeries.
  if (anchors) await store.reconcileAnchors().catch(() => undefined);
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
    let after: number | null = null;
    for (;;) {
      const page = await store.evidence.linkPage(chain, after, PAGE);
      // Every row, chained or not: what the database holds is what the verifier judges.
      if (page.links.length > 0) yield page.links.map(({ mismatch: _m, ...l }) => JSON.stringify({ chain, ...l })).join("\n") + "\n";
      if (page.last === null || page.links.length < PAGE) break;
      after = page.last;
    }
  }
}
