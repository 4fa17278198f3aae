/**
 * `fairgate check --decision-rule/--interval-method/--multiplicity/--state`: the flags
 * replace the policy's settings, and --state carries the confidence sequences from one
 * run to the next (each run's file is the new decisions; the file is created when
 * missing and replaced whole). In-process through main(), as inputs.test.ts.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMain } from "../helpers/cli.js";

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), "fairgate-seq-"))));
afterAll(() => rm(dir, { recursive: true, force: true }));

const run = (argv: string[]) => runMain(argv, { now: () => new Date("2026-01-01T00:00:00Z") });

/** `n` rows per group: a selected `sa` times, b `sb` times. */
async function batch(name: string, n: number, sa: number, sb: number) {
  const rows = ["g,d"];
  for (let i = 0; i < n; i++) rows.push(`a,${i < sa ? 1 : 0}`, `b,${i < sb ? 1 : 0}`);
  const p = join(dir, name);
  await writeFile(p, `${rows.join("\n")}\n`);
  return p;
}

describe("fairgate check sequential flags", () => {
  it("carries the sequence across runs and blocks once it is wholly beyond", async () => {
    const policy = join(dir, "policy.json");
    await writeFile(policy, JSON.stringify({ enabled: true, sensitiveAttribute: "g", minSampleSize: 10, thresholds: { demographicParityGap: 0.2 } }));
    const state = join(dir, "state.json");
    const argv = (input: string) => ["check", "--input", input, "--sensitive", "g", "--decision", "d", "--policy", policy, "--decision-rule", "sequential", "--interval-method", "analytic", "--state", state, "--json"];
    const one = await run(argv(await batch("one.csv", 100, 50, 50)));
    expect(one.code).toBe(0);
    const e1 = JSON.parse(one.stdout);
    expect(e1.decisionRule).toBe("sequential");
    expect(e1.results[0].metrics.demographicParityGap.sequence).toMatchObject({ looks: 1, persisted: true });
    const s1 = JSON.parse(await readFile(state, "utf8"));
    expect(s1).toMatchObject({ format: "fairgate-sequential-state/1", evaluationId: e1.id, states: [{ slice: "g", metric: "demographicParityGap", looks: 1 }] });

    const two = await run(argv(await batch("two.csv", 2000, 2000, 0)));
    const e2 = JSON.parse(two.stdout);
    const seq = e2.results[0].metrics.demographicParityGap.sequence;
    expect(seq.looks).toBe(2);
    expect(seq.groups.map((g: { n: number; selected: number }) => [g.n, g.selected])).toEqual([[2100, 2050], [2100, 50]]);
    expect(e2.verdict).toBe("block");
    expect(two.code).toBe(1);
    expect(JSON.parse(await readFile(state, "utf8")).states[0].looks).toBe(2);
    // Replaced by rename: no temporary file is left beside it.
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
  it("the allocation of α over groups is kept in the state file: a group admitted later joins at its own share, earlier ones keep theirs", async () => {
    const policy = join(dir, "alloc-policy.json");
    await writeFile(policy, JSON.stringify({ enabled: true, sensitiveAttribute: "g", minSampleSize: 10, minGroupSize: 30, thresholds: { demographicParityGap: 0.5 } }));
    const state = join(dir, "alloc-state.json");
    const csv = async (name: string, counts: Record<string, number>) => {
      const rows = ["g,d"];
      for (const [g, n] of Object.entries(counts)) for (let i = 0; i < n; i++) rows.push(`${g},${i % 2}`);
      const p = join(dir, name);
      await writeFile(p, `${rows.join("\n")}\n`);
      return p;
    };
    const argv = (input: string) => ["check", "--input", input, "--sensitive", "g", "--decision", "d", "--policy", policy, "--decision-rule", "sequential", "--state", state, "--json"];
    // Run 1: a and b pass minGroupSize 30, c (10 rows) does not — a and b are the first cohort, 0.9 / 2 each.
    expect((await run(argv(await csv("alloc1.csv", { a: 100, b: 100, c: 10 })))).code).toBe(0);
    const first = JSON.parse(await readFile(state, "utf8")).states[0].allocation;
    expect(first).toEqual([{ value: "a", cohort: 1, look: 1, weight: 0.45 }, { value: "b", cohort: 1, look: 1, weight: 0.45 }]);
    // Run 2: c reaches 50 — the second cohort, 0.1 · 6/π² = 0.0607927; a and b unchanged.
    const two = await run(argv(await csv("alloc2.csv", { a: 100, b: 100, c: 40 })));
    const kept = JSON.parse(await readFile(state, "utf8")).states[0].allocation;
    expect(kept.slice(0, 2)).toEqual(first);
    expect(kept[2]).toEqual({ value: "c", cohort: 2, look: 2, weight: expect.closeTo(0.0607927, 7) });
    expect(JSON.parse(two.stdout).results[0].metrics.demographicParityGap.sequence.allocation).toEqual(kept);
    // A state file written before allocations: read, and allocated at its next look (the 4th) as a first cohort of all three.
    const old = join(dir, "old-state.json");
    const g = (value: string, n: number) => ({ value, n, selected: n / 2, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 });
    const body = { slice: "g", metric: "demographicParityGap", looks: 3, since: "2025-12-01T00:00:00.000Z", through: "2025-12-04T00:00:00.000Z", groups: [g("a", 300), g("b", 300), g("c", 40)] };
    await writeFile(old, JSON.stringify({ format: "fairgate-sequential-state/1", updatedAt: "2025-12-04T00:00:00.000Z", evaluationId: "e0", states: [body] }));
    const up = await run([...argv(await csv("alloc3.csv", { a: 100, b: 100 })).slice(0, -3), "--state", old, "--json"]);
    expect(up.code).toBe(0);
    const upgraded = JSON.parse(await readFile(old, "utf8")).states[0];
    expect(upgraded.looks).toBe(4);
    expect(upgraded.allocation).toEqual(["a", "b", "c"].map((value) => ({ value, cohort: 1, look: 4, weight: expect.closeTo(0.3, 12) })));
  });
  it("a calibration-gap sequence carries its bins in the state file from run to run", async () => {
    const policy = join(dir, "cal-policy.json");
    await writeFile(policy, JSON.stringify({ enabled: true, sensitiveAttribute: "g", minSampleSize: 10, minGroupSize: 1, thresholds: { calibrationGap: 0.5 } }));
    const state = join(dir, "cal-state.json");
    // Scores 0.25 and 0.75 (bins 2 and 7), one outcome in two: 40 labeled scored rows per group and run.
    const file = async (name: string) => {
      const rows = ["g,s,y"];
      for (let i = 0; i < 20; i++) for (const g of ["a", "b"]) rows.push(`${g},0.25,${i % 2}`, `${g},0.75,${i % 2}`);
      const p = join(dir, name);
      await writeFile(p, `${rows.join("\n")}\n`);
      return p;
    };
    const argv = (input: string) => ["check", "--input", input, "--sensitive", "g", "--score", "s", "--threshold", "0.5", "--label", "y", "--policy", policy, "--decision-rule", "sequential", "--state", state, "--json"];
    const one = JSON.parse((await run(argv(await file("c1.csv")))).stdout);
    expect(one.results[0].metrics.calibrationGap.sequence.calibration.map((c: { count: number[] }) => [c.count[2], c.count[7]])).toEqual([[20, 20], [20, 20]]);
    const two = JSON.parse((await run(argv(await file("c2.csv")))).stdout);
    const seq = two.results[0].metrics.calibrationGap.sequence;
    expect(seq.looks).toBe(2);
    expect(seq.calibration.map((c: { count: number[]; positives: number[] }) => [c.count[2], c.count[7], c.positives[2]])).toEqual([[40, 40, 20], [40, 40, 20]]);
    expect(two.results[0].metrics.calibrationGap.intervalMethod).toBe("confidence-sequence");
    const kept = JSON.parse(await readFile(state, "utf8")).states.find((x: { metric: string }) => x.metric === "calibrationGap");
    expect(kept.calibration).toEqual(seq.calibration);
  });
  it("--multiplicity and --interval-method replace the policy's", async () => {
    const input = await batch("m.csv", 100, 60, 40);
    const r = await run(["check", "--input", input, "--sensitive", "g", "--decision", "d", "--decision-rule", "confident", "--interval-method", "analytic", "--multiplicity", "bh", "--json"]);
    const e = JSON.parse(r.stdout);
    expect(e.multiplicity).toEqual({ method: "bh", familySize: 1, alpha: 0.05 });
    expect(e.intervals.aggregates).toBe("analytic");
  });
  it("refuses bad values and --state without the sequential rule", async () => {
    const input = await batch("x.csv", 20, 10, 10);
    const base = ["check", "--input", input, "--sensitive", "g", "--decision", "d"];
    expect((await run([...base, "--decision-rule", "eventually"])).stderr).toMatch(/--decision-rule must be point, confident or sequential/);
    expect((await run([...base, "--state", join(dir, "s.json"), "--decision-rule", "point"])).code).toBe(2);
    const r = await run([...base, "--state", join(dir, "s.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--state only applies with the sequential decision rule/);
    await writeFile(join(dir, "bad.json"), "{}");
    const bad = await run([...base, "--decision-rule", "sequential", "--state", join(dir, "bad.json")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a fairgate-sequential-state\/1 file/);
  });
});
