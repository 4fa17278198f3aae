/**
 * @module domain/audit-entry
 * What a state change records in the append-only audit log. The store writes it
 * (and chains it); the domain decides what an entry implies (domain/effects.ts).
 */

/** One audit event as the caller describes it. */
export interface AuditEntry {
  entityType: string;
  entityId: string;
  action: string;
  actor: string;
  reason?: string | null;
  before?: unknown;
  after?: unknown;
  violations?: string[] | null;
  details?: unknown;
}

/** An audit entry with the time it is recorded at (its created_at). */
export interface TimedAuditEntry extends AuditEntry {
  at: string;
}
