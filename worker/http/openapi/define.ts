/**
 * @module http/openapi/define
 * The shape of one API operation's definition — method, path, who may call it,
 * the zod schemas of its request (params, query, body) and of every response,
 * and the problem `code`s each error status can carry. Route files enforce the
 * roles and parse with these same schemas; http/openapi/document turns the
 * definitions into the OpenAPI document; the typed client reads its types from them.
 */
import { z } from "zod";
import type { Role } from "../../domain/roles.js";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/** Who authenticates the call: a tenant API key, the platform token, the cron secret, or nobody. */
export type Security = "tenant" | "platform" | "cron" | "none";

export interface ResponseDef {
  description: string;
  /** Absent = no JSON body is described (e.g. a stream is described by `contentType` alone). */
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
  example?: unknown;
  /** Further media types the same status may answer with (e.g. text/html on `format=html`), described as strings. */
  alternatives?: readonly string[];
}

export interface BodyDef {
  schema: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
  /** True when an empty body is accepted (parsed as `{}`). */
  optional?: boolean;
  example?: unknown;
}

export interface OperationDef {
  operationId: string;
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/api/v1/decision-flows/{id}`. */
  path: string;
  tag: string;
  summary: string;
  description: string;
  security: Security;
  /** Roles that may call a tenant operation (any one of them suffices). */
  roles?: readonly Role[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: BodyDef;
  /** Success responses by status. */
  responses: Record<number, ResponseDef>;
  /** Route-specific problem codes by status (the shared ones are added by `errorCodesOf`). */
  errors?: Record<number, readonly string[]>;
  /** Per-key token bucket on this route (adds 429 rate_limited). */
  rateLimited?: boolean;
  /**
   * Set once an operation is deprecated (see the README's versioning policy): the
   * document marks it `deprecated`, and every answer carries `Deprecation` (RFC 9745)
   * and, when a date is set, `Sunset` (RFC 8594), plus a `Link` to the successor.
   */
  deprecation?: Deprecation;
}

export interface Deprecation {
  /** When it was deprecated (ISO 8601 date-time). */
  since: string;
  /** When it will stop working (ISO 8601 date-time); at least 6 months after `since`. */
  sunset?: string;
  /** The operation to use instead (a path, e.g. `/api/v1/…`). */
  successor?: string;
}

/** The response headers announcing a deprecation. */
export function deprecationHeaders(d: Deprecation): Record<string, string> {
  const h: Record<string, string> = { deprecation: `@${Math.floor(Date.parse(d.since) / 1000)}` };
  if (d.sunset) h.sunset = new Date(d.sunset).toUTCString();
  if (d.successor) h.link = `<${d.successor}>; rel="successor-version"`;
  return h;
}

/** Keeps the literal types of a definition (the typed client reads them). */
export const defineOperation = <const O extends OperationDef>(o: O): O => o;

/** The problem+json body every error has (RFC 9457 + our stable `code` and request id). */
export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  instance: z.string(),
  requestId: z.string().optional(),
});

export const MUTATING: ReadonlySet<HttpMethod> = new Set(["post", "put", "patch", "delete"]);

function add(into: Map<number, Set<string>>, status: number, codes: readonly string[]) {
  const s = into.get(status) ?? new Set<string>();
  for (const c of codes) s.add(c);
  into.set(status, s);
}

/**
 * Every problem status and code an operation can answer with: the shared set for
 * its security, method and body, plus its own. This is the one list the document,
 * the contract checks and the fuzz all use.
 */
export function errorCodesOf(op: OperationDef): Map<number, Set<string>> {
  const m = new Map<number, Set<string>>();
  add(m, 500, ["internal_error"]);
  if (op.security === "none") {
    for (const [s, codes] of Object.entries(op.errors ?? {})) add(m, Number(s), codes);
    return m;
  }
  add(m, 503, ["shutting_down", "store_unavailable"]);
  add(m, 401, ["unauthorized"]);
  if (op.security === "cron") add(m, 404, ["not_found"]);
  if (op.security === "tenant") {
    add(m, 403, ["missing_role"]);
    add(m, 503, ["stored_record_invalid", "evidence_integrity_failure"]);
  }
  if (op.security === "platform") add(m, 503, ["stored_record_invalid"]);
  if ((op.security === "tenant" || op.security === "platform") && MUTATING.has(op.method)) add(m, 403, ["csrf_header_missing"]);
  if (op.query) add(m, 400, ["validation_failed"]);
  if (op.body) {
    add(m, 400, ["validation_failed", "invalid_json", "invalid_text"]);
    if (!op.body.optional) add(m, 400, ["body_required"]);
    add(m, 413, ["payload_too_large"]);
    add(m, 415, ["unsupported_media_type"]);
  } else if (MUTATING.has(op.method)) {
    // JSON bodies are size-limited on every /api route, even where none is read.
    add(m, 413, ["payload_too_large"]);
  }
  if (op.rateLimited) add(m, 429, ["rate_limited"]);
  for (const [s, codes] of Object.entries(op.errors ?? {})) add(m, Number(s), codes);
  return m;
}
