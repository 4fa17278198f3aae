/**
 * One product, one verdict: the same rows through `fairgate check` (the real CLI as a
 * child process) and through the gateway (in-process app, real libSQL files and Wasm:
 * bulk NDJSON load, then the publish gate) give the same evaluation — verdict, reason,
 * violations, warnings, insufficient evidence and every slice in `results[]`, intervals
 * included (same policy seed, same kernels).
 *
 * Left out of the comparison because they differ by design: ids and times, trigger,
 * flowId/flowKey/version (the CLI has no stored flow), window (the CLI's is the whole
 * file), replay (none on either side here), the counterfactual flip rate's note
 * (the gateway says it was not requested; the CLI has no flow to re-run), and `drivers`
 * (the gateway replays the flow version's parts on a breach; the CLI has no flow), and
 * `selection` (the CLI names the file's decision or score column; the gateway's traces carry
 * their selection).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Evaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, bulk, createFlow, createTenant, PLATINUM_FLOW, type TenantFixture } from "../integration/_support.js";

const ROOT = resolve(import.meta.dirname, "../..");
const THRESHOLD = 0.5;

/** One decision: sensitive values (null: not recorded), outcome (null: unknown), score. */
interface Row {
  sex: string | null;
  age: string | null;
  label: 0 | 1 | null;
  score: number;
}

/**
 * `n` rows of group (sex, age) with selection rate `sr`: the first round(n·sr) rows are
 * selected (score 0.75, else 0.25); every third row has no outcome, the others alternate.
 */
function rows(n: number, sr: number, sex: string | null, age: string | null): Row[] {
  const picked = Math.round(n * sr);
  return Array.from({ length: n }, (_, i) => ({ sex, age, label: i % 3 === 2 ? null : ((i % 2) as 0 | 1), score: i < picked ? 0.75 : 0.25 }));
}

interface Case {
  name: string;
  policy: Record<string, unknown>;
  data: Row[];
}

const base = { enabled: true, sensitiveAttributes: ["sex", "age"], minSampleSize: 100 };
const CASES: Case[] = [
  {
    // sex is recorded on 60 rows only (< minSampleSize 100), age on all 300, where it is fair.
    // Merging per-slice verdicts would say pass; the gateway's one verdict is skip.
    name: "one slice passes, the primary has too few samples",
    policy: { ...base, thresholds: { disparateImpactRatio: 0.8 } },
    data: [...rows(30, 0.5, "F", "young"), ...rows(30, 0.5, "M", "old"), ...rows(120, 0.5, null, "young"), ...rows(120, 0.5, null, "old")],
  },
  {
    // Both attributes pass; the intersection's "old" cells (20 each) fall below minGroupSize 30.
    name: "intersection cells below minGroupSize",
    policy: { ...base, thresholds: { disparateImpactRatio: 0.8, demographicParityGap: 0.2 } },
    data: [...rows(150, 0.5, "F", "young"), ...rows(150, 0.5, "M", "young"), ...rows(20, 0.5, "F", "old"), ...rows(20, 0.45, "M", "old"), ...rows(7, 1, "F", null)],
  },
  {
    // Confident rule: sex (420 a group, equal rates) passes with its interval clear of 0.8;
    // age's ratio 0.8 on 40 "old" rows straddles 0.8: the data cannot tell, so skip.
    name: "one slice passes, another's interval straddles (confident rule)",
    policy: { ...base, decisionRule: "confident", thresholds: { disparateImpactRatio: 0.8 } },
    data: [...rows(400, 0.5, "F", "young"), ...rows(400, 0.5, "M", "young"), ...rows(20, 0.4, "F", "old"), ...rows(20, 0.4, "M", "old")],
  },
  {
    // age blocks (rates .8 vs .2), sex is fair: one blocking slice blocks the evaluation.
    name: "one slice blocks",
    policy: { ...base, thresholds: { disparateImpactRatio: 0.8 }, maxRegression: { demographicParityGap: 0.01 } },
    data: [...rows(60, 0.8, "F", "young"), ...rows(60, 0.8, "M", "young"), ...rows(60, 0.2, "F", "old"), ...rows(60, 0.2, "M", "old")],
  },
];

const cell = (v: string | number | null) => (v === null ? "" : String(v));
const csvOf = (data: Row[]) => ["sex,age,label,score", ...data.map((r) => [r.sex, r.age, r.label, r.score].map(cell).join(","))].join("\n") + "\n";

/** Runs `fairgate check --json` on the case's rows and policy; returns exit code and evaluation. */
async function viaCli(dir: string, c: Case, i: number): Promise<{ code: number; evaluation: Evaluation; stderr: string }> {
  const input = join(dir, `case-${i}.csv`);
  const policy = join(dir, `case-${i}.policy.json`);
  await writeFile(input, csvOf(c.data));
  await writeFile(policy, JSON.stringify(c.policy));
  const argv = ["--import", "tsx", "scripts/fairgate.ts", "check", "--input", input, "--sensitive", "sex", "--sensitive", "age"];
  argv.push("--label", "label", "--score", "score", "--threshold", String(THRESHOLD), "--policy", policy, "--json");
  return new Promise((done, fail) =>
    execFile(process.execPath, argv, { cwd: ROOT, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: unknown }).code) : 0;
      if (code === 2 || !stdout) return fail(new Error(`fairgate check failed (${code}): ${stderr}`));
      done({ code, evaluation: evaluationSchema.parse(JSON.parse(stdout)), stderr });
    }),
  );
}

