/**
 * @module domain/errors
 * Typed failures that every layer understands. The HTTP layer maps each to a
 * problem+json response with a stable `code`; nothing else leaks to clients.
 */

/** Base class: `code` is stable and public, `status` is the HTTP status it maps to. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, "not_found", "Not found", `${what} was not found`);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, detail: string, extra: Record<string, unknown> = {}) {
    super(409, code, "Conflict", detail, extra);
  }
}

export class ValidationError extends AppError {
  constructor(detail: string, extra: Record<string, unknown> = {}, code = "validation_failed") {
    super(400, code, "Invalid request", detail, extra);
  }
}

export class ForbiddenError extends AppError {
  constructor(code: string, detail: string) {
    super(403, code, "Forbidden", detail);
  }
}

/**
 * The store (or another piece of infrastructure) failed. Callers fail closed:
 * nothing is published and no state changes. The cause is logged, never returned.
 */
export class StoreUnavailableError extends AppError {
  constructor(readonly causeError?: unknown) {
    super(503, "store_unavailable", "Service unavailable", "The data store is unavailable; nothing was changed. Retry later.");
  }
}

/**
 * A segment a window read listed was repacked or unpacked before the read got to its
 * columns: the read saw two packing states. Window readers read again (a few times);
 * past that the client gets the 503 of any store fault, with nothing changed.
 */
export class SegmentChangedError extends StoreUnavailableError {
  constructor(readonly segmentId: string) {
    super();
  }
}

/**
 * A stored record (an evaluation body read back from the database) matches no
 * known version of its schema: an integrity fault, not a client error. The
 * client gets a bare 503; what failed (`record`, `issues`) is for the log only.
 */
export class StoredRecordError extends AppError {
  constructor(
    readonly record: string,
    readonly issues: string[],
  ) {
    super(503, "stored_record_invalid", "Service unavailable", "A stored record failed its integrity check; nothing was changed.");
  }
}

/**
 * A tenant's hash chain disagrees with its anchor outside the tenant database
 * (rolled back, truncated or rewritten): chained writes are refused until an
 * operator has looked, so no new evidence is built on a chain that cannot be
 * trusted. `detail` for the log names the chain and the mismatch.
 */
export class EvidenceIntegrityError extends AppError {
  constructor(readonly finding: string) {
    super(503, "evidence_integrity_failure", "Service unavailable", "The tenant's evidence chain does not match its anchor; nothing was changed. An operator must investigate.");
  }
}
