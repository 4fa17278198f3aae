/**
 * `fairgate check` gates the slice error rate like the gateway: errorRateGap and
 * errorRateToOverall in the evaluation, per-group error rate and difference to overall
 * in evaluation.json, report.json and report.html — on the COMPAS extract, against the
 * error rates computed from ProPublica's published counts. In-process through main().
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMain } from "../helpers/cli.js";
import { PROPUBLICA, writeCompasCsv } from "../helpers/compas.js";

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), "fairgate-err-"))));
afterAll(() => rm(dir, { recursive: true, force: true }));

const run = (argv: string[]) => runMain(argv, { now: () => new Date("2026-01-01T00:00:00Z") });

const er = (r: { tp: number; fp: number; tn: number; fn: number }) => (r.fp + r.fn) / (r.tp + r.fp + r.tn + r.fn);

describe("fairgate check: slice error rate", () => {
  it("COMPAS by race: the published error rates, their difference to overall, and a block on errorRateToOverall", async () => {
    const policy = join(dir, "policy.json");
    // minGroupSize 1: every race is pooled in the overall, which is then ProPublica's "all" row.
    await writeFile(policy, JSON.stringify({ enabled: true, sensitiveAttribute: "race", minSampleSize: 100, minGroupSize: 1, thresholds: { errorRateToOverall: 0.01, errorRateGap: 0.9 } }));
    const out = join(dir, "out");
    const r = await run(["check", "--input", writeCompasCsv(dir), "--sensitive", "race", "--label", "two_year_recid", "--score", "decile_score", "--threshold", "5", "--policy", policy, "--out", out, "--json"]);
    const e = JSON.parse(r.stdout);
    const res = e.results[0];
    expect(res.overall.errorRate).toBeCloseTo(er(PROPUBLICA.all), 12);
    const aa = res.groups.find((g: { value: string }) => g.value === "African-American");
    expect(aa.errorRate).toBeCloseTo(er(PROPUBLICA["African-American"]), 12);
    expect(aa.toOverall.errorRate).toBeCloseTo(er(PROPUBLICA["African-American"]) - er(PROPUBLICA.all), 12);
    // The largest group error rate over all races, minus 34.63%, is past 0.01: a block.
    const top = Math.max(...res.groups.map((g: { errorRate: number }) => g.errorRate));
    expect(res.metrics.errorRateToOverall.value).toBeCloseTo(top - er(PROPUBLICA.all), 12);
    expect(res.metrics.errorRateToOverall.status).toBe("block");
    expect(res.metrics.errorRateGap.status).toBe("pass");
    expect(e.verdict).toBe("block");
    expect(r.code).toBe(1);
    const json = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(JSON.stringify(json)).toContain('"errorRateToOverall"');
    const html = await readFile(join(out, "report.html"), "utf8");
    expect(html).toContain("error rate above overall");
    // African-American 36.17%, +1.5 pp against the overall 34.63% (hand: 36.174 − 34.627 = 1.547).
    expect(html).toMatch(/African-American<\/td>(<td[^>]*>[^<]*<\/td>){7}<td class="num">36\.2%<\/td><td class="num">\+1\.5 pp<\/td>/);
  });
});
