/**
 * @module store/tenant/anchor-guard
 * Keeps a tenant's chains and their anchors (store/chain-anchors.ts, in the
 * control store) in step around every chained write:
 * 1. before: each chain head must equal its anchor — or lie beyond it by exactly
 *    a head some write announced, with the anchored row unchanged, which is a
 *    write whose anchor update has not happened yet (in flight elsewhere, or its
 *    process died) and is repaired; anything else (rolled back, truncated,
 *    rewritten, rows appended by someone else) refuses the write with
 *    EvidenceIntegrityError;
 * 2. the new heads are announced before the tenant commit (withdrawn if it fails);
 * 3. after the commit the anchors advance (a failure there is repaired by step 1
 *    of the next write, or at start).
 */
import { type ChainHead, type ChainName, compareWithAnchor } from "../../domain/chain.js";
import { EvidenceIntegrityError } from "../../domain/errors.js";
import type { Anchors } from "../chain-anchors.js";
import type { Client } from "../sql.js";
import { hashAtSeq } from "./chain-links.js";

/** The tenant's anchors, as the tenant store uses them. */
export interface AnchorPort {
  read(): Promise<Anchors>;
  announce(heads: Partial<Record<ChainName, ChainHead>>): Promise<void>;
  withdraw(heads: Partial<Record<ChainName, ChainHead>>): Promise<void>;
  advance(heads: Partial<Record<ChainName, ChainHead>>): Promise<void>;
  /** Told when an anchor could not advance after a commit (the next write, or a start, repairs it). */
  onAdvanceFailure?(e: unknown): void;
}

const CHAINS: ChainName[] = ["audit", "evaluation"];

/**
 * Checks `heads` (read from the tenant database after `anchors` were read, so a
 * concurrent writer can only make the database look ahead, never behind) and
 * returns the heads that need re-anchoring (crash repairs). Throws on tampering.
 */
export async function checkAgainstAnchors(db: Client, tenantId: string, heads: Record<ChainName, ChainHead | null>, anchors: Anchors): Promise<Partial<Record<ChainName, ChainHead>>> {
  const repairs: Partial<Record<ChainName, ChainHead>> = {};
  for (const chain of CHAINS) {
    const anchor = anchors[chain];
    if (!anchor) continue;
    const finding = compareWithAnchor(heads[chain], anchor);
    if (finding === "match") continue;
    if (finding === "ahead" && (anchor.seq === 0 || (await hashAtSeq(db, tenantId, chain, anchor.seq)) === anchor.hash)) {
      repairs[chain] = heads[chain]!;
      continue;
    }
    throw new EvidenceIntegrityError(`${chain} chain at seq ${heads[chain]?.seq ?? 0} vs anchor seq ${anchor.seq}: ${finding}`);
  }
  return repairs;
}

/** The non-empty heads of `heads` as a partial record. */
export function presentHeads(heads: Record<ChainName, ChainHead | null>, only?: ReadonlySet<ChainName>): Partial<Record<ChainName, ChainHead>> {
  const out: Partial<Record<ChainName, ChainHead>> = {};
  for (const c of CHAINS) if (heads[c] && (!only || only.has(c))) out[c] = heads[c]!;
  return out;
}
