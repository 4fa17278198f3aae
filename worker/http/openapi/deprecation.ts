/**
 * @module http/openapi/deprecation
 * Announces deprecated operations on the wire: every answer to an operation whose
 * definition carries `deprecation` gets `Deprecation` (RFC 9745), `Sunset`
 * (RFC 8594) when a date is set, and a `Link` to the successor. Marking the
 * definition is all it takes; the document shows `deprecated: true` from the same field.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../types.js";
import { deprecationHeaders, type OperationDef } from "./define.js";

const pathPattern = (template: string) => new RegExp(`^${template.replace(/[.]/g, "\\.").replace(/\{\w+\}/g, "[^/]+")}$`);

/** Middleware for `ops`; passes straight through when none is deprecated. */
export function announceDeprecations(ops: readonly OperationDef[]): MiddlewareHandler<AppEnv> {
  const deprecated = ops
    .filter((o) => o.deprecation)
    .map((o) => ({ method: o.method.toUpperCase(), re: pathPattern(o.path), headers: deprecationHeaders(o.deprecation!) }));
  return async (c, next) => {
    await next();
    if (!deprecated.length) return;
    const hit = deprecated.find((d) => d.method === c.req.method && d.re.test(c.req.path));
    if (hit) for (const [k, v] of Object.entries(hit.headers)) c.res.headers.set(k, v);
  };
}
