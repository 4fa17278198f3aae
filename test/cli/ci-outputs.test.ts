/**
 * `fairgate check --junit / --summary / --fail-on`, in-process through main(). The JUnit
 * XML is validated and read back with fast-xml-parser (a maintained parser, not our
 * code); the file is the 20-row one of sweep.test.ts at threshold 0.2 and 0.6, whose
 * rates are counted by hand there: at 0.2 the DI ratio is 0.8/0.9 = 0.889 (passes 0.8)
 * and the parity gap 0.1 (warning tier 0.05, critical 0.15); at 0.6 the DI ratio is
 * 0.4 (block) and the gap 0.3 (critical, below its block tier 0.35).
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xmlEscape } from "../../scripts/cli/junit.js";
import { METRIC_NAMES } from "../../worker/domain/tiers.js";
import { checkInputs, runMain, SWEEP_A as A, SWEEP_B as B } from "../helpers/cli.js";

const POLICY = {
  enabled: true,
  sensitiveAttribute: "g",
  thresholds: { disparateImpactRatio: 0.8, demographicParityGap: { warning: 0.05, critical: 0.15, block: 0.35 }, counterfactualFlipRate: 0.1 },
  minSampleSize: 10,
  minGroupSize: 5,
};

let dir: string;
let csv: string;
let policy: string;
beforeAll(async () => {
  // Labels (outcome 1 when the score is at least 0.5) give the error-rate metrics a value, so "not gated" differs from "unavailable".
  const y = (s: number) => (s >= 0.5 ? 1 : 0);
  ({ dir, csv, policy } = await checkInputs("fairgate-ci-", `g,score,y\n${A.flatMap((a, i) => [`A,${a},${y(a)}`, `B,${B[i]},${y(B[i]!)}`]).join("\n")}\n`, POLICY));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const run = (argv: string[], env: Record<string, string> = {}) => runMain(argv, { env });

interface TestCase {
  "@_classname": string;
  "@_name": string;
  failure?: { "@_message": string; "@_type": string; "#text"?: string };
  skipped?: { "@_message": string };
}

/** Validates `xml` as well-formed XML and returns its testsuite with testcases as an array. */
function readJunit(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === "testcase" || name === "testsuite" || name === "property" }).parse(xml);
  const suite = doc.testsuites.testsuite[0];
  return { root: doc.testsuites, suite, cases: suite.testcase as TestCase[] };
}

const scored = (t: string, ...more: string[]) => ["check", "--input", csv, "--policy", policy, "--label", "y", "--score", "score", "--threshold", t, ...more];

