/**
 * @module scripts/pack-cli
 * `npm run pack:cli`: the `fairgate` CLI as its own npm package, for data scientists who
 * gate a model without the gateway. esbuild bundles scripts/fairgate.ts and everything
 * it imports (zod, the CSV/NDJSON/Parquet/Arrow readers) into one ESM file; the Wasm
 * kernels sit beside it. A generated package.json (name "fairgate", a bin, no
 * dependencies) and `npm pack` give dist/fairgate-<version>.tgz, which installs offline
 * and runs on plain Node 20 — no tsx, no TypeScript, no dev dependencies. The root
 * package (the gateway) is left as it is. The one native module the CLI can reach,
 * @libsql/client (`fairgate hash` only), is an optional peer dependency instead; so is
 * playwright-core, which `check --out` uses for report.pdf when it (and Chromium) is there.
 *
 *   npm run pack:cli            -> dist/cli/ (the package) and dist/fairgate-x.y.z.tgz
 *
 * The last stdout line is JSON: {"tarball", "packageDir", "bytes", "files"}.
 */
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const pkgDir = join(dist, "cli");

/** The repository's path to the Wasm build, as written in engine/kernels/wasm-node.ts. */
const REPO_WASM = "../../../wasm-core/build/kernels.wasm";

/**
 * In the package the Wasm file lies beside the bundle, not three directories up: the
 * loader's default URL is rewritten at bundle time. The build fails if the literal is
 * not found, so a moved loader cannot silently ship a CLI that looks in the wrong place.
 */
const wasmBesideBundle: Plugin = {
  name: "wasm-beside-bundle",
  setup(b) {
    b.onLoad({ filter: /engine[\\/]kernels[\\/]wasm-node\.ts$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (!source.includes(`"${REPO_WASM}"`)) throw new Error(`${args.path} no longer names ${REPO_WASM}; update scripts/pack-cli.ts`);
      return { contents: source.replace(`"${REPO_WASM}"`, `"./kernels.wasm"`), loader: "ts" };
    });
  },
};

/**
 * `fairgate hash` reads a tenant database through @libsql/client, whose native driver
 * (libsql, one binary per platform) cannot live in a single-file bundle. The package
 * keeps it out: the bundle gets a stand-in that loads the real driver when `hash`
 * runs — from beside the installed package, where `npm install @libsql/client`
 * (an optional peer dependency) puts it — and otherwise refuses in one line (exit 2).
 * `fairgate check`, `verify` and `audit` never touch it.
 */
function optionalLibsql(version: string): Plugin {
  return {
    name: "optional-libsql",
    setup(b) {
      b.onResolve({ filter: /^@libsql\/client$/ }, (args) => ({ path: args.path, namespace: "optional-libsql" }));
      b.onLoad({ filter: /.*/, namespace: "optional-libsql" }, () => ({
        resolveDir: join(root, "scripts/cli"),
        loader: "js",
        contents: `import { createRequire } from "node:module";
import { InputError } from "./errors.ts";
export function createClient(config) {
  let driver;
  try {
    driver = createRequire(import.meta.url)("@libsql/client");
  } catch {
    throw new InputError("fairgate hash reads a tenant database and needs its driver: npm install @libsql/client@${version} beside fairgate");
  }
  return driver.createClient(config);
}
`,
      }));
    },
  };
}

