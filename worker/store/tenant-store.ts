/**
 * @module store/tenant-store
 * One tenant's store: flows, traces, governance and evidence over that tenant's
 * database, plus `write()` for atomic multi-statement changes.
 *
 * `write()` executes, chains and reports — nothing else: statements built by
 * `evidence.auditStmt` / `evidence.evaluationStmt` carry a pending link; write()
 * reads the chain heads, hashes the links in batch order, and commits them with
 * a guard that each head is unchanged and the head update — all in one batch.
 * If another writer (or process) moved a head first, it re-reads and retries.
 * What an event implies (remediations, alerts) is decided by the domain and
 * appended by the services before they call write() (services/effects.ts).
 */
import { type ChainHead, type ChainName, GENESIS, linkHash } from "../domain/chain.js";
import { assertWellFormedText } from "../domain/text.js";
import { EvidenceIntegrityError } from "../domain/errors.js";
import { type Client, type InStatement, mapStoreError, type ResultSet, writeBatch } from "./sql.js";
import { headGuardStmt, headUpdateStmt, isChainConflict, pendingLinkOf, plainStatement, readHeads } from "./tenant/chain-links.js";
import { createAlertStore } from "./tenant/alerts.js";
import { createAuditReads } from "./tenant/audit-reads.js";
import { createRetentionStore } from "./tenant/retention.js";
import { createProtectedAttributeStore } from "./tenant/protected-attributes.js";
import { type AnchorPort, checkAgainstAnchors, presentHeads } from "./tenant/anchor-guard.js";
import { createRemediationStore } from "./tenant/remediations.js";
import { createEvidenceStore } from "./tenant/evidence.js";
import { createFlowStore } from "./tenant/flows.js";
import { createGovernanceStore } from "./tenant/governance.js";
import { createSegmentStore } from "./tenant/segments.js";
import { createSequentialStateStore } from "./tenant/sequential-state.js";
import { createTraceStore } from "./tenant/traces.js";
import { createWindowReads } from "./tenant/window-reads.js";
import { createDriftReads } from "./tenant/drift-reads.js";
import { createFlowSummaryReads } from "./tenant/flow-summaries.js";
import { createConsoleReads } from "./tenant/console-reads.js";
import { createExplanationReads } from "./tenant/explanation-reads.js";

/** Attempts before a chain-head race is reported as a 409 (each one re-reads the heads). */
const CHAIN_ATTEMPTS = 10;
/** Attempts within which a head-vs-anchor disagreement may still be another writer's race. */
const ANCHOR_RECHECKS = 3;