/** The same rows through the gateway: bulk load, then publish the (already active) flow. */
async function viaGateway(api: Api, t: TenantFixture, c: Case, i: number): Promise<{ status: number; evaluation: Evaluation }> {
  const key = `same-verdict-${i}`;
  const flowId = await createFlow(api, t.keys.publisher, key, PLATINUM_FLOW);
  // Activate version 1 under a disabled policy first, so the measured publish re-publishes
  // the active version: no candidate replay, exactly the observed slices the CLI sees.
  const off = await api.request("PUT", "/api/v1/tenant-settings", { token: t.keys.admin, body: { fairnessPolicy: { enabled: false, sensitiveAttribute: "sex", thresholds: {} } } });
  expect(off.status, JSON.stringify(off.body)).toBe(200);
  expect((await api.request("POST", "/api/v1/decision-flows/publish", { token: t.keys.publisher, body: { id: flowId } })).status).toBe(200);

  const on = await api.request("PUT", "/api/v1/tenant-settings", { token: t.keys.admin, body: { fairnessPolicy: c.policy } });
  expect(on.status, JSON.stringify(on.body)).toBe(200);
  const lines = c.data.map((r, n) => ({
    decisionFlowKey: key,
    customerId: `c${i}-${n}`,
    attributes: { ...(r.sex === null ? {} : { sex: r.sex }), ...(r.age === null ? {} : { age: r.age }) },
    selected: r.score >= THRESHOLD,
    score: r.score,
    ...(r.label === null ? {} : { converted: r.label === 1 }),
  }));
  const loaded = await bulk(api, t.keys.operator, lines);
  expect(loaded.status, JSON.stringify(loaded.body)).toBe(201);
  expect(loaded.body.accepted).toBe(c.data.length);

  const res = await api.request("POST", "/api/v1/decision-flows/publish", { token: t.keys.publisher, body: { id: flowId } });
  expect([200, 422], JSON.stringify(res.body)).toContain(res.status);
  const id = res.status === 200 ? res.body.evaluation.id : res.body.evaluationId;
  const stored = await api.request("GET", `/api/v1/fairness-evaluations/${id}`, { token: t.keys.auditor });
  expect(stored.status).toBe(200);
  return { status: res.status, evaluation: evaluationSchema.parse(stored.body) };
}

/** What must agree: the evaluation minus the fields that differ by design (module comment). */
function comparable(e: Evaluation) {
  const { id: _id, createdAt: _at, trigger: _t, flowId: _f, flowKey: _k, version: _v, window: _w, replay: _r, drivers: _d, selection: _s, ...rest } = e;
  const results = rest.results.map((r) => ({ ...r, metrics: { ...r.metrics, counterfactualFlipRate: { ...r.metrics.counterfactualFlipRate, note: "(differs by design)" } } }));
  return { ...rest, results };
}

let app: InProcessApp;
let dir: string;
let outcomes: { cli: Awaited<ReturnType<typeof viaCli>>; gateway: Awaited<ReturnType<typeof viaGateway>> }[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fairgate-same-verdict-"));
  app = await createInProcessApp();
  const api = inProcessClient(app);
  const tenant = await createTenant(app, "same-verdict");
  // The CLI runs start first and run while the gateway cases go one by one (the policy is tenant-wide).
  const cli = CASES.map((c, i) => viaCli(dir, c, i));
  const gateway: Awaited<ReturnType<typeof viaGateway>>[] = [];
  for (const [i, c] of CASES.entries()) gateway.push(await viaGateway(api, tenant, c, i));
  const cliDone = await Promise.all(cli);
  outcomes = CASES.map((_, i) => ({ cli: cliDone[i]!, gateway: gateway[i]! }));
}, 120_000);
afterAll(async () => {
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("fairgate check and the gateway give one evaluation on the same rows", () => {
  for (const [i, c] of CASES.entries()) {
    it(c.name, () => {
      const { cli, gateway } = outcomes[i]!;
      expect(cli.evaluation.trigger).toBe("cli");
      expect(gateway.evaluation.trigger).toBe("publish");
      expect(cli.evaluation.results.map((r) => [r.slice, r.source])).toEqual([["sex", "observed"], ["age", "observed"], ["sex|age", "observed"]]);
      expect(comparable(cli.evaluation)).toEqual(comparable(gateway.evaluation));
      // Exit status and HTTP status follow the one verdict.
      expect(cli.code).toBe(cli.evaluation.verdict === "block" ? 1 : 0);
      expect(gateway.status).toBe(gateway.evaluation.verdict === "block" ? 422 : 200);
    });
  }

  it("the cases cover what they claim (so the comparison above cannot pass vacuously)", () => {
    const [few, small, straddle, block] = outcomes.map((o) => o.cli.evaluation) as [Evaluation, Evaluation, Evaluation, Evaluation];
    const status = (e: Evaluation, slice: string) => e.results.find((r) => r.slice === slice)!.metrics.disparateImpactRatio.status;

    expect([few.verdict, few.reason]).toEqual(["skip", "insufficient samples"]);
    expect(few.results[0]!.sampleSize).toBe(60);
    expect(status(few, "age")).toBe("pass"); // the slice a per-slice merge would have passed on

    expect(small.verdict).toBe("pass");
    expect(small.results[2]!.excludedGroups.map((g) => g.value)).toEqual(["F|old", "M|old"]);
    expect(small.results[1]!.excludedGroups).toEqual([]);

    expect([straddle.verdict, straddle.reason]).toEqual(["skip", "insufficient evidence"]);
    expect(status(straddle, "sex")).toBe("pass");
    expect(straddle.insufficientEvidence.length).toBeGreaterThan(0);
    expect(straddle.insufficientEvidence.every((s) => s.startsWith("age: ") || s.startsWith("sex|age: "))).toBe(true);

    expect(block.verdict).toBe("block");
    expect(block.violations.some((v) => v.startsWith("age: disparate impact ratio 0.250 < threshold 0.8"))).toBe(true);
    expect(status(block, "sex")).toBe("pass");
  });
});