async function main(): Promise<void> {
  const rootPkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as {
    version: string;
    description?: string;
    engines?: Record<string, string>;
    dependencies: Record<string, string>;
  };
  const libsqlVersion = rootPkg.dependencies["@libsql/client"];
  if (!libsqlVersion) throw new Error("package.json no longer depends on @libsql/client; update scripts/pack-cli.ts");
  const playwrightVersion = rootPkg.dependencies["playwright-core"];
  if (!playwrightVersion) throw new Error("package.json no longer depends on playwright-core; update scripts/pack-cli.ts");
  await rm(pkgDir, { recursive: true, force: true });
  await mkdir(join(pkgDir, "bin"), { recursive: true });

  await build({
    entryPoints: [join(root, "scripts/fairgate.ts")],
    outfile: join(pkgDir, "fairgate.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Bundled CommonJS packages may call require() for Node built-ins; ESM has none of its own.
    banner: { js: 'import { createRequire as __fgCreateRequire } from "node:module"; const require = __fgCreateRequire(import.meta.url);' },
    legalComments: "linked",
    plugins: [wasmBesideBundle, optionalLibsql(libsqlVersion)],
    // report.pdf only (runtime/chromium-pdf imports it dynamically and notes its absence): resolved beside the package at run time.
    external: ["playwright-core"],
    logLevel: "warning",
  });
  await copyFile(join(root, "wasm-core/build/kernels.wasm"), join(pkgDir, "kernels.wasm"));
  // A separate bin file: npm links it (a symlink on POSIX, a shim on Windows), so the bundle's
  // own "am I the main module" check never fires through it and run() is called exactly once.
  await writeFile(join(pkgDir, "bin/fairgate.mjs"), `#!/usr/bin/env node\nimport { run } from "../fairgate.mjs";\n\nawait run();\n`, { mode: 0o755 });
  const files = ["fairgate.mjs", "kernels.wasm", "bin/fairgate.mjs", "README.md"];
  if (await exists(join(pkgDir, "fairgate.mjs.LEGAL.txt"))) files.push("fairgate.mjs.LEGAL.txt");
  const pkg = {
    name: "fairgate",
    version: rootPkg.version,
    description: "fairgate check: the Fairgate fairness gate over a CSV, NDJSON, Parquet or Arrow file of decisions, for CI (JUnit, Markdown summary).",
    type: "module",
    bin: { fairgate: "bin/fairgate.mjs" },
    exports: { ".": "./fairgate.mjs" },
    files,
    engines: rootPkg.engines ?? { node: ">=20" },
    // Only `fairgate hash` needs it (see optionalLibsql); npm does not install optional peers.
    // report.pdf needs playwright-core and a Chromium; without them check --out notes it and goes on.
    peerDependencies: { "@libsql/client": libsqlVersion, "playwright-core": playwrightVersion },
    peerDependenciesMeta: { "@libsql/client": { optional: true }, "playwright-core": { optional: true } },
  };
  await writeFile(join(pkgDir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  await writeFile(join(pkgDir, "README.md"), PACKAGE_README);

  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dist], { cwd: pkgDir, encoding: "utf8" });
  const [packed] = JSON.parse(out) as { filename: string; size: number; files: { path: string }[] }[];
  const tarball = join(dist, packed!.filename);
  console.log(JSON.stringify({ tarball, packageDir: pkgDir, bytes: (await stat(tarball)).size, files: packed!.files.map((f) => f.path) }));
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

const PACKAGE_README = `# fairgate (CLI)

The Fairgate fairness gate for CI, without the gateway: \`fairgate check\` streams a CSV,
NDJSON, Parquet or Arrow file of decisions into the gateway's own gate and prints the same
evaluation (exit 0 pass or skip, 1 blocked, 2 bad usage or input).

    npm install ./fairgate-x.y.z.tgz
    npx fairgate check --input decisions.csv --sensitive race --decision approved \\
      --junit junit.xml --summary summary.md
    npx fairgate --help

Node 20 or later; no dependencies (one bundled ESM file and the Wasm kernels).
\`fairgate hash\` (recomputing a dataset hash from a tenant database) also needs the
database driver: \`npm install @libsql/client\` beside it (an optional peer dependency).
\`check --out DIR\` also writes report.pdf when playwright-core (\`npm install playwright-core\`,
another optional peer) and a Chromium (/usr/bin/chromium or FAIRGATE_CHROMIUM_PATH) are there;
otherwise it says so in one line on stderr.
`;

await main();
