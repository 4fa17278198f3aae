/**
 * @module console/errors
 * The console's error handler: the same errors the API maps to problem+json become
 * an HTML page with the same status and the same public detail — 403 for a missing
 * role or CSRF token, 404 for another tenant's ids, 422 for a blocked gate, 503
 * when the store is down (nothing was changed). Never a stack trace: anything
 * unexpected is logged with the request id and shown as a bare 500.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, StoredRecordError, StoreUnavailableError } from "../domain/errors.js";
import { errorFields } from "../observability/logger.js";
import { h } from "./html.js";
import { bare, page } from "./layout.js";
import type { ConsoleEnv } from "./types.js";

/** Status, title and the public detail of an error (what the API's problem body says). */
function describe(err: Error, c: Context<ConsoleEnv>): { status: number; title: string; detail: string } {
  const log = c.get("log");
  if (err instanceof AppError) {
    if (err instanceof StoreUnavailableError) log?.error("store unavailable", errorFields(err.causeError));
    if (err instanceof StoredRecordError) log?.error("stored record invalid", { record: err.record, issues: err.issues });
    return { status: err.status, title: err.title, detail: err.message };
  }
  if (err instanceof HTTPException) return { status: err.status, title: "Request failed", detail: err.status === 413 ? "The form is too large." : "The request could not be processed." };
  log?.error("unhandled error", { ...errorFields(err), stack: err.stack });
  return { status: 500, title: "Internal error", detail: "An unexpected error occurred; it has been logged with the request id." };
}

/** The console's onError: an error page inside the layout when signed in, a bare one otherwise. */
export function consoleError(err: Error, c: Context<ConsoleEnv>): Response {
  const { status, title, detail } = describe(err, c);
  const code = err instanceof AppError ? err.code : null;
  const body = h`<h1>${title}</h1><div class="notice error" role="alert"><p>${detail}</p>${code ? h`<p class="meta">code: <code>${code}</code> · request <code>${c.get("requestId")}</code></p>` : h`<p class="meta">request <code>${c.get("requestId")}</code></p>`}</div>
<p><a href="/console/flows">Back to flows</a></p>`;
  if (c.get("principal")) return page(c, { title, body, status });
  return bare(c, h`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · Fairgate console</title><link rel="stylesheet" href="/console/assets/console.css"></head><body><main id="main">${body}</main></body></html>`, status);
}