describe("--junit", () => {
  it("writes one testcase per slice × metric: failure for the block, skipped for not gated / unavailable", async () => {
    const junit = join(dir, "block.xml");
    const r = await run(scored("0.6", "--junit", junit));
    expect(r.code).toBe(1);
    const { root, suite, cases } = readJunit(await readFile(junit, "utf8"));
    // Every metric of the catalogue for the one slice, plus the verdict case.
    expect(cases).toHaveLength(METRIC_NAMES.length + 1);
    expect(cases.filter((c) => c["@_classname"] === "g").map((c) => c["@_name"])).toEqual([
      "disparateImpactRatio", "demographicParityGap", "equalOpportunityGap", "equalizedOddsGap",
      "predictiveParityGap", "treatmentEqualityGap", "calibrationGap", "counterfactualFlipRate", "errorRateGap", "errorRateToOverall",
    ]);
    const by = (n: string) => cases.find((c) => c["@_classname"] === "g" && c["@_name"] === n)!;
    expect(by("disparateImpactRatio").failure!["@_message"]).toBe("disparate impact ratio 0.400 < threshold 0.8");
    expect(by("disparateImpactRatio").failure!["@_type"]).toBe("block");
    // The gap is critical, which does not fail under the default --fail-on block.
    expect(by("demographicParityGap").failure).toBeUndefined();
    expect(by("demographicParityGap").skipped).toBeUndefined();
    // Gated but without a value in the CLI (no decision flow to re-run); and a metric with a value but no threshold.
    expect(by("counterfactualFlipRate").skipped!["@_message"]).toMatch(/^unavailable: not available in fairgate check/);
    expect(by("predictiveParityGap").skipped!["@_message"]).toMatch(/^not gated/);
    const verdict = cases.find((c) => c["@_classname"] === "fairgate")!;
    expect(verdict.failure!["@_message"]).toBe("BLOCK");
    // The suite's timestamp as the JUnit schema types it (ISO 8601 to the second, no zone, no fraction).
    expect(suite["@_timestamp"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    // Counts agree with the cases, on the suite and the root.
    for (const s of [root, suite]) {
      expect(Number(s["@_tests"])).toBe(METRIC_NAMES.length + 1);
      expect(Number(s["@_failures"])).toBe(2);
      expect(Number(s["@_skipped"])).toBe(cases.filter((c) => c.skipped).length);
    }
  });

  it("with two attributes has a case per metric of each attribute and of their intersection", async () => {
    const two = join(dir, "two.csv");
    await writeFile(two, `g,h,d\n${Array.from({ length: 40 }, (_, i) => `${i % 2 ? "A" : "B"},${i % 4 < 2 ? "p" : "q"},${i % 3 ? 1 : 0}`).join("\n")}\n`);
    const junit = join(dir, "two.xml");
    await run(["check", "--input", two, "--sensitive", "g", "--sensitive", "h", "--decision", "d", "--junit", junit]);
    const { cases } = readJunit(await readFile(junit, "utf8"));
    // The metric catalogue, per slice in the gateway's order (each attribute, then "g|h"), then the verdict.
    expect(cases.map((c) => `${c["@_classname"]}/${c["@_name"]}`)).toEqual([
      ...["g", "h", "g|h"].flatMap((slice) => METRIC_NAMES.map((m) => `${slice}/${m}`)),
      "fairgate/verdict",
    ]);
  });

  it("follows --fail-on: the warning-tier gap fails only under warning, the exit status with it", async () => {
    const results: Record<string, { code: number; failures: string[] }> = {};
    for (const failOn of ["block", "critical", "warning"]) {
      const junit = join(dir, `pass-${failOn}.xml`);
      const r = await run(scored("0.2", "--junit", junit, "--fail-on", failOn));
      const { cases } = readJunit(await readFile(junit, "utf8"));
      results[failOn] = { code: r.code, failures: cases.filter((c) => c.failure).map((c) => `${c["@_classname"]}/${c["@_name"]}`) };
    }
    expect(results).toEqual({
      block: { code: 0, failures: [] },
      critical: { code: 0, failures: [] },
      warning: { code: 1, failures: ["g/demographicParityGap", "fairgate/verdict"] },
    });
    // At 0.6 the gap is critical: --fail-on critical fails it as well as the block.
    const junit = join(dir, "crit.xml");
    const r = await run(scored("0.6", "--junit", junit, "--fail-on", "critical"));
    expect(r.code).toBe(1);
    const gap = readJunit(await readFile(junit, "utf8")).cases.find((c) => c["@_name"] === "demographicParityGap")!;
    expect(gap.failure).toMatchObject({ "@_type": "critical", "@_message": "demographic parity gap 0.300 > threshold 0.15 (critical)" });
  });

  it("escapes tab, CR and LF in attribute values as character references (a parser would normalise them to spaces)", () => {
    // XML 1.0 §3.3.3: literal tab, CR and LF in an attribute value become spaces; &#9; &#13; &#10; survive.
    expect(xmlEscape("a\tb\rc\nd")).toBe("a&#9;b&#13;c&#10;d");
    const xml = `<x v="${xmlEscape("a\tb\r\nc")}"/>`;
    expect(xml).toBe('<x v="a&#9;b&#13;&#10;c"/>');
    expect(new XMLParser({ ignoreAttributes: false, htmlEntities: true }).parse(xml).x["@_v"]).toBe("a\tb\r\nc");
  });

  it("escapes slice names and texts (valid XML for any column name)", async () => {
    const nasty = join(dir, "nasty.csv");
    const col = `g<&>"'\u0001]]>`;
    await writeFile(nasty, `"${col.replace(/"/g, '""')}",d\n${Array.from({ length: 20 }, (_, i) => `${i % 2 ? "x<y" : "a&b"},${i % 3 === 0 ? 1 : 0}`).join("\n")}\n`);
    const junit = join(dir, "nasty.xml");
    const r = await run(["check", "--input", nasty, "--sensitive", col, "--decision", "d", "--junit", junit, "--summary", join(dir, "nasty.md")]);
    expect(r.code).toBeLessThan(2);
    const { cases } = readJunit(await readFile(junit, "utf8"));
    // The control character is not allowed in XML 1.0: replaced; everything else survives the round trip.
    expect(cases[0]!["@_classname"]).toBe(`g<&>"'\uFFFD]]>`);
    const md = await readFile(join(dir, "nasty.md"), "utf8");
    expect(md).toContain("x\\<y");
    expect(md).not.toMatch(/[^\\]<y/);
  });

  it("a skip on insufficient evidence fails no case under --fail-on warning, as it fails no run (the XML agrees with the exit status)", async () => {
    // Confident rule, 2,000 rows per group, selected 1,000 (A) and 900 (B): the DI ratio 0.9's interval straddles its
    // threshold 0.9 (verdict skip, insufficient evidence), while the parity gap 0.05 is wholly below its block tier and
    // above its warning tier 0.02 (a warning finding). A skip never fails the run, so no case may fail either.
    const many = join(dir, "many.csv");
    await writeFile(many, `g,d\n${Array.from({ length: 4000 }, (_, i) => (i < 2000 ? `A,${i < 1000 ? 1 : 0}` : `B,${i < 2900 ? 1 : 0}`)).join("\n")}\n`);
    const pol = join(dir, "skip-policy.json");
    await writeFile(pol, JSON.stringify({ enabled: true, sensitiveAttribute: "g", thresholds: { disparateImpactRatio: 0.9, demographicParityGap: { warning: 0.02, block: 0.35 } }, minSampleSize: 10, minGroupSize: 5, decisionRule: "confident" }));
    const junit = join(dir, "skip-warning.xml");
    const r = await run(["check", "--input", many, "--policy", pol, "--decision", "d", "--junit", junit, "--fail-on", "warning", "--json"]);
    const e = JSON.parse(r.stdout);
    expect(e.verdict).toBe("skip");
    expect(e.warnings.map((w: { tier: string; metric: string }) => `${w.tier}:${w.metric}`)).toEqual(["warning:demographicParityGap"]);
    expect(r.code).toBe(0);
    const { cases } = readJunit(await readFile(junit, "utf8"));
    expect(cases.find((c) => c["@_classname"] === "fairgate")!.skipped!["@_message"]).toBe("insufficient evidence");
    expect(cases.filter((c) => c.failure).map((c) => `${c["@_classname"]}/${c["@_name"]}`)).toEqual([]);
  });

  it("a too-small sample that skips leaves every metric skipped and the run green", async () => {
    const tiny = join(dir, "tiny.csv");
    await writeFile(tiny, "g,d\nA,1\nB,0\n");
    const junit = join(dir, "tiny.xml");
    const r = await run(["check", "--input", tiny, "--sensitive", "g", "--decision", "d", "--junit", junit]);
    expect(r.code).toBe(0);
    const { cases } = readJunit(await readFile(junit, "utf8"));
    expect(cases.every((c) => c.skipped && !c.failure)).toBe(true);
    expect(cases[0]!.skipped!["@_message"]).toBe("not judged: insufficient samples");
  });
});

describe("--summary", () => {
  it("writes Markdown (verdict, violations, group table) and appends it to $GITHUB_STEP_SUMMARY", async () => {
    const step = join(dir, "step-summary.md");
    await writeFile(step, "earlier step\n");
    const summary = join(dir, "summary.md");
    const r = await run(scored("0.6", "--summary", summary), { GITHUB_STEP_SUMMARY: step });
    expect(r.code).toBe(1);
    const md = await readFile(summary, "utf8");
    expect(md).toMatch(/^## ❌ Fairgate: BLOCK — scores\.csv$/m);
    expect(md).toContain("- disparate impact ratio 0.400 \\< threshold 0.8");
    expect(md).toContain("| A | 10 | 5 | 0.500 |");
    expect(md).toContain("| B | 10 | 2 | 0.200 |");
    expect(md).toMatch(/\| demographic parity gap \| 0\.300 \| .* \| warning 0\.05, critical 0\.15, block 0\.35 \| critical \|/);
    expect(await readFile(step, "utf8")).toBe(`earlier step\n${md}\n`);
  });

  it("without $GITHUB_STEP_SUMMARY writes only the file; a bad --fail-on is a usage error", async () => {
    const summary = join(dir, "plain.md");
    expect((await run(scored("0.2", "--summary", summary))).code).toBe(0);
    expect(await readFile(summary, "utf8")).toMatch(/\*\*Verdict: PASS\*\*/);
    const bad = await run(scored("0.2", "--fail-on", "info"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fail-on must be block, critical or warning, not "info"/);
  });
});
