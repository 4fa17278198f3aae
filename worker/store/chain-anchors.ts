/**
 * @module store/chain-anchors
 * The control store's record of each tenant chain's latest head, signed with the
 * platform's evidence key. It lives outside the tenant database, so someone who
 * can write that database cannot rewrite, truncate or roll back a chain
 * unnoticed: the tenant store compares the two before each chained write and
 * advances the anchor after it (store/tenant-store.ts), verification compares
 * them (services/chain.ts), and exports carry the signed heads.
 * Anchors only move forward (a guarded upsert), whatever order processes commit in.
 */
import type { ChainHead, ChainName } from "../domain/chain.js";
import { GENESIS } from "../domain/chain.js";
import { type EvidenceSigner, type SignedHead, signedHeadSchema } from "../domain/chain-sign.js";
import { StoredRecordError } from "../domain/errors.js";
import { type Client, read, writeBatch } from "./sql.js";

/** A signed anchor, whether rows from before chaining may precede the chain, and the head a write is about to commit. */
export interface ChainAnchor extends SignedHead {
  legacyRowsAllowed: boolean;
  pending: ChainHead | null;
}

export type Anchors = Record<ChainName, ChainAnchor | null>;

const CHAINS: ChainName[] = ["audit", "evaluation"];

/** Creates the anchor store over the control database. */
export function createChainAnchorStore(db: Client, signer: EvidenceSigner, clock: () => Date = () => new Date()) {
  async function upsert(tenantId: string, heads: Partial<Record<ChainName, ChainHead>>, legacyRowsAllowed: boolean): Promise<void> {
    const signedAt = clock().toISOString();
    const stmts = [];
    for (const chain of CHAINS) {
      const h = heads[chain];
      if (!h) continue;
      const s = await signer.sign({ tenantId, chain, seq: h.seq, hash: h.hash, signedAt });
      stmts.push({
        sql: `INSERT INTO chain_anchors (tenant_id, chain, seq, hash, signed_at, key_id, signature, legacy_rows_allowed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
              ON CONFLICT (tenant_id, chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, signed_at = excluded.signed_at,
                key_id = excluded.key_id, signature = excluded.signature,
                pending_seq = CASE WHEN chain_anchors.pending_seq <= excluded.seq THEN NULL ELSE chain_anchors.pending_seq END,
                pending_hash = CASE WHEN chain_anchors.pending_seq <= excluded.seq THEN NULL ELSE chain_anchors.pending_hash END
              WHERE excluded.seq > chain_anchors.seq`,
        args: [tenantId, chain, s.seq, s.hash, s.signedAt, s.keyId, s.signature, legacyRowsAllowed ? 1 : 0],
      });
    }
    if (stmts.length > 0) await writeBatch(db, stmts);
  }

  return {
    signer,
    /** The tenant's anchors (null per chain that was never anchored). */
    async get(tenantId: string): Promise<Anchors> {
      const rs = await read(db, { sql: "SELECT * FROM chain_anchors WHERE tenant_id = ?", args: [tenantId] });
      const out: Anchors = { audit: null, evaluation: null };
      for (const r of rs.rows) {
        const parsed = signedHeadSchema.safeParse({
          tenantId: r.tenant_id,
          chain: r.chain,
          seq: Number(r.seq),
          hash: r.hash,
          signedAt: r.signed_at,
          keyId: r.key_id,
          signature: r.signature,
        });
        if (!parsed.success) throw new StoredRecordError("chain anchor", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
        const pending = r.pending_seq === null || r.pending_seq === undefined ? null : { seq: Number(r.pending_seq), hash: String(r.pending_hash) };
        out[parsed.data.chain] = { ...parsed.data, legacyRowsAllowed: Number(r.legacy_rows_allowed) === 1, pending };
      }
      return out;
    },
    /** Anchors a new tenant's empty chains (seq 0): its database may then hold no unchained row. */
    initialize(tenantId: string): Promise<void> {
      return upsert(tenantId, { audit: { seq: 0, hash: GENESIS }, evaluation: { seq: 0, hash: GENESIS } }, false);
    },
    /**
     * Records the heads a chained write is about to commit (only for chains already
     * anchored): after a crash between that commit and `advance`, exactly these rows
     * beyond the anchor are accepted.
     */
    async prepare(tenantId: string, heads: Partial<Record<ChainName, ChainHead>>): Promise<void> {
      const stmts = CHAINS.filter((c) => heads[c]).map((c) => ({
        sql: "UPDATE chain_anchors SET pending_seq = ?, pending_hash = ? WHERE tenant_id = ? AND chain = ? AND seq < ?",
        args: [heads[c]!.seq, heads[c]!.hash, tenantId, c, heads[c]!.seq],
      }));
      if (stmts.length > 0) await writeBatch(db, stmts);
    },
    /**
     * Moves anchors forward to `heads` (clearing a pending head they reach). A chain anchored here for the first time
     * (a tenant from before anchoring) allows the legacy rows that precede its chain.
     */
    advance(tenantId: string, heads: Partial<Record<ChainName, ChainHead>>): Promise<void> {
      return upsert(tenantId, heads, true);
    },
  };
}
export type ChainAnchorStore = ReturnType<typeof createChainAnchorStore>;
