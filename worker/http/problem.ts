/**
 * @module http/problem
 * RFC 9457 problem+json responses with a stable `code`, and the app-wide error
 * handler: known errors map to their status; anything else is a logged 500 whose
 * body reveals nothing (no stack, no SQL).
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, StoredRecordError, StoreUnavailableError } from "../domain/errors.js";
import { errorFields } from "../observability/logger.js";
import type { AppEnv } from "./types.js";

export const PROBLEM_TYPE_BASE = "https://fairgate.dev/problems/";

/** Builds a problem+json response. */
export function problem(
  c: Context<AppEnv>,
  status: number,
  code: string,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
): Response {
  const body = {
    type: PROBLEM_TYPE_BASE + code.replace(/_/g, "-"),
    title,
    status,
    detail,
    code,
    instance: c.req.path,
    requestId: c.get("requestId"),
    ...extra,
  };
  return c.newResponse(JSON.stringify(body), status as ContentfulStatusCode, { "content-type": "application/problem+json" });
}

/**
 * True when the error comes from the client going away mid-request: the request's
 * signal is aborted (Node's adapter, Deno and Workers abort it on disconnect), or
 * Node's own error for a request body cut short ("aborted", ECONNRESET), which can
 * reach us before the signal is.
 */
function clientClosed(err: Error, c: Context<AppEnv>): boolean {
  if (c.req.raw.signal?.aborted) return true;
  const code = (err as { code?: unknown }).code;
  return (err.message === "aborted" && code === "ECONNRESET") || code === "ERR_STREAM_PREMATURE_CLOSE";
}

/** The app's onError handler. */
export function handleError(err: Error, c: Context<AppEnv>): Response {
  const log = c.get("log");
  if (err instanceof AppError) {
    if (err instanceof StoreUnavailableError) log?.error("store unavailable", errorFields(err.causeError));
    if (err instanceof StoredRecordError) log?.error("stored record invalid", { record: err.record, issues: err.issues });
    return problem(c, err.status, err.code, err.title, err.message, err.extra);
  }
  if (err instanceof HTTPException) {
    if (err.status === 413) return problem(c, 413, "payload_too_large", "Payload too large", "The request body exceeds the size limit for this route.");
    return problem(c, err.status, "http_error", "Request failed", err.message || "The request could not be processed.");
  }
  if (clientClosed(err, c)) {
    // Nobody is left to read an answer; this is the client's doing, not a server fault.
    log?.info("client_closed", { method: c.req.method, path: c.req.path, ...errorFields(err) });
    return problem(c, 499, "client_closed", "Client closed request", "The client closed the connection before the request was complete.");
  }
  log?.error("unhandled error", { ...errorFields(err), stack: err.stack });
  return problem(c, 500, "internal_error", "Internal error", "An unexpected error occurred; it has been logged with the request id.");
}
