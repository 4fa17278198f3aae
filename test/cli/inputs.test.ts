/**
 * `fairgate check` on awkward inputs and policies, in-process through main() (same
 * code path as the binary, minus the ~1 s process start): every bad input is exit 2
 * with one line naming file and line; policy edge cases follow the gateway's gate.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../scripts/fairgate.js";

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), "fairgate-inputs-"))));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Writes `name` in the temp dir and returns its path. */
async function file(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

/** Runs main() with captured output. */
async function run(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    now: () => new Date("2026-01-01T00:00:00Z"),
  });
  return { code, stdout, stderr };
}

const check = (input: string, ...more: string[]) => ["check", "--input", input, "--sensitive", "g", "--label", "y", "--decision", "d", ...more];

async function expectError(argv: string[], message: string | RegExp) {
  const r = await run(argv);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(typeof message === "string" ? new RegExp(`^fairgate: ${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) : message);
}

/** n rows: groups a/b alternate; a is always selected, b every other time. */
const rowsCsv = (n: number) => ["g,y,d", ...Array.from({ length: n }, (_, i) => `${i % 2 ? "b" : "a"},${i % 3 === 0 ? 1 : 0},${i % 2 === 0 || i % 4 === 1 ? 1 : 0}`)].join("\n");

describe("bad input data → exit 2, one line with file:line", () => {
  it("CSV: a short row, an empty decision, a bad score, a stray quote, an empty file", async () => {
    await expectError(check(await file("short.csv", "g,y,d\na,1,1\nb,1\n")), `${dir}/short.csv:3: row has 2 fields, header has 3; column "d" is field 3`);
    await expectError(check(await file("nodec.csv", "g,y,d\na,1,\n")), `${dir}/nodec.csv:2: column "d" is empty; every row needs a decision`);
    await expectError(
      ["check", "--input", await file("score.csv", "g,p\na,0.4\na,high\n"), "--sensitive", "g", "--score", "p", "--threshold", "0.5"],
      `${dir}/score.csv:3: column "p" value "high" is not a number`,
    );
    await expectError(check(await file("quote.csv", 'g,y,d\na,1,1\na"b,1,1\n')), `${dir}/quote.csv:3: unexpected quote inside an unquoted field`);
    await expectError(check(await file("empty.csv", "")), `${dir}/empty.csv: empty file: no header row`);
  });

  it("NDJSON: invalid JSON, a non-object line, a missing decision, a nested group value", async () => {
    await expectError(check(await file("bad.ndjson", '{"g":"a","y":1,"d":1}\n{"g":"a",\n')), new RegExp(`^fairgate: ${dir}/bad\\.ndjson:2: invalid JSON \\(.+\\)$`));
    await expectError(check(await file("arr.jsonl", '{"g":"a","y":1,"d":1}\n[1,2]\n')), `${dir}/arr.jsonl:2: each line must be a JSON object`);
    await expectError(check(await file("nod.ndjson", '{"g":"a","y":1,"d":1}\n{"g":"a","y":1}\n')), `${dir}/nod.ndjson:2: column "d" is missing`);
    await expectError(check(await file("obj.ndjson", '{"g":{"x":1},"y":1,"d":1}\n')), `${dir}/obj.ndjson:1: column "g" value {"x":1} is not a string, number or boolean`);
  });

  it("policy files: zod paths for an invalid policy, the line of invalid JSON; a directory is not a data file", async () => {
    await expectError(
      check("test/fixtures/cli/decisions.csv", "--policy", "test/fixtures/cli/bad-policy.json"),
      'test/fixtures/cli/bad-policy.json: invalid fairness policy: thresholds.disparateImpactRatio: Too big: expected number to be <=1; (top level): Unrecognized key: "minSampels"',
    );
    await expectError(check(await file("ok.csv", rowsCsv(4)), "--policy", await file("p.json", '{\n  "enabled": true,\n  "thresholds": {,\n}')), new RegExp(`^fairgate: ${dir}/p\\.json:3: invalid JSON`));
    await expectError(check(dir, "--format", "csv"), `${dir}: is a directory, not a data file`);
  });
});

it("--baseline: refuses a file that is not an evaluation, or not JSON, in one line", async () => {
  const data = await file("bl.csv", rowsCsv(20));
  await expectError(check(data, "--baseline", await file("not-eval.json", JSON.stringify({ id: "x", verdict: "pass" }))), `${dir}/not-eval.json: is not an evaluation (expected the evaluation.json of a previous run)`);
  await expectError(check(data, "--baseline", await file("not-json.json", "{")), `${dir}/not-json.json: baseline is not valid JSON`);
});

it("prints usage for --help (exit 0) and on a missing command (exit 2)", async () => {
  const help = await run(["--help"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: fairgate check/);
  const none = await run([]);
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/^fairgate: missing command\n\nUsage: fairgate check/);
});

describe("policy handling follows the gateway's gate", () => {
  it("uses the policy's sensitiveAttribute when no --sensitive is given; accepts the wrapped form", async () => {
    const data = await file("d.csv", rowsCsv(200));
    const policy = await file("wrapped.json", JSON.stringify({ fairnessPolicy: { enabled: true, sensitiveAttribute: "g", thresholds: { disparateImpactRatio: 0.5 } } }));
    const r = await run(["check", "--input", data, "--label", "y", "--decision", "d", "--policy", policy, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const ev = JSON.parse(r.stdout);
    expect(ev).toMatchObject({ verdict: "pass", sensitiveAttribute: "g", sampleSize: 200, createdAt: "2026-01-01T00:00:00.000Z", flowId: "cli", flowKey: "d.csv" });
    expect(ev).not.toHaveProperty("input"); // the output is exactly the evaluation schema
    expect(ev.policy).toEqual({ enabled: true, sensitiveAttribute: "g", thresholds: { disparateImpactRatio: 0.5 }, minSampleSize: 100, windowDays: 7, continuousRecheck: false, onInsufficientSamples: "skip" });
  });

  it("skips (exit 0) or blocks (exit 1) on insufficient samples as the policy says", async () => {
    const data = await file("few.csv", rowsCsv(20));
    const skip = await run(check(data, "--json"));
    expect(skip.code).toBe(0);
    expect(JSON.parse(skip.stdout)).toMatchObject({ verdict: "skip", reason: "insufficient samples" });
    const blocking = await file("strict.json", JSON.stringify({ enabled: true, sensitiveAttribute: "g", thresholds: {}, onInsufficientSamples: "block" }));
    const block = await run(check(data, "--policy", blocking, "--json"));
    expect(block.code).toBe(1);
    expect(JSON.parse(block.stdout).violations).toEqual(["insufficient samples: 20 < minimum sample size 100"]);
  });

  it("a disabled policy skips without reading the input; an inline override is ignored with a note", async () => {
    const off = await file("off.json", JSON.stringify({ enabled: false, sensitiveAttribute: "g", thresholds: {} }));
    const r = await run(check(join(dir, "bad-but-unread.csv"), "--policy", off, "--json"));
    expect(r.code).toBe(2); // the file must still exist
    await file("bad-but-unread.csv", "g,y,d\na,maybe,1\n");
    const skipped = await run(check(join(dir, "bad-but-unread.csv"), "--policy", off, "--json"));
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ verdict: "skip", reason: "fairness policy disabled", groups: [] });
    expect(skipped.stderr).toMatch(/policy is disabled; the input was not read/);

    const withOverride = await file("ovr.json", JSON.stringify({
      enabled: true, sensitiveAttribute: "g", thresholds: { disparateImpactRatio: 0.99 }, minSampleSize: 1,
      override: { reason: "quarterly campaign exception", expiresAt: "2099-01-01T00:00:00Z" },
    }));
    const blocked = await run(check(await file("o.csv", rowsCsv(40)), "--policy", withOverride, "--json"));
    expect(blocked.code).toBe(1);
    expect(JSON.parse(blocked.stdout)).toMatchObject({ verdict: "block", overrideId: null });
    expect(blocked.stderr).toMatch(/inline "override" block is ignored/);
  });

  it("notes when --sensitive replaces the policy's attribute; --out creates the directory", async () => {
    const data = await file("h.csv", "g,h,y,d\n" + Array.from({ length: 120 }, (_, i) => `a,${i % 2 ? "x" : "z"},1,1`).join("\n"));
    const policy = await file("pg.json", JSON.stringify({ enabled: true, sensitiveAttribute: "g", thresholds: { disparateImpactRatio: 0.8 } }));
    const outDir = join(dir, "nested", "out");
    const r = await run(["check", "--input", data, "--sensitive", "h", "--label", "y", "--decision", "d", "--policy", policy, "--out", outDir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/--sensitive h replaces the policy's sensitiveAttribute "g"/);
    expect(JSON.parse(await readFile(join(outDir, "evaluation.json"), "utf8"))).toMatchObject({ sensitiveAttribute: "h", verdict: "pass" });
  });

  it("reads a BOM, CRLF line ends and quoted fields to the same result as plain CSV", async () => {
    const plain = rowsCsv(150);
    const fancy = "\uFEFF" + plain.split("\n").map((l, i) => (i === 0 ? l.replace("g", '"g"') : l.replace(/^(a|b),/, '"$1",'))).join("\r\n") + "\r\n";
    const a = await run(check(await file("plain.csv", plain), "--json"));
    const b = await run(check(await file("fancy.csv", fancy), "--json"));
    expect(b.code).toBe(a.code);
    const strip = (s: string) => ({ ...JSON.parse(s), id: null, flowKey: null });
    expect(strip(b.stdout)).toEqual(strip(a.stdout));
    expect(JSON.parse(a.stdout).sampleSize).toBe(150);
  });

  it("reports rates that are 0/0 as null and explains null metrics", async () => {
    const data = await file("nolabels.csv", "g,y,d\n" + Array.from({ length: 100 }, (_, i) => `${i % 2 ? "a" : "b"},,0`).join("\n"));
    const r = await run(check(data, "--json"));
    const ev = JSON.parse(r.stdout);
    expect(ev.groups[0]).toMatchObject({ selectionRate: 0, tpr: null, fpr: null, fnr: null, ppv: null, labeled: 0 });
    expect(ev.metrics).toEqual({ disparateImpactRatio: null, demographicParityGap: 0, equalOpportunityGap: null });
    expect(ev.metricNotes.equalOpportunityGap).toBe("no outcome labels in the window");
    expect(ev.verdict).toBe("pass"); // a null metric is not checked, exactly as in the gateway
  });
});
