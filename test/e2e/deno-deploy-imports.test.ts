/**
 * Static proof that the Deno Deploy entry imports no native code: its import
 * graph, as Deno resolves it (`deno info --json`, which stops at npm packages)
 * and followed into node_modules with Deno's export conditions (esbuild's
 * metafile), holds no Node-API addon (the `libsql` package, its platform
 * binaries and loader), no `.node` file and no `node:` built-in (the file,
 * thread, child-process and addon APIs live there) beyond the one allowed below
 * with its reason. The same walk of the native-driver Deno entry finds the
 * addon, so the check can fail.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build, transform } from "esbuild";
import { describe, expect, it } from "vitest";
import { denoBinary } from "../helpers/deno.js";

const ROOT = resolve(import.meta.dirname, "../..");

/** Packages that load or locate a native addon. */
const NATIVE_PACKAGE = /node_modules\/(libsql\/|@libsql\/(linux|darwin|win32)-|@neon-rs\/|detect-libc\/)/;
/** Runtime modules that touch files, threads or the native driver. */
const FILE_RUNTIME = /worker\/(runtime\/(node[^/]*|libsql-[^/]*|server-lifecycle|deno)\.(ts|mjs)|engine\/kernels\/wasm-node\.ts)$/;

/**
 * Built-ins allowed, each only from the named importer: fflate's ESM build (the
 * evidence-pack zip) imports `module` to make a `require` for its optional
 * worker-thread mode; the gateway calls only `zipSync`, which never uses it, and
 * `module` itself is plain JS in Deno (the run under --deny-ffi/--deny-write in
 * deno-deploy.test.ts exercises the rest). lru-cache's node build (the tenant
 * handle's definition cache and the registry) publishes its metrics on
 * `diagnostics_channel`, an in-process event API Deno implements in JS with no
 * permission, file or native code behind it.
 */
const ALLOWED_BUILTINS: { builtin: string; importer: RegExp }[] = [
  { builtin: "module", importer: /^node_modules\/fflate\/esm\/index\.mjs$/ },
  { builtin: "diagnostics_channel", importer: /^node_modules\/lru-cache\/dist\/esm\/node\/index(\.min)?\.js$/ },
];

interface DenoInfo {
  modules: { specifier: string; kind: string; dependencies?: { specifier: string }[] }[];
}

/** `deno info --json`: the graph of local modules, with npm package entry points as "external". */
function denoGraph(entry: string): DenoInfo {
  return JSON.parse(execFileSync(denoBinary(), ["info", "--json", entry], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })) as DenoInfo;
}

/** Every file esbuild reaches from `entry` with Deno's conditions, and the imports it left external (node built-ins) with their importers. */
async function bundledGraph(entry: string): Promise<{ inputs: string[]; external: { builtin: string; importer: string }[] }> {
  const r = await build({
    entryPoints: [resolve(ROOT, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    // The conditions Deno resolves npm packages with.
    conditions: ["deno", "node", "import"],
    outfile: "graph.js",
    loader: { ".node": "file" },
    logLevel: "silent",
  });
  const inputs = Object.keys(r.metafile.inputs);
  const external = Object.entries(r.metafile.inputs).flatMap(([importer, i]) => i.imports.filter((x) => x.external).map((x) => ({ builtin: x.path, importer })));
  return { inputs, external };
}

/** What the two walks find that would need native code or the file system; empty = clean. */
async function nativeFindings(entry: string): Promise<string[]> {
  const found: string[] = [];
  const graph = denoGraph(entry);
  for (const m of graph.modules) {
    if (NATIVE_PACKAGE.test(m.specifier)) found.push(`deno info: ${m.specifier}`);
    if (FILE_RUNTIME.test(m.specifier) && !m.specifier.endsWith(entry)) found.push(`deno info: ${m.specifier}`);
    if (/@libsql\/client\/lib-(esm|cjs)\/node\.js$/.test(m.specifier)) found.push(`deno info: ${m.specifier} (the native-driver client)`);
    for (const d of m.dependencies ?? []) if (d.specifier.startsWith("node:")) found.push(`deno info: ${m.specifier} imports ${d.specifier}`);
  }
  const bundled = await bundledGraph(entry);
  for (const p of bundled.inputs) {
    if (NATIVE_PACKAGE.test(p) || p.endsWith(".node")) found.push(`esbuild: ${p}`);
    if (FILE_RUNTIME.test(p) && !p.endsWith(entry)) found.push(`esbuild: ${p}`);
  }
  for (const x of bundled.external)
    if (!ALLOWED_BUILTINS.some((a) => a.builtin === x.builtin.replace(/^node:/, "") && a.importer.test(x.importer))) found.push(`esbuild: ${x.importer} imports built-in ${x.builtin}`);
  return found;
}

describe("[deno-deploy] import graph", () => {
  it("[deno-deploy] the entry's graph holds no native addon, no node: built-in and no file-system runtime module", async () => {
    expect(await nativeFindings("worker/runtime/deno-deploy.ts")).toEqual([]);
  });

  it("[deno-deploy] esbuild followed the same npm entry points Deno resolves (the walk covers the real graph)", async () => {
    const npmEntries = denoGraph("worker/runtime/deno-deploy.ts")
      .modules.filter((m) => m.kind === "external" && /\/node_modules\/.*\.(m?js|cjs)$/.test(m.specifier))
      .map((m) => new URL(m.specifier).pathname.slice(ROOT.length + 1));
    expect(npmEntries).toContain("node_modules/@libsql/client/lib-esm/web.js");
    const { inputs } = await bundledGraph("worker/runtime/deno-deploy.ts");
    for (const e of npmEntries) expect(inputs, e).toContain(e);
    // The local modules agree too; Deno also lists modules imported only for their types, which emit no code.
    const local = denoGraph("worker/runtime/deno-deploy.ts")
      .modules.filter((m) => m.kind === "esm" && m.specifier.startsWith("file://") && !m.specifier.includes("/node_modules/"))
      .map((m) => new URL(m.specifier).pathname.slice(ROOT.length + 1));
    const bundledLocal = inputs.filter((p) => !p.startsWith("node_modules/"));
    for (const p of bundledLocal) expect(local, p).toContain(p);
    for (const p of local.filter((x) => !bundledLocal.includes(x))) {
      const js = (await transform(readFileSync(join(ROOT, p), "utf8"), { loader: "ts", format: "esm" })).code;
      expect(js.replace(/^export \{\s*\};?$/m, "").trim(), `${p} is in Deno's graph but was not bundled`).toBe("");
    }
  });

  it("[deno-deploy] control: the same check flags the native-driver Deno entry", async () => {
    const found = await nativeFindings("worker/runtime/deno.ts");
    expect(found.some((f) => f.includes("node_modules/libsql/"))).toBe(true);
    expect(found.some((f) => f.includes("worker/runtime/node-files.ts"))).toBe(true);
    expect(found.some((f) => /imports (built-in )?node:fs/.test(f))).toBe(true);
  });
});
