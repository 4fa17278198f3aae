/**
 * `fairgate check --out DIR` writes evaluation.json, report.json and report.html;
 * the report carries the input file's SHA-256 as its dataset hash.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../scripts/fairgate.js";

describe("fairgate check --out", () => {
  it("writes report.json and report.html next to evaluation.json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fairgate-cli-report-"));
    const input = "test/fixtures/cli/decisions.csv";
    const sink = { write: () => true };
    const code = await main(["check", "--input", input, "--policy", "test/fixtures/cli/block-policy.json", "--decision", "decision", "--label", "label", "--out", dir, "--kernels", "reference"], { stdout: sink, stderr: sink });
    expect(code).toBe(1);
    const evaluation = JSON.parse(readFileSync(join(dir, "evaluation.json"), "utf8"));
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
    expect(report).toMatchObject({
      format: "fairgate-report/1",
      evaluation: { id: evaluation.id, verdict: "block", trigger: "cli" },
      dataset: { hash: createHash("sha256").update(readFileSync(input)).digest("hex"), sampleSize: evaluation.sampleSize },
      summary: { verdict: "block" },
    });
    expect(report.metrics.find((m: any) => m.metric === "disparateImpactRatio").tiers[0]).toMatchObject({ tier: "block", threshold: 0.9 });
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toContain("<title>Fairness report: decisions file (BLOCK)</title>");
    expect(html).not.toMatch(/<script/i);
  });
});
