/**
 * @module store/chain-anchors
 * The control store's record of each tenant chain's latest head, signed with the
 * platform's evidence key. It lives outside the tenant database, so someone who
 * can write that database cannot rewrite, truncate or roll back a chain
 * unnoticed: the tenant store compares the two before each chained write and
 * advances the anchor after it (store/tenant-store.ts), verification compares
 * them (services/chain.ts), and exports carry the signed heads.
 * Anchors only move forward (a guarded upsert), whatever order processes commit
 * in; the heads writes announce before committing are kept as a set.
 */
import type { ChainHead, ChainName } from "../domain/chain.js";
import { GENESIS } from "../domain/chain.js";
import { type EvidenceSigner, type SignedHead, signedHeadSchema } from "../domain/chain-sign.js";
import { StoredRecordError } from "../domain/errors.js";
import { type Client, type InStatement, read, writeBatch } from "./sql.js";

/** A signed anchor and the heads writes announced beyond it. */
export interface ChainAnchor extends SignedHead {
  /** Announced heads past the anchor (writes that may have committed without advancing it). */
  pending: ChainHead[];
}

export type Anchors = Record<ChainName, ChainAnchor | null>;

const CHAINS: ChainName[] = ["audit", "evaluation"];

/** Creates the anchor store over the control database. */
export function createChainAnchorStore(db: Client, signer: EvidenceSigner, clock: () => Date = () => new Date()) {
  /** Signs and upserts `heads`; a chain's legacy flag is the one it was first anchored with. */
  async function upsert(tenantId: string, heads: Partial<Record<ChainName, ChainHead>>, legacyForNew: boolean): Promise<void> {
    const chains = CHAINS.filter((c) => heads[c]);
    if (chains.length === 0) return;
    const existing = await read(db, { sql: "SELECT chain, legacy_rows_allowed FROM chain_anchors WHERE tenant_id = ?", args: [tenantId] });
    const legacyOf = new Map(existing.rows.map((r) => [String(r.chain), Number(r.legacy_rows_allowed) === 1]));
    const signedAt = clock().toISOString();
    const stmts: InStatement[] = [];
    for (const chain of chains) {
      const h = heads[chain]!;
      const s = await signer.sign({ tenantId, chain, seq: h.seq, hash: h.hash, signedAt, legacyRowsAllowed: legacyOf.get(chain) ?? legacyForNew });
      stmts.push(
        {
          sql: `INSERT INTO chain_anchors (tenant_id, chain, seq, hash, signed_at, key_id, signature, legacy_rows_allowed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (tenant_id, chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, signed_at = excluded.signed_at,
                  key_id = excluded.key_id, signature = excluded.signature
                WHERE excluded.seq > chain_anchors.seq`,
          args: [tenantId, chain, s.seq, s.hash, s.signedAt, s.keyId, s.signature, s.legacyRowsAllowed ? 1 : 0],
        },
        // Announcements the anchor has reached are spent.
        { sql: "DELETE FROM chain_anchor_pending WHERE tenant_id = ? AND chain = ? AND seq <= (SELECT seq FROM chain_anchors WHERE tenant_id = ? AND chain = ?)", args: [tenantId, chain, tenantId, chain] },
      );
    }
    await writeBatch(db, stmts);
  }

  return {
    signer,
    /** The tenant's anchors (null per chain that was never anchored), each with its announced heads. */
    async get(tenantId: string): Promise<Anchors> {
      const rs = await read(db, { sql: "SELECT * FROM chain_anchors WHERE tenant_id = ?", args: [tenantId] });
      const pend = await read(db, { sql: "SELECT chain, seq, hash FROM chain_anchor_pending WHERE tenant_id = ? ORDER BY seq", args: [tenantId] });
      const out: Anchors = { audit: null, evaluation: null };
      for (const r of rs.rows) {
        const parsed = signedHeadSchema.safeParse({
          tenantId: r.tenant_id,
          chain: r.chain,
          seq: Number(r.seq),
          hash: r.hash,
          signedAt: r.signed_at,
          legacyRowsAllowed: Number(r.legacy_rows_allowed) === 1,
          keyId: r.key_id,
          signature: r.signature,
        });
        if (!parsed.success) throw new StoredRecordError("chain anchor", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
        const pending = pend.rows.filter((p) => String(p.chain) === parsed.data.chain && Number(p.seq) > parsed.data.seq).map((p) => ({ seq: Number(p.seq), hash: String(p.hash) }));
        out[parsed.data.chain] = { ...parsed.data, pending };
      }
      return out;
    },
    /** Anchors a new tenant's empty chains (seq 0): its database may then hold no unchained row. */
    initialize(tenantId: string): Promise<void> {
      return upsert(tenantId, { audit: { seq: 0, hash: GENESIS }, evaluation: { seq: 0, hash: GENESIS } }, false);
    },
    /**
     * Announces the heads a chained write is about to commit: after a crash between
     * that commit and `advance`, exactly these rows beyond the anchor are accepted.
     */
    async announce(tenantId: string, heads: Partial<Record<ChainName, ChainHead>>): Promise<void> {
      const at = clock().toISOString();
      const stmts = CHAINS.filter((c) => heads[c]).map((c) => ({
        sql: "INSERT OR IGNORE INTO chain_anchor_pending (tenant_id, chain, seq, hash, announced_at) VALUES (?, ?, ?, ?, ?)",
        args: [tenantId, c, heads[c]!.seq, heads[c]!.hash, at],
      }));
      if (stmts.length > 0) await writeBatch(db, stmts);
    },
    /** Withdraws announcements of a write that did not commit. */
    async withdraw(tenantId: string, heads: Partial<Record<ChainName, ChainHead>>): Promise<void> {
      const stmts = CHAINS.filter((c) => heads[c]).map((c) => ({
        sql: "DELETE FROM chain_anchor_pending WHERE tenant_id = ? AND chain = ? AND seq = ? AND hash = ?",
        args: [tenantId, c, heads[c]!.seq, heads[c]!.hash],
      }));
      if (stmts.length > 0) await writeBatch(db, stmts);
    },
    /**
     * Moves anchors forward to `heads`, re-signed. A chain anchored here for the first
     * time (a tenant from before anchoring) allows the legacy rows that precede its chain.
     */
    advance(tenantId: string, heads: Partial<Record<ChainName, ChainHead>>): Promise<void> {
      return upsert(tenantId, heads, true);
    },
  };
}
export type ChainAnchorStore = ReturnType<typeof createChainAnchorStore>;
