/**
 * @module runtime/bundled-modules
 * Module types for files the Workers bundler turns into modules (wrangler.toml
 * `[[rules]]`): SQL migrations as text and the kernels as a compiled module.
 */
declare module "*.sql" {
  const text: string;
  export default text;
}

declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