/** Creates the store for `tenantId` over an already-migrated client. */
export function createTenantStore(db: Client, tenantId: string, opts: { onOutbox?: () => void; anchor?: AnchorPort } = {}) {
  // Chained writes of this process are serialized, so they never race each other
  // for the head; only other processes (or instances) can, and those are retried.
  let queue: Promise<unknown> = Promise.resolve();
  function serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }

  async function chainedWrite(stmts: InStatement[], guardCode: string | undefined): Promise<ResultSet[]> {
    // An evaluation's dataset hash is already in its link (computed by the window reader), so
    // chaining reads nothing but the heads.
    const links = stmts.map((s) => pendingLinkOf(s));

    for (let attempt = 1; ; attempt++) {
      // Anchors first: they only advance after a commit, so heads read next can only be ahead of them.
      const anchors = opts.anchor ? await opts.anchor.read() : null;
      const read = await readHeads(db, tenantId);
      let repairs: Partial<Record<ChainName, ChainHead>> = {};
      if (anchors) {
        try {
          repairs = await checkAgainstAnchors(db, tenantId, read, anchors);
        } catch (e) {
          // Another writer may have announced and committed between our two reads: read both again (bounded).
          if (e instanceof EvidenceIntegrityError && attempt < ANCHOR_RECHECKS) {
            await new Promise((r) => setTimeout(r, 5 * attempt));
            continue;
          }
          throw e;
        }
      }
      const heads: Record<ChainName, ChainHead | null> = { ...read };
      const touched = new Set<ChainName>();
      const body: InStatement[] = [];
      for (let i = 0; i < stmts.length; i++) {
        const l = links[i];
        if (!l) {
          body.push(plainStatement(stmts[i]!));
          continue;
        }
        const prev = heads[l.chain];
        const seq = (prev?.seq ?? 0) + 1;
        const prevHash = prev?.hash ?? GENESIS;
        const content = l.content();
        // What is hashed must be exactly what the database will store (UTF-8 cannot hold a lone surrogate).
        assertWellFormedText(content, "The record");
        const hash = await linkHash(l.chain, seq, prevHash, content);
        body.push(l.finalize({ seq, prevHash, hash }));
        heads[l.chain] = { seq, hash };
        touched.add(l.chain);
      }
      const guards = [...touched].map((c) => headGuardStmt(tenantId, c, read[c]));
      const updates = [...touched].map((c) => headUpdateStmt(tenantId, c, heads[c]!));
      // Announce the new heads outside the tenant database before committing them.
      const announced = presentHeads(heads, touched);
      if (opts.anchor) await opts.anchor.announce(announced);
      try {
        const rs = await db.batch([...guards, ...body, ...updates], "write").catch(async (e) => {
          // Not committed: a stale announcement would let someone later append exactly these rows unnoticed.
          await opts.anchor?.withdraw(announced).catch(() => undefined);
          throw e;
        });
        if (opts.anchor) {
          // Committed: a failed anchor update is repaired by the next write (its heads match the announcement).
          await opts.anchor.advance({ ...repairs, ...presentHeads(heads) }).catch((e) => opts.anchor!.onAdvanceFailure?.(e));
        }
        return rs.slice(guards.length, guards.length + stmts.length);
      } catch (e) {
        if (isChainConflict(e) && attempt < CHAIN_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
          continue;
        }
        if (isChainConflict(e)) throw mapStoreError(new Error("guard_failed"), "chain_head_conflict");
        throw mapStoreError(e, guardCode);
      }
    }
  }

  const store = {
    tenantId,
    flows: createFlowStore(db, tenantId),
    traces: createTraceStore(db, tenantId),
    /** The window source the engine reads evaluations through (engine/ports.ts `WindowSource`). */
    window: createWindowReads(db, tenantId),
    segments: createSegmentStore(db, tenantId),
    governance: createGovernanceStore(db, tenantId),
    evidence: createEvidenceStore(db, tenantId),
    remediations: createRemediationStore(db, tenantId),
    alerts: createAlertStore(db, tenantId),
    /** Range reads for regulator artifacts (LL144, evidence pack, monitoring summary). */
    audits: createAuditReads(db, tenantId),
    /** Trace retention: plan and delete traces past the policy's retention (never evaluations or audit rows). */
    retention: createRetentionStore(db, tenantId),
    /** Privacy mode: protected attributes by pseudonymous customer key, the tenant's secret, erasure. */
    protectedAttributes: createProtectedAttributeStore(db, tenantId),
    /** Kept confidence-sequence states (decisionRule "sequential"). */
    sequential: createSequentialStateStore(db, tenantId),
    /** Feature drift: the recorded requests of a window, capped (sampled) per window. */
    drift: createDriftReads(db, tenantId),
    /** Console overviews: each flow's latest verdict in one read. */
    flowSummaries: createFlowSummaryReads(db, tenantId),
    /** Console lists: paged evaluations and audit rows (keyset, newest first) and the audit filter's choices. */
    consoleReads: createConsoleReads(db, tenantId),
    /** One stored decision with its request, for the explanation re-run. */
    explanations: createExplanationReads(db, tenantId),
    /**
     * Commits statements atomically (all or nothing); a failed guard becomes
     * ConflictError(guardCode). Results are returned for the given statements, in order.
     */
    write(stmts: InStatement[], guardCode?: string): Promise<ResultSet[]> {
      if (!stmts.some((s) => pendingLinkOf(s))) return writeBatch(db, stmts, guardCode);
      return serialized(() => chainedWrite(stmts, guardCode));
    },
    /**
     * Brings the anchors up to a crash-interrupted write (see anchor-guard.ts):
     * "repaired", "ok", or throws EvidenceIntegrityError when the chain and its anchor disagree.
     */
    async reconcileAnchors(): Promise<"ok" | "repaired" | "unanchored"> {
      if (!opts.anchor) return "unanchored";
      return serialized(async () => {
        const anchors = await opts.anchor!.read();
        const heads = await readHeads(db, tenantId);
        const repairs = await checkAgainstAnchors(db, tenantId, heads, anchors);
        // A tenant from before anchoring gets its anchors now, at the heads it has (its legacy rows allowed).
        for (const c of ["audit", "evaluation"] as const) if (!anchors[c]) repairs[c] = heads[c] ?? { seq: 0, hash: GENESIS };
        if (Object.keys(repairs).length === 0) return "ok";
        await opts.anchor!.advance(repairs);
        return "repaired";
      });
    },
    /** Wakes this process's alert delivery loop: call after committing outbox rows. */
    signalOutbox(): void {
      opts.onOutbox?.();
    },
  };
  return store;
}
export type TenantStore = ReturnType<typeof createTenantStore>;
