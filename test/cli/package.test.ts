/**
 * The CLI as an npm package, and the GitHub Action that runs it. `npm run pack:cli`
 * builds dist/fairgate-x.y.z.tgz; it is installed offline into an empty directory and
 * `npx fairgate check` runs on the COMPAS extract from there — where no tsx and no
 * TypeScript can be resolved — and must match ProPublica's published table and the
 * in-repo CLI's evaluation. Then action.yml's steps run as the runner would run them
 * (`bash --noprofile --norc -eo pipefail`, `${{ inputs.* }}` substituted from the
 * inputs or their defaults, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY as temp files).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { parse as parseYaml } from "yaml";
import { main } from "../../scripts/fairgate.js";
import { evaluationSchema } from "../../worker/domain/evaluation.js";
import { loadCompas, PROPUBLICA, writeCompasCsv } from "../helpers/compas.js";

const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);

interface Proc {
  code: number;
  stdout: string;
  stderr: string;
}
async function spawn(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Proc> {
  try {
    const r = await run(cmd, args, { ...opts, maxBuffer: 32 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** Nothing of the test runner's own loader may leak into the child (vitest sets NODE_OPTIONS for some pools). */
const cleanEnv = (): NodeJS.ProcessEnv => {
  const { NODE_OPTIONS: _o, GITHUB_STEP_SUMMARY: _s, GITHUB_OUTPUT: _g, ...rest } = process.env;
  return rest;
};

let tmp: string;
let app: string;
let compas: string;
let packed: { tarball: string; files: string[] };

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "fairgate-pkg-"));
  compas = writeCompasCsv(tmp);
  const build = await spawn("npm", ["run", "--silent", "pack:cli"], { cwd: ROOT, env: cleanEnv() });
  expect(build.code, build.stderr).toBe(0);
  packed = JSON.parse(build.stdout.trim().split("\n").at(-1)!);
  app = join(tmp, "app");
  await spawn("mkdir", ["-p", app], { cwd: tmp });
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "probe", private: true }));
  const install = await spawn("npm", ["install", "--offline", "--no-audit", "--no-fund", packed.tarball], { cwd: app, env: cleanEnv() });
  expect(install.code, install.stderr).toBe(0);
}, 120_000);
afterAll(() => rm(tmp, { recursive: true, force: true }));

const COMPAS_ARGS = () => ["check", "--input", compas, "--sensitive", "race", "--label", "two_year_recid", "--score", "decile_score", "--threshold", "5", "--json"];
const stable = ({ id: _i, createdAt: _c, ...rest }: Record<string, unknown>) => rest;

