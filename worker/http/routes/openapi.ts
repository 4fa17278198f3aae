/**
 * @module http/routes/openapi
 * The contract: GET /openapi.json (OpenAPI 3.1, generated once per app from the
 * operation definitions) and GET /docs (Scalar's API reference, every asset
 * served from here: see openapi/docs-page). Public.
 */
import { Hono } from "hono";
import { DOCS_BUNDLE_PATH, DOCS_CSP, DOCS_INIT_PATH, DOCS_INIT_SCRIPT, docsPage } from "../openapi/docs-page.js";
import { buildOpenApiDocument } from "../openapi/document.js";
import type { AppDeps, AppEnv } from "../types.js";

const JS = "text/javascript; charset=UTF-8";

/** Routes /openapi.json, /docs and the docs page's assets. */
export function createOpenApiRoutes(deps: Pick<AppDeps, "docsBundle">) {
  const app = new Hono<AppEnv>();
  // Built (or read) lazily on first request and kept for this app instance (not module state).
  let doc: string | null = null;
  let bundle: Promise<string> | null = null;
  const page = docsPage();
  const nosniff = { "x-content-type-options": "nosniff" };
  app.get("/openapi.json", (c) => {
    doc ??= JSON.stringify(buildOpenApiDocument());
    return c.body(doc, 200, { "content-type": "application/json; charset=UTF-8" });
  });
  app.get("/docs", (c) => c.html(page, 200, { "content-security-policy": DOCS_CSP, ...nosniff }));
  app.get(DOCS_INIT_PATH, (c) => c.body(DOCS_INIT_SCRIPT, 200, { "content-type": JS, "cache-control": "no-cache", ...nosniff }));
  app.get(DOCS_BUNDLE_PATH, async (c) => {
    // A failed read is not kept: the next request tries again (and this one answers 500).
    bundle ??= deps.docsBundle().catch((e: unknown) => {
      bundle = null;
      throw e;
    });
    return c.body(await bundle, 200, { "content-type": JS, "cache-control": "public, max-age=3600", ...nosniff });
  });
  return app;
}
