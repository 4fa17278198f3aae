/**
 * @module http/openapi/docs-page
 * The /docs page: Scalar's API reference (npm `@scalar/api-reference`, its
 * standalone browser bundle `dist/browser/standalone.js`) over /openapi.json,
 * with every asset served by the app itself — no CDN, no web font, no
 * telemetry at run time:
 *
 * - `GET /docs`                  this HTML (no inline script, no inline style);
 * - `GET /docs/assets/scalar.js` the bundle, as the runtime provides it
 *   (`AppDeps.docsBundle`: read from node_modules on Node and Deno, a Text
 *   module bundled by wrangler on Workers);
 * - `GET /docs/assets/init.js`   mounts the reference with the configuration below.
 *
 * The CSP allows only the page's own origin. Its one relaxation is
 * `style-src 'unsafe-inline'`: the bundle injects its stylesheet as a
 * `<style>` element and its components (Vue, CodeMirror, floating menus) set
 * `style` attributes at run time. Scripts stay `'self'` only (no inline
 * script, no eval: the bundle needs neither), and `connect-src 'self'` keeps
 * the "try it" client on this origin too.
 */

/** Where the page loads the renderer and its mount script from (same origin). */
export const DOCS_BUNDLE_PATH = "/docs/assets/scalar.js";
export const DOCS_INIT_PATH = "/docs/assets/init.js";

/**
 * Scalar's configuration: the spec from this origin; default fonts (fonts.scalar.com),
 * telemetry, the AI agent and MCP integration off; no developer toolbar.
 */
export const SCALAR_CONFIG = {
  url: "/openapi.json",
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: "never",
  documentDownloadType: "json",
  persistAuth: false,
  theme: "default",
  defaultOpenFirstTag: true,
  operationTitleSource: "summary",
} as const;

/** The mount script (served as /docs/assets/init.js, so no inline script is needed). */
export const DOCS_INIT_SCRIPT = `// Fairgate /docs: mounts Scalar's API reference on #app.
Scalar.createApiReference("#app", ${JSON.stringify(SCALAR_CONFIG)});
`;

/** Only this origin; inline styles for the bundle's injected stylesheet and style attributes (see the module comment). */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** The page: an empty mount point, the bundle, then the mount script. */
export function docsPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fairgate API reference</title>
<link rel="icon" href="data:,">
</head>
<body>
<div id="app"></div>
<script src="${DOCS_BUNDLE_PATH}"></script>
<script src="${DOCS_INIT_PATH}"></script>
</body>
</html>
`;
}
