/**
 * @module .dependency-cruiser
 * Layer rules checked by `npm run lint:layers` (part of `npm test`). Dependencies point
 * inward — runtime → http/console → services → engine/store → domain — and the store
 * implements the engine's ports instead of importing the engine. One rule per forbidden
 * arrow, so a failure names the arrow. Type-only imports count (tsPreCompilationDeps):
 * a type import still couples the layers it crosses.
 */

/** Layers a lower layer must never reach. */
const UP_FROM_STORE = "^worker/(engine|http|services|runtime|report|console)/";
const UP_FROM_ENGINE = "^worker/(store|services|http|runtime|report|console)/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "domain-only-itself-and-zod",
      comment: "worker/domain is pure TypeScript without I/O: it imports only worker/domain and zod (no node:*, no other layer, no other package).",
      severity: "error",
      from: { path: "^worker/domain/" },
      to: { pathNot: ["^worker/domain/", "^node_modules/zod/"] },
    },
    {
      name: "store-not-upward",
      comment: "worker/store holds the SQL; it never imports the engine (it implements the engine's ports), http, services, runtime, report or console.",
      severity: "error",
      from: { path: "^worker/store/" },
      to: { path: UP_FROM_STORE },
    },
    {
      name: "engine-not-store-or-upward",
      comment: "worker/engine defines the ports the store implements; it never imports store, services, http, runtime, report or console.",
      severity: "error",
      from: { path: "^worker/engine/" },
      to: { path: UP_FROM_ENGINE },
    },
    {
      name: "http-store-only-via-services",
      comment: "http, report and console reach the store only through worker/services (type-only imports included).",
      severity: "error",
      from: { path: "^worker/(http|report|console)/" },
      to: { path: "^worker/store/" },
    },
    {
      name: "services-not-http-or-runtime",
      comment: "worker/services are use cases: they never import http, console or runtime (those call services).",
      severity: "error",
      from: { path: "^worker/services/" },
      to: { path: "^worker/(http|console|runtime)/" },
    },
    {
      name: "no-test-imports",
      comment: "Product code and scripts never import test/ (helpers and fixtures belong to the tests).",
      severity: "error",
      from: { path: "^(worker|scripts)/" },
      to: { path: "^test/" },
    },
    {
      name: "no-circular-in-worker",
      comment: "No import cycle inside worker/: a cycle makes initialisation order and layering undefined.",
      severity: "error",
      from: { path: "^worker/" },
      to: { path: "^worker/", circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // Package subpaths (hono/body-limit, @libsql/client/web) resolve through "exports".
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
  },
};
