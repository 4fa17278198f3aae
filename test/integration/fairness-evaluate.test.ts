/**
 * POST /api/v1/fairness/evaluate on the real in-process app (libSQL files, Wasm kernels):
 * inline COMPAS samples reproduce ProPublica's published table and equal `fairgate check`'s
 * evaluation of the same rows; a trace join over recorded traces gives hand-counted rates and
 * leaves the flow as it was; bad bodies are 400 with the zod issues, oversized ones 413,
 * the wrong roles 403 and another tenant's flow 404 — and no error stores anything.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCommand } from "../../scripts/cli/args.js";
import { runCheck } from "../../scripts/cli/check.js";
import { type Evaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { loadCompas, PROPUBLICA } from "../helpers/compas.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { allAudit, type Api, bulk, createFlow, createTenant, expectProblem, PLATINUM_FLOW, tableCounts, type TenantFixture } from "./_support.js";

const PATH = "/api/v1/fairness/evaluate";
const DAY = 86_400_000;
const compas = loadCompas();
const pct = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 100);
/** The policy of the existing COMPAS gateway test (test/integration/compas.test.ts). */
const COMPAS_POLICY = { enabled: true, sensitiveAttribute: "race", thresholds: { equalOpportunityGap: 0.1 }, minSampleSize: 100 };

let app: InProcessApp;
let api: Api;
let A: TenantFixture;
let B: TenantFixture;
let dir: string;
let flowId: string;

beforeAll(async () => {
  app = await createInProcessApp();
  api = inProcessClient(app);
  dir = await mkdtemp(join(tmpdir(), "fairgate-evaluate-"));
  A = await createTenant(app, "evala");
  B = await createTenant(app, "evalb");
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: A.keys.admin, body: { fairnessPolicy: COMPAS_POLICY } })).status).toBe(200);
  flowId = await createFlow(api, A.keys.publisher, "join-flow", PLATINUM_FLOW);
});

