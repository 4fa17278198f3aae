/**
 * @module runtime/cloudflare-docs-bundle
 * The /docs renderer for a Worker, which cannot read node_modules at run time:
 * Scalar's standalone browser bundle imported as text (wrangler.toml rule
 * `Text` for this one file), so wrangler bundles it and the Worker serves it at
 * /docs/assets/scalar.js. It is never evaluated inside the Worker.
 */
import scalarStandalone from "../../node_modules/@scalar/api-reference/dist/browser/standalone.js";

/** The bundle's source text. */
export const docsBundle: string = scalarStandalone;
