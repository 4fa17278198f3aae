#!/usr/bin/env node
/**
 * @module scripts/action/run
 * The GitHub Action's step (action.yml): turns the action's inputs (INPUT_* variables,
 * as action.yml passes them) into one `fairgate check` run of the packaged CLI
 * (dist/cli/bin/fairgate.mjs, built by `npm run pack:cli` — the same entry the npm
 * tarball installs), then writes the step outputs to $GITHUB_OUTPUT: verdict,
 * evaluation (the evaluation.json path), junit, summary and report. The Markdown
 * summary also lands in $GITHUB_STEP_SUMMARY (the CLI appends it there).
 *
 * Plain JavaScript with no imports beyond node:, because it runs before anything is
 * installed. Exits with the CLI's status (0 pass/skip, 1 fail, 2 bad usage or input),
 * so a blocked model fails the job.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const env = process.env;
const input = (name) => (env[`INPUT_${name}`] ?? "").trim();
const fail = (message) => {
  process.stderr.write(`fairgate action: ${message}\n`);
  process.exit(2);
};

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const cli = env.FAIRGATE_CLI || join(repo, "dist/cli/bin/fairgate.mjs");
if (!existsSync(cli)) fail(`the packaged CLI is missing at ${cli}; run \`npm run pack:cli\` in ${repo}`);

const file = input("FILE");
if (!file) fail("the `file` input is required");
const outDir = resolve(input("OUT_DIR") || join(env.RUNNER_TEMP || ".", "fairgate"));
mkdirSync(outDir, { recursive: true });
const junit = join(outDir, "junit.xml");
const summary = join(outDir, "summary.md");

const args = ["check", "--input", file, "--out", outDir, "--junit", junit, "--summary", summary];
// Several sensitive attributes: comma- or newline-separated, each becomes one --sensitive.
for (const s of input("SENSITIVE").split(/[,\n]/).map((x) => x.trim()).filter(Boolean)) args.push("--sensitive", s);
const flags = [
  ["FORMAT", "--format"],
  ["DECISION", "--decision"],
  ["LABEL", "--label"],
  ["SCORE", "--score"],
  ["THRESHOLD", "--threshold"],
  ["SCORING_RATE", "--scoring-rate"],
  ["SWEEP", "--sweep"],
  ["POLICY", "--policy"],
  ["BASELINE", "--baseline"],
  ["FAIL_ON", "--fail-on"],
];
for (const [name, flag] of flags) if (input(name)) args.push(flag, input(name));

const run = spawnSync(process.execPath, [cli, ...args], { stdio: "inherit", env });
const status = run.status ?? 2;

// The verdict as the CLI wrote it; absent (bad usage or input) it is "error".
const evaluation = join(outDir, "evaluation.json");
let verdict = "error";
if (status !== 2 && existsSync(evaluation)) {
  const parsed = JSON.parse(readFileSync(evaluation, "utf8"));
  if (["pass", "skip", "block", "bypass"].includes(parsed?.verdict)) verdict = parsed.verdict;
}
const outputs = { verdict, evaluation: verdict === "error" ? "" : evaluation, junit: existsSync(junit) ? junit : "", summary: existsSync(summary) ? summary : "", report: existsSync(join(outDir, "report.html")) ? join(outDir, "report.html") : "" };
if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, Object.entries(outputs).map(([k, v]) => `${k}=${v}\n`).join(""));
else for (const [k, v] of Object.entries(outputs)) process.stdout.write(`${k}=${v}\n`);
process.exit(status);
