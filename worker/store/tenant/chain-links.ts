/**
 * @module store/tenant/chain-links
 * Statements that join a hash chain. Builders (`evidence.auditStmt`,
 * `evidence.evaluationStmt`) return ordinary, valid INSERTs with the chain
 * columns NULL that also carry their pending link as data (`link`);
 * `TenantStore.write()` reads the chain heads and replaces each such statement
 * with its finalized form. A statement run outside `write()` still inserts, but
 * unchained — which verification then reports, as it should.
 */
import type { TimedAuditEntry } from "../../domain/audit-entry.js";
import type { ChainHead, ChainName } from "../../domain/chain.js";
import type { Evaluation } from "../../domain/evaluation.js";
import { type Client, type InStatement, read, type SqlValue } from "../sql.js";

/** The link fields a finalized statement carries. */
export interface LinkFields {
  seq: number;
  prevHash: string;
  hash: string;
}

/** What `write()` needs to chain one statement. */
export interface PendingLink {
  chain: ChainName;
  id: string;
  /** The chained content, from the values as they will be stored (an evaluation's dataset hash included). */
  content(): unknown;
  finalize(link: LinkFields): { sql: string; args: SqlValue[] };
  /** The event behind it, for the effects services derive (remediations, alerts). */
  audit?: TimedAuditEntry;
  evaluation?: Evaluation;
}

/** An INSERT that joins a chain when committed through `write()`. */
export interface ChainedStatement {
  sql: string;
  args: SqlValue[];
  link: PendingLink;
}

/** The pending link `stmt` carries, if it is a chained statement. */
export function pendingLinkOf(stmt: InStatement): PendingLink | undefined {
  return typeof stmt === "object" && "link" in stmt ? (stmt as ChainedStatement).link : undefined;
}

/** The statement as the driver receives it: SQL and arguments only. */
export function plainStatement(stmt: InStatement): InStatement {
  return typeof stmt === "object" && "link" in stmt ? { sql: stmt.sql, args: stmt.args ?? [] } : stmt;
}

/** Reads the heads of a tenant's chains (absent chain → null). */
export async function readHeads(db: Client, tenantId: string): Promise<Record<ChainName, ChainHead | null>> {
  const rs = await read(db, { sql: "SELECT chain, seq, hash FROM chain_heads WHERE tenant_id = ?", args: [tenantId] });
  const heads: Record<ChainName, ChainHead | null> = { audit: null, evaluation: null };
  for (const r of rs.rows) heads[String(r.chain) as ChainName] = { seq: Number(r.seq), hash: String(r.hash) };
  return heads;
}

/** Aborts the batch with `chain_conflict` unless the head of `chain` is still `head`. */
export function headGuardStmt(tenantId: string, chain: ChainName, head: ChainHead | null): InStatement {
  return {
    sql: "INSERT INTO chain_guard (ok) SELECT COALESCE((SELECT hash FROM chain_heads WHERE tenant_id = ? AND chain = ?), '') = ?",
    args: [tenantId, chain, head?.hash ?? ""],
  };
}

/** Moves the head of `chain`. */
export function headUpdateStmt(tenantId: string, chain: ChainName, head: ChainHead): InStatement {
  return {
    sql: `INSERT INTO chain_heads (tenant_id, chain, seq, hash) VALUES (?, ?, ?, ?)
          ON CONFLICT (tenant_id, chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
    args: [tenantId, chain, head.seq, head.hash],
  };
}

/** True when a batch failed because another writer moved a chain head first. */
export function isChainConflict(e: unknown): boolean {
  return String((e as { message?: unknown })?.message ?? "").includes("chain_conflict");
}

/** The stored hash of link `seq` of `chain` (null when no such row). */
export async function hashAtSeq(db: Client, tenantId: string, chain: ChainName, seq: number): Promise<string | null> {
  const table = chain === "audit" ? "audit_log" : "fairness_evaluations";
  const rs = await read(db, { sql: `SELECT hash FROM ${table} WHERE tenant_id = ? AND chain_seq = ?`, args: [tenantId, seq] });
  const h = rs.rows[0]?.hash;
  return h === null || h === undefined ? null : String(h);
}