afterAll(async () => {
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const evaluate = (token: string, body: unknown) => api.request("POST", PATH, { token, body });
const stored = async () => {
  const c = await tableCounts(app, A.id);
  return { evaluations: c.evaluations, audit: c.audit, traces: c.traces };
};

function expectProPublica(groups: Evaluation["groups"]) {
  for (const race of ["African-American", "Caucasian"] as const) {
    const g = groups.find((x) => x.value === race)!;
    const ref = PROPUBLICA[race];
    expect({ tp: g.tp, fp: g.fp, tn: g.tn, fn: g.fn }).toEqual({ tp: ref.tp, fp: ref.fp, tn: ref.tn, fn: ref.fn });
    expect(pct(g.fpr)).toBe(ref.fpr);
    expect(pct(g.fnr)).toBe(ref.fnr);
  }
  const all = groups.reduce((s, g) => ({ tp: s.tp + g.tp, fp: s.fp + g.fp, tn: s.tn + g.tn, fn: s.fn + g.fn }), { tp: 0, fp: 0, tn: 0, fn: 0 });
  expect(all).toEqual({ tp: PROPUBLICA.all.tp, fp: PROPUBLICA.all.fp, tn: PROPUBLICA.all.tn, fn: PROPUBLICA.all.fn });
}

/** The comparable part of an evaluation: the counterfactual's note names the caller (it is never computed on either path). */
function comparable(e: Evaluation) {
  const results = e.results.map((r) => ({ ...r, metrics: { ...r.metrics, counterfactualFlipRate: { ...r.metrics.counterfactualFlipRate, note: null } } }));
  const { verdict, reason, violations, warnings, insufficientEvidence, highestTier, metrics, metricNotes, groups, sampleSize, intervals, sensitiveAttributes } = e;
  return { verdict, reason, violations, warnings, insufficientEvidence, highestTier, metrics, metricNotes, groups, sampleSize, intervals, sensitiveAttributes, results };
}

describe("inline samples: COMPAS", () => {
  // ProPublica's definition, as test/integration/compas.test.ts and the CLI test use it.
  const samples = compas.map((r) => ({ group: r.race, decision: r.decileScore >= 5 ? 1 : 0, label: r.twoYearRecid }));
  let evaluation: Evaluation;

  it("reproduces ProPublica's published FPR/FNR per race and is stored as an evaluation with trigger evaluate", async () => {
    const before = await stored();
    const r = await evaluate(A.keys.publisher, { mode: "inline", samples });
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(201);
    evaluation = evaluationSchema.parse(r.body.evaluation);
    expect(r.body.evaluationId).toBe(evaluation.id);
    expect(evaluation).toMatchObject({ trigger: "evaluate", flowId: null, flowKey: null, version: null, window: null, sampleSize: 7214, sensitiveAttribute: "race" });
    expect(evaluation.input).toEqual({ mode: "inline", rows: 7214, usable: 7214, withoutGroup: 0, labels: "request", withoutLabel: 0 });
    expectProPublica(evaluation.groups);
    // TPR gap ~0.2 (72.0% vs 52.3%) against the tenant policy's 0.1: the same block the publish gate gives.
    expect(evaluation.verdict).toBe("block");
    expect(await stored()).toEqual({ ...before, evaluations: before.evaluations + 1, audit: before.audit + 1 });
  });

  it("GET /fairness-evaluations/{id}, report.json and report.html read it", async () => {
    const got = await api.request("GET", `/api/v1/fairness-evaluations/${evaluation.id}`, { token: A.keys.auditor });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(JSON.parse(JSON.stringify(evaluation)));
    const rep = await api.request("GET", `/api/v1/fairness-evaluations/${evaluation.id}/report.json`, { token: A.keys.auditor });
    expect(rep.status).toBe(200);
    expect(rep.body.evaluation).toMatchObject({ id: evaluation.id, trigger: "evaluate", verdict: "block" });
    expect(rep.body.groups.find((g: { value: string }) => g.value === "African-American")).toMatchObject({ n: 3696 });
    expect(rep.body.summary.headline).toBe("Fairness check FAILED: the submitted samples did not meet the fairness policy over the evaluated data.");
    const html = await api.request("GET", `/api/v1/fairness-evaluations/${evaluation.id}/report.html`, { token: A.keys.auditor });
    expect(html.status).toBe(200);
    expect(String(html.body)).toContain("African-American");
  });

  it("equals `fairgate check`'s evaluation of the same rows (verdict, metrics, every slice in results)", async () => {
    const csv = join(dir, "compas.csv");
    await writeFile(csv, ["race,decision,label", ...samples.map((s) => `${s.group},${s.decision},${s.label}`)].join("\n") + "\n");
    const policyFile = join(dir, "policy.json");
    await writeFile(policyFile, JSON.stringify(COMPAS_POLICY));
    const cmd = parseCommand(["check", "--input", csv, "--policy", policyFile, "--decision", "decision", "--label", "label", "--json"]);
    if (cmd.kind !== "check") throw new Error("not a check command");
    let out = "";
    await runCheck(cmd.options, { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true } });
    const cli = evaluationSchema.parse(JSON.parse(out));
    expect(cli.trigger).toBe("cli");
    expect(cli.results).toHaveLength(1);
    expect(cli.intervals?.aggregates).toBe("poisson-bootstrap");
    expect(comparable(evaluation)).toEqual(comparable(cli));
  });
});

describe("trace join", () => {
  const from = new Date(Math.floor(Date.now() / DAY) * DAY - 3 * DAY);
  const to = new Date(from.getTime() + DAY);
  const at = (ms: number) => new Date(ms).toISOString();
  // Hand-counted: A = cust-a1..a4, B = cust-b1..b4; cust-x1, cust-x2 are not in the lookup.
  //   A: selected a1 a2 a4 (3/4); positives a1 a3 a4 → TP a1 a4, FN a3, FP a2, TN 0.
  //   B: selected b2 (1/4); positives b1 b4 → TP 0, FN b1 b4, FP b2, TN b3.
  const inWindow: [string, boolean, boolean][] = [
    ["cust-a1", true, true], ["cust-a2", true, false], ["cust-a3", false, true], ["cust-a4", true, true],
    ["cust-b1", false, true], ["cust-b2", true, false], ["cust-b3", false, false], ["cust-b4", false, true],
    ["cust-x1", true, true], ["cust-x2", false, false],
  ];
  const groupLookup = { "cust-a1": "A", "cust-a2": "A", "cust-a3": "A", "cust-a4": "A", "cust-b1": "B", "cust-b2": "B", "cust-b3": "B", "cust-b4": { segment: "B" }, "cust-nobody": "A" };
  const policy = { enabled: true, sensitiveAttribute: "segment", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 1, minGroupSize: 1 };
  const body = { mode: "trace-join", flowKey: "join-flow", from: at(from.getTime()), to: at(to.getTime()), groupLookup, policy };

  beforeAll(async () => {
    // The traces carry segment "Z": the join must take the groups from the lookup, never the trace.
    const line = (c: string, selected: boolean, converted: boolean, ms: number) => ({ decisionFlowKey: "join-flow", customerId: c, attributes: { segment: "Z" }, selected, converted, timestamp: at(ms) });
    const lines = inWindow.map(([c, s, y], i) => line(c, s, y, from.getTime() + (i + 1) * 60_000));
    // Outside [from, to): just before and exactly at `to` (half-open).
    lines.push(line("cust-a1", false, false, from.getTime() - 1), line("cust-b1", true, true, to.getTime()));
    expect((await bulk(api, A.keys.operator, lines)).status).toBe(201);
  });

  it("gives the hand-counted rates, counts the customers missing from the lookup, and changes no flow", async () => {
    const flowBefore = (await api.request("GET", `/api/v1/decision-flows/${flowId}`, { token: A.keys.auditor })).body;
    const auditBefore = await allAudit(api, A.keys.auditor);
    const r = await evaluate(A.keys.admin, body);
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(201);
    const e = evaluationSchema.parse(r.body.evaluation);
    expect(e).toMatchObject({ trigger: "evaluate", flowId: null, flowKey: "join-flow", version: null, window: { from: body.from, to: body.to, days: 1 }, sampleSize: 8 });
    expect(e.input).toEqual({ mode: "trace-join", rows: 10, usable: 8, withoutGroup: 2, labels: "recorded", withoutLabel: 0 });
    const g = (v: string) => e.groups.find((x) => x.value === v)!;
    expect(e.groups.map((x) => x.value)).toEqual(["A", "B"]);
    expect(g("A")).toMatchObject({ n: 4, selected: 3, labeled: 4, positives: 3, tp: 2, fn: 1, fp: 1, tn: 0, selectionRate: 0.75, fpr: 1, fnr: 1 / 3 });
    expect(g("A").tpr).toBeCloseTo(2 / 3, 12);
    expect(g("B")).toMatchObject({ n: 4, selected: 1, labeled: 4, positives: 2, tp: 0, fn: 2, fp: 1, tn: 1, selectionRate: 0.25, tpr: 0, fpr: 0.5, fnr: 1 });
    // DIR = 0.25 / 0.75 = 1/3 < 0.8.
    expect(e.metrics.disparateImpactRatio).toBeCloseTo(1 / 3, 12);
    expect(e.verdict).toBe("block");

    // The flow is exactly as it was; the only new audit row is the evaluation's own, and it names no customer.
    expect((await api.request("GET", `/api/v1/decision-flows/${flowId}`, { token: A.keys.auditor })).body).toEqual(flowBefore);
    const auditAfter = await allAudit(api, A.keys.auditor);
    expect(auditAfter.slice(0, auditBefore.length)).toEqual(auditBefore);
    expect(auditAfter).toHaveLength(auditBefore.length + 1);
    const row = auditAfter[auditAfter.length - 1];
    expect(row).toMatchObject({ entityType: "fairness_evaluation", entityId: e.id, action: "fairness_evaluate", actor: A.principals.admin });
    expect(row.details).toMatchObject({ mode: "trace-join", flowKey: "join-flow", policy: "request", verdict: "block", input: e.input });
    expect(JSON.stringify(row)).not.toMatch(/cust-/);
    expect(JSON.stringify(e)).not.toMatch(/cust-/);
    expect((await api.request("GET", `/api/v1/fairness-evaluations?flowId=${flowId}`, { token: A.keys.auditor })).body.items).toEqual([]);
    const verify = await api.request("GET", "/api/v1/audit-log/verify", { token: A.keys.auditor });
    expect(verify.status).toBe(200);
    expect(verify.body.ok, JSON.stringify(verify.body)).toBe(true);
  });

  it("a labelLookup replaces the recorded outcomes; customers missing from it are unlabelled", async () => {
    const r = await evaluate(A.keys.auditor, { ...body, labelLookup: { "cust-a1": true, "cust-a2": 1, "cust-b1": false, "cust-x1": true } });
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(201);
    const e = evaluationSchema.parse(r.body.evaluation);
    expect(e.input).toEqual({ mode: "trace-join", rows: 10, usable: 8, withoutGroup: 2, labels: "lookup", withoutLabel: 5 });
    // a1, a2 selected and positive → TP 2; b1 not selected, negative → TN 1; selection counts unchanged.
    expect(e.groups.find((x) => x.value === "A")).toMatchObject({ n: 4, selected: 3, labeled: 2, positives: 2, tp: 2, fp: 0, fn: 0, tn: 0, tpr: 1 });
    expect(e.groups.find((x) => x.value === "B")).toMatchObject({ n: 4, selected: 1, labeled: 1, positives: 0, tp: 0, fp: 0, fn: 0, tn: 1, fpr: 0 });
  });
});

describe("refusals store nothing", () => {
  let before: Awaited<ReturnType<typeof stored>>;
  beforeAll(async () => {
    before = await stored();
  });
  afterAll(async () => {
    expect(await stored()).toEqual(before);
  });

  const sample = { group: "a", decision: 1 };
  for (const [name, body, path] of [
    ["an unknown mode", { mode: "batch", samples: [sample] }, "mode"],
    ["decision 2", { mode: "inline", samples: [sample, { group: "b", decision: 2 }] }, "samples.1.decision"],
    ["a sample without group", { mode: "inline", samples: [{ decision: 1, label: 0 }] }, "samples.0.group"],
    ["an unknown key in the policy", { mode: "inline", samples: [sample], policy: { ...COMPAS_POLICY, thresholdz: {} } }, "policy"],
    ["a window that ends before it starts", { mode: "trace-join", flowKey: "join-flow", from: "2026-11-02T00:00:00Z", to: "2026-11-01T00:00:00Z", groupLookup: {} }, "to"],
  ] as const)
    it(`400 validation_failed with the zod issues: ${name}`, async () => {
      const r = await evaluate(A.keys.publisher, body);
      expectProblem(r, 400, "validation_failed");
      expect(r.body.errors.map((x: { path: string }) => x.path)).toContain(path);
    });

  it("413 evaluate_too_many_samples above 100,000 samples; exactly 100,000 (a body far above the 1 MiB JSON limit) is evaluated", async () => {
    const many = (n: number) => ({ mode: "inline", samples: Array.from({ length: n }, (_, i) => ({ group: i % 2 ? "a" : "b", decision: i % 3 ? 1 : 0 })) });
    expectProblem(await evaluate(A.keys.publisher, many(100_001)), 413, "evaluate_too_many_samples");
    const ok = await evaluate(A.keys.publisher, { ...many(100_000), policy: { ...COMPAS_POLICY, sensitiveAttribute: "x", minSampleSize: 1 } });
    expect(ok.status, JSON.stringify(ok.body).slice(0, 300)).toBe(201);
    expect(ok.body.evaluation.sampleSize).toBe(100_000);
    before = { ...before, evaluations: before.evaluations + 1, audit: before.audit + 1 };
  });

  it("413 payload_too_large above FAIRGATE_EVALUATE_MAX_BYTES (16 MiB by default)", async () => {
    const raw = `{"mode":"inline","samples":[],"pad":"${"x".repeat(16 * 1024 * 1024)}"}`;
    expectProblem(await api.request("POST", PATH, { token: A.keys.publisher, raw, contentType: "application/json" }), 413, "payload_too_large");
  });

  it("403 missing_role for operator and approver; publisher, admin and auditor get past the role check", async () => {
    for (const role of ["operator", "approver"] as const) expectProblem(await evaluate(A.keys[role], { mode: "inline", samples: [sample] }), 403, "missing_role");
    for (const role of ["publisher", "admin", "auditor"] as const) expectProblem(await evaluate(A.keys[role], { mode: "inline", samples: [] }), 400, "validation_failed");
  });

  it("another tenant's flowKey is 404; a tenant without a policy and none given is 409", async () => {
    const join = { mode: "trace-join", flowKey: "join-flow", from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z", groupLookup: { c: "A" }, policy: COMPAS_POLICY };
    expectProblem(await evaluate(B.keys.publisher, join), 404, "not_found");
    expectProblem(await evaluate(B.keys.publisher, { mode: "inline", samples: [sample] }), 409, "fairness_policy_disabled");
    expect((await tableCounts(app, B.id)).evaluations).toBe(0);
  });
});

describe("rate limit", () => {
  it("takes from the per-key bulk bucket: past its burst the next request is 429 rate_limited, and stores nothing", async () => {
    const limited = await createInProcessApp({ env: { FAIRGATE_BULK_RATE_LIMIT_BURST: "1", FAIRGATE_BULK_RATE_LIMIT_PER_MINUTE: "1" } });
    try {
      const T = await createTenant(limited, "evalrate");
      const http = inProcessClient(limited);
      const body = { mode: "inline", samples: [{ group: "a", decision: 1 }], policy: COMPAS_POLICY };
      expect((await http.request("POST", PATH, { token: T.keys.publisher, body })).status).toBe(201);
      const r = await http.request("POST", PATH, { token: T.keys.publisher, body });
      expectProblem(r, 429, "rate_limited");
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      // Another key of the same tenant is not affected: buckets are per key.
      expect((await http.request("POST", PATH, { token: T.keys.admin, body })).status).toBe(201);
      expect((await tableCounts(limited, T.id)).evaluations).toBe(2);
    } finally {
      await limited.close();
    }
  });
});
