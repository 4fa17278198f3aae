/**
 * `fairgate check --out DIR` writes evaluation.json, report.json and report.html;
 * the report carries the input file's SHA-256 as its dataset hash. With Chromium
 * it also writes report.pdf (the same page printed); without one it says so in
 * one line on stderr and the verdict is unchanged.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
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

  const args = (dir: string) => ["check", "--input", "test/fixtures/cli/decisions.csv", "--policy", "test/fixtures/cli/block-policy.json", "--decision", "decision", "--label", "label", "--out", dir, "--kernels", "reference"];

  // Skipped only on a developer machine without Chromium or poppler-utils; in CI (.ci/run installs both) a missing one fails.
  it.skipIf(!(existsSync("/usr/bin/chromium") && existsSync("/usr/bin/pdftotext")) && !process.env.CI)("writes report.pdf beside report.html when Chromium is there: the report, printed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fairgate-cli-pdf-"));
    let stderr = "";
    const code = await main(args(dir), { stdout: { write: () => true }, stderr: { write: (s: string) => ((stderr += s), true) }, env: {} });
    expect(code).toBe(1);
    expect(stderr).not.toContain("report.pdf");
    const pdf = readFileSync(join(dir, "report.pdf"));
    expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    const text = execFileSync("pdftotext", ["-f", "1", "-l", "1", join(dir, "report.pdf"), "-"], { encoding: "utf8" });
    expect(text).toContain("Fairness check FAILED");
    expect(text).toContain("decisions file");
  });

  it("without Chromium writes everything but report.pdf and says why on stderr; FAIRGATE_CHROMIUM_PATH=off is silent", async () => {
    for (const [env, note] of [
      [{ FAIRGATE_CHROMIUM_PATH: "/nonexistent/chromium" }, "fairgate: report.pdf not written: /nonexistent/chromium is not an executable file"],
      [{ FAIRGATE_CHROMIUM_PATH: "off" }, ""],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), "fairgate-cli-nopdf-"));
      let stderr = "";
      const code = await main(args(dir), { stdout: { write: () => true }, stderr: { write: (s: string) => ((stderr += s), true) }, env });
      expect(code).toBe(1);
      expect(existsSync(join(dir, "report.html"))).toBe(true);
      expect(existsSync(join(dir, "report.pdf"))).toBe(false);
      expect(stderr.split("\n").filter((l) => l.includes("report.pdf"))).toEqual(note ? [note] : []);
    }
  });
});
