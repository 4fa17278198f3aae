/**
 * @module http/routes/openapi
 * The contract: GET /openapi.json (OpenAPI 3.1, generated once per app from the
 * operation definitions) and GET /docs (a self-contained rendered page). Public.
 */
import { Hono } from "hono";
import { DOCS_CSP, docsPage } from "../openapi/docs-page.js";
import { buildOpenApiDocument } from "../openapi/document.js";
import type { AppEnv } from "../types.js";

/** Routes /openapi.json and /docs. */
export function createOpenApiRoutes() {
  const app = new Hono<AppEnv>();
  // Built lazily on first request and kept for this app instance (not module state).
  let doc: string | null = null;
  const page = docsPage();
  app.get("/openapi.json", (c) => {
    doc ??= JSON.stringify(buildOpenApiDocument());
    return c.body(doc, 200, { "content-type": "application/json; charset=UTF-8" });
  });
  app.get("/docs", (c) => c.html(page, 200, { "content-security-policy": DOCS_CSP, "x-content-type-options": "nosniff" }));
  return app;
}