describe("npm pack of the CLI", () => {
  it("is one bundled file, the Wasm kernels and a bin: no TypeScript, no dependencies", async () => {
    expect(packed.tarball).toMatch(/[\\/]fairgate-\d+\.\d+\.\d+\.tgz$/);
    expect([...packed.files].sort()).toEqual(["README.md", "bin/fairgate.mjs", "fairgate.mjs", "kernels.wasm", "package.json"]);
    const pkg = JSON.parse(await readFile(join(app, "node_modules/fairgate/package.json"), "utf8"));
    expect(pkg).toMatchObject({ name: "fairgate", bin: { fairgate: "bin/fairgate.mjs" }, type: "module" });
    expect(pkg.dependencies ?? {}).toEqual({});
    // The one native driver (fairgate hash only) and playwright-core (report.pdf only) are optional peers: npm installs nothing for them.
    expect(pkg.peerDependenciesMeta).toEqual({ "@libsql/client": { optional: true }, "playwright-core": { optional: true } });
    // Installed alone: nothing else came along, so neither tsx nor typescript can be resolved from here.
    expect((await readdir(join(app, "node_modules"))).filter((n) => !n.startsWith("."))).toEqual(["fairgate"]);
  });

  it("npx fairgate check reproduces ProPublica's COMPAS table and the in-repo CLI's evaluation", async () => {
    const r = await spawn("npx", ["--no", "fairgate", ...COMPAS_ARGS()], { cwd: app, env: cleanEnv() });
    expect(r.code, r.stderr).toBe(1);
    const ev = evaluationSchema.parse(JSON.parse(r.stdout));
    expect(ev.verdict).toBe("block");
    for (const race of ["African-American", "Caucasian"] as const) {
      const g = ev.groups.find((x) => x.value === race)!;
      const ref = PROPUBLICA[race];
      expect({ tp: g.tp, fp: g.fp, tn: g.tn, fn: g.fn }).toEqual({ tp: ref.tp, fp: ref.fp, tn: ref.tn, fn: ref.fn });
      expect(Math.round(g.fpr! * 10_000) / 100).toBe(ref.fpr);
      expect(Math.round(g.fnr! * 10_000) / 100).toBe(ref.fnr);
    }
    // The in-repo CLI (TypeScript sources, in-process) on the same file: the same evaluation, id and clock aside.
    let stdout = "";
    const code = await main(COMPAS_ARGS(), { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, env: {} });
    expect(code).toBe(1);
    expect(stable(ev)).toEqual(stable(JSON.parse(stdout)));
  });

  it("reads Parquet (zstd, written by DuckDB) and Arrow IPC (apache-arrow) with the bundled readers, exactly as CSV", async () => {
    const parquet = join(tmp, "compas.parquet");
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    try {
      await c.run(`COPY (SELECT race, decile_score::INTEGER AS decile_score, two_year_recid::INTEGER AS two_year_recid FROM read_csv('${compas}', header = true)) TO '${parquet}' (FORMAT parquet, COMPRESSION zstd)`);
    } finally {
      c.closeSync();
    }
    const rows = loadCompas();
    const arrow = join(tmp, "compas.arrow");
    await writeFile(arrow, tableToIPC(tableFromArrays({ race: rows.map((r) => r.race), decile_score: Int32Array.from(rows, (r) => r.decileScore), two_year_recid: Int32Array.from(rows, (r) => r.twoYearRecid) }), "file"));
    const bin = join(app, "node_modules/fairgate/bin/fairgate.mjs");
    const args = (input: string) => ["check", "--input", input, "--sensitive", "race", "--label", "two_year_recid", "--score", "decile_score", "--threshold", "5", "--json"];
    const [fromCsv, fromParquet, fromArrow] = await Promise.all([compas, parquet, arrow].map((f) => spawn(process.execPath, [bin, ...args(f)], { cwd: app, env: cleanEnv() })));
    for (const r of [fromCsv, fromParquet, fromArrow]) expect(r!.code, r!.stderr).toBe(1);
    const same = (r: Proc) => {
      const { flowKey: _k, ...rest } = stable(JSON.parse(r.stdout));
      return rest;
    };
    expect(same(fromParquet!)).toEqual(same(fromCsv!));
    expect(same(fromArrow!)).toEqual(same(fromCsv!));
  });

  it("fairgate hash without the optional database driver refuses in one line (exit 2)", async () => {
    const r = await spawn("npx", ["--no", "fairgate", "hash", "--db", join(tmp, "tenant.db"), "--tenant", "t", "--flow", "f", "--attributes", "race", "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-02T00:00:00Z"], { cwd: app, env: cleanEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^fairgate: fairgate hash reads a tenant database and needs its driver: npm install @libsql\/client@\d+\.\d+\.\d+ beside fairgate$/);
  });

  it("check --out writes report.pdf only with playwright-core beside it (an optional peer); without, one line on stderr", async () => {
    const without = join(tmp, "out-without");
    const r = await spawn("npx", ["--no", "fairgate", ...COMPAS_ARGS(), "--out", without], { cwd: app, env: cleanEnv() });
    expect(r.code, r.stderr).toBe(1);
    expect(existsSync(join(without, "report.html"))).toBe(true);
    expect(existsSync(join(without, "report.pdf"))).toBe(false);
    const why = existsSync("/usr/bin/chromium") ? "playwright-core is not installed \\(npm install playwright-core\\)" : ".+";
    expect(r.stderr.split("\n").filter((l) => l.includes("report.pdf"))).toEqual([expect.stringMatching(new RegExp(`^fairgate: report\\.pdf not written: ${why}$`))]);
    // Skipped only on a developer machine without Chromium; in CI (.ci/run installs it) a missing one fails.
    if (!existsSync("/usr/bin/chromium") && !process.env.CI) return;
    const peer = join(app, "node_modules/playwright-core");
    await symlink(join(ROOT, "node_modules/playwright-core"), peer, "dir");
    try {
      const withPeer = join(tmp, "out-with");
      const w = await spawn("npx", ["--no", "fairgate", ...COMPAS_ARGS(), "--out", withPeer], { cwd: app, env: cleanEnv() });
      expect(w.code, w.stderr).toBe(1);
      expect(w.stderr).not.toContain("report.pdf");
      expect((await readFile(join(withPeer, "report.pdf"))).subarray(0, 5).toString("latin1")).toBe("%PDF-");
    } finally {
      await rm(peer, { force: true });
    }
  });

  it("loads the Wasm file inside the package (a missing one is exit 2, not a silent fallback)", async () => {
    const bin = join(app, "node_modules/fairgate/bin/fairgate.mjs");
    const ok = await spawn(process.execPath, [bin, ...COMPAS_ARGS(), "--kernels", "wasm"], { cwd: app, env: cleanEnv() });
    expect(ok.code).toBe(1);
    const wasm = join(app, "node_modules/fairgate/kernels.wasm");
    await rm(wasm);
    const missing = await spawn(process.execPath, [bin, ...COMPAS_ARGS()], { cwd: app, env: cleanEnv() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot load the Wasm kernels: Wasm kernels not found at .*node_modules\/fairgate\/kernels\.wasm/);
    const ref = await spawn(process.execPath, [bin, ...COMPAS_ARGS(), "--kernels", "reference"], { cwd: app, env: cleanEnv() });
    expect(stable(JSON.parse(ref.stdout)).groups).toEqual(stable(JSON.parse(ok.stdout)).groups);
  });
});

interface ActionStep {
  id?: string;
  shell: string;
  run: string;
  "working-directory"?: string;
  env?: Record<string, string>;
}
interface ActionFile {
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

/** Runs action.yml's composite steps as the runner does; returns the exit status and the step outputs. */
async function runAction(inputs: Record<string, string>, dir: string) {
  const action = parseYaml(await readFile(join(ROOT, "action.yml"), "utf8")) as ActionFile;
  expect(action.runs.using).toBe("composite");
  const output = join(dir, "github_output");
  const stepSummary = join(dir, "step_summary.md");
  await writeFile(output, "");
  await writeFile(stepSummary, "");
  for (const name of Object.keys(inputs)) expect(action.inputs, `input ${name} is declared`).toHaveProperty(name);
  const value = (name: string) => inputs[name] ?? action.inputs[name]?.default ?? "";
  const expand = (s: string) =>
    s.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
      if (expr === "github.action_path") return ROOT;
      const m = /^inputs\.([\w-]+)$/.exec(expr);
      if (!m) throw new Error(`unexpected expression in action.yml: ${expr}`);
      return value(m[1]!);
    });
  const env: NodeJS.ProcessEnv = { ...cleanEnv(), GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: stepSummary, RUNNER_TEMP: dir, GITHUB_ACTION_PATH: ROOT };
  let code = 0;
  for (const step of action.runs.steps) {
    expect(step.shell).toBe("bash");
    const script = join(dir, "step.sh");
    await writeFile(script, expand(step.run));
    const stepEnv = { ...env, ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v))])) };
    const r = await spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], { cwd: step["working-directory"] ? expand(step["working-directory"]) : dir, env: stepEnv });
    code = r.code;
    if (code !== 0) break;
  }
  const outputs = Object.fromEntries(
    (await readFile(output, "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  // The action's outputs map onto the check step's.
  for (const [k, o] of Object.entries(action.outputs)) expect(o.value).toBe(`\${{ steps.check.outputs.${k} }}`);
  return { code, outputs, stepSummary: await readFile(stepSummary, "utf8") };
}

describe("the GitHub Action (action.yml + scripts/action/run.mjs)", () => {
  it("blocks COMPAS: exit 1, verdict and evaluation outputs, JUnit and the step summary", async () => {
    const dir = await mkdtemp(join(tmp, "action-"));
    const r = await runAction({ file: compas, sensitive: "race", label: "two_year_recid", score: "decile_score", threshold: "5" }, dir);
    expect(r.code).toBe(1);
    expect(r.outputs.verdict).toBe("block");
    expect(r.outputs.evaluation).toBe(join(dir, "fairgate", "evaluation.json"));
    const ev = evaluationSchema.parse(JSON.parse(await readFile(r.outputs.evaluation!, "utf8")));
    expect(ev.violations).toEqual(["disparate impact ratio 0.356 < threshold 0.8"]);
    expect(ev.groups.find((g) => g.value === "African-American")).toMatchObject({ tp: PROPUBLICA["African-American"].tp, fp: PROPUBLICA["African-American"].fp });
    expect(await readFile(r.outputs.junit!, "utf8")).toContain('<failure type="block" message="disparate impact ratio 0.356 &lt; threshold 0.8">');
    expect(r.stepSummary).toMatch(/^## ❌ Fairgate: BLOCK — compas-two-years\.csv$/m);
    expect(existsSync(r.outputs.report!)).toBe(true);
  });

  it("passes a passing file with several attributes and a policy (exit 0), and reports bad input as verdict error (exit 2)", async () => {
    const dir = await mkdtemp(join(tmp, "action-"));
    const fix = join(ROOT, "test/fixtures/cli");
    const r = await runAction({ file: join(fix, "decisions.csv"), sensitive: "group,\nsex", decision: "decision", policy: join(fix, "pass-policy.json"), "out-dir": join(dir, "out") }, dir);
    expect(r.code).toBe(0);
    expect(r.outputs.verdict).toBe("pass");
    const ev = evaluationSchema.parse(JSON.parse(await readFile(r.outputs.evaluation!, "utf8")));
    expect(ev.sensitiveAttributes).toEqual(["group", "sex"]);
    expect(r.outputs.evaluation).toBe(join(dir, "out", "evaluation.json"));
    const bad = await runAction({ file: join(dir, "missing.csv"), sensitive: "group", decision: "decision" }, await mkdtemp(join(tmp, "action-")));
    expect(bad.code).toBe(2);
    expect(bad.outputs).toMatchObject({ verdict: "error", evaluation: "" });
  });
});
