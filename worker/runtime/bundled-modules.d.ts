/**
 * @module runtime/bundled-modules
 * Module types for files the Workers bundler turns into modules (wrangler.toml
 * `[[rules]]`): SQL migrations as text, the kernels as a compiled module, and
 * the /docs renderer (Scalar's standalone browser bundle) as text.
 */
declare module "*.sql" {
  const text: string;
  export default text;
}

declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

declare module "*/@scalar/api-reference/dist/browser/standalone.js" {
  const text: string;
  export default text;
}
