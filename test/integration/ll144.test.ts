/**
 * @module test/integration/ll144
 * GET /fairness-evaluations/{id}/ll144.json|html through the gateway: the 7,214
 * COMPAS rows bulk-loaded as traces (selected = decile_score >= 5) plus a few traces
 * without a sex; the tables must equal direct counts over the fixture rows (plain
 * loops here, not the module), the sex-less traces counted as unknown. The rows carry
 * score = decile_score / 10, so `?rate=scoring` (and the policy's `ll144.rate`) is
 * checked the same way: the median of the scores sorted here, a trace positive when
 * its score is strictly above it; the sex-less traces have no score and are not
 * individuals assessed by a scoring tool. COMPAS's median decile is 4, so above the
 * median is decile >= 5 = selected on every COMPAS row: a few extra traces whose
 * score disagrees with their selection tell the two rates apart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCompas } from "../helpers/compas.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";

const rows = loadCompas();
const UNKNOWN_SEX = 7;

/** A scored trace as loaded. */
interface Person {
  sex: string;
  race: string;
  selected: boolean;
  score: number;
}
/** High score but not selected, low score but selected: scoring and selection rates differ on these. */
const EXTRA: Person[] = [
  ...Array.from({ length: 10 }, () => ({ sex: "Female", race: "Asian", selected: false, score: 0.95 })),
  ...Array.from({ length: 10 }, () => ({ sex: "Male", race: "Native American", selected: true, score: 0.05 })),
];
const people: Person[] = [...rows.map((r) => ({ sex: r.sex, race: r.race, selected: r.decileScore >= 5, score: r.decileScore / 10 })), ...EXTRA];
const selectedOf = (r: Person) => r.selected;

function oracle(key: (r: Person) => string, positive: (r: Person) => boolean = selectedOf) {
  const t: Record<string, { count: number; pos: number }> = {};
  for (const r of people) {
    const k = key(r);
    t[k] ??= { count: 0, pos: 0 };
    t[k].count += 1;
    if (positive(r)) t[k].pos += 1;
  }
  let max = 0;
  for (const v of Object.values(t)) max = Math.max(max, v.pos / v.count);
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { count: v.count, rate: v.pos / v.count, ratio: v.pos / v.count / max }]));
}

describe("LL144 through the gateway", () => {
  let app: InProcessApp;
  let http: ReturnType<typeof inProcessClient>;
  let auditor: string;
  let operator: string;
  let evaluationId: string;
  let admin: string;
  afterAll(async () => app?.close());

  beforeAll(async () => {
    app = await createInProcessApp();
    http = inProcessClient(app);
    const tenant = await http.request("POST", "/api/v1/admin/tenants", { token: app.adminToken, body: { name: "broward" } });
    const key = async (roles: string[], principal: string) =>
      (await http.request("POST", `/api/v1/admin/tenants/${tenant.body.id}/api-keys`, { token: app.adminToken, body: { principal, roles } })).body.key as string;
    admin = await key(["admin"], "admin@broward.test");
    const pub = await key(["publisher", "operator"], "pub@broward.test");
    auditor = await key(["auditor"], "auditor@broward.test");
    operator = await key(["operator"], "op@broward.test");
    const put = await http.request("PUT", "/api/v1/tenant-settings", {
      token: admin,
      body: { fairnessPolicy: { enabled: true, sensitiveAttribute: "race", thresholds: { disparateImpactRatio: 0.01 }, minSampleSize: 100, ll144: { sexAttribute: "sex", raceAttribute: "race" } } },
    });
    expect(put.status).toBe(200);
    const flow = await http.request("POST", "/api/v1/decision-flows", {
      token: pub,
      body: { key: "compas", name: "COMPAS", definition: { offers: [{ id: "detain", model: { intercept: 0 }, minPropensity: 0.5 }], maxOffers: 1 } },
    });
    const lines = people.map((r, i) => JSON.stringify({ decisionFlowKey: "compas", customerId: `d${i}`, attributes: { race: r.race, sex: r.sex }, selected: r.selected, score: r.score }));
    for (let i = 0; i < UNKNOWN_SEX; i++) lines.push(JSON.stringify({ decisionFlowKey: "compas", customerId: `u${i}`, attributes: { race: "Caucasian" }, selected: true }));
    const bulk = await http.request("POST", "/api/v1/decision-traces/bulk", { token: pub, raw: lines.join("\n"), contentType: "application/x-ndjson" });
    expect(bulk.status).toBe(201);
    const res = await http.request("POST", "/api/v1/decision-flows/publish", { token: pub, body: { id: flow.body.id } });
    evaluationId = res.body.evaluation?.id ?? res.body.evaluationId;
    expect(evaluationId).toBeTruthy();
  });

  it("ll144.json: sex and intersection tables equal the direct counts; traces without a sex are unknown", async () => {
    const res = await http.request("GET", `/api/v1/fairness-evaluations/${evaluationId}/ll144.json?distributionDate=2026-01-15`, { token: auditor });
    expect(res.status).toBe(200);
    const a = res.body;
    expect(a.individuals).toBe(people.length + UNKNOWN_SEX);
    expect(a.unknown).toEqual({ count: UNKNOWN_SEX, sex: UNKNOWN_SEX, race: 0 });
    expect(a.meta.distributionDate).toBe("2026-01-15");
    expect(a.meta.window.from).toBeTruthy();
    const sex = oracle((r) => r.sex);
    const inter = oracle((r) => `${r.sex} | ${r.race}`);
    for (const [table, exp] of [["sex", sex], ["intersection", inter]] as const) {
      expect(a.tables[table].map((r: { category: string }) => r.category).sort()).toEqual(Object.keys(exp).sort());
      for (const r of a.tables[table]) {
        expect(r.count, r.category).toBe(exp[r.category]!.count);
        expect(r.rate, r.category).toBeCloseTo(exp[r.category]!.rate, 12);
        expect(r.impactRatio, r.category).toBeCloseTo(exp[r.category]!.ratio, 12);
      }
    }
    // The race table includes the sex-less traces (race known): Caucasian has 7 more, all selected.
    const cauc = a.tables.race.find((r: { category: string }) => r.category === "Caucasian");
    const c = rows.filter((r) => r.race === "Caucasian");
    expect(cauc.count).toBe(c.length + UNKNOWN_SEX);
    expect(cauc.rate).toBeCloseTo((c.filter((r) => r.decileScore >= 5).length + UNKNOWN_SEX) / (c.length + UNKNOWN_SEX), 12);
  });

  it("?sex=&race= override the policy; a non-identifier is 400; ll144.html is a static page", async () => {
    const swapped = await http.request("GET", `/api/v1/fairness-evaluations/${evaluationId}/ll144.json?sex=race&race=sex`, { token: auditor });
    expect(swapped.status).toBe(200);
    expect(swapped.body.tables.sex.map((r: { category: string }) => r.category)).toContain("African-American");
    const bad = await http.request("GET", `/api/v1/fairness-evaluations/${evaluationId}/ll144.json?sex=a.b`, { token: auditor });
    expect(bad.status).toBe(400);
    const html = await http.request("GET", `/api/v1/fairness-evaluations/${evaluationId}/ll144.html`, { token: auditor });
    expect(html.status).toBe(200);
    expect(html.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(String(html.body)).toContain("Female | African-American");
  });

  // The scoring-rate oracle: the median of every row's score (sorted here), positives strictly above it.
  const scores = people.map((r) => r.score).sort((x, y) => x - y);
  const median = scores.length % 2 ? scores[(scores.length - 1) / 2]! : (scores[scores.length / 2 - 1]! + scores[scores.length / 2]!) / 2;
  const above = (r: Person) => r.score > median;

  function expectScoringTables(a: any) {
    expect(a.rateKind).toBe("scoring");
    expect(a.medianScore).toBe(median);
    // The 7 sex-less traces have no score: not counted, and said so.
    expect(a.individuals).toBe(people.length);
    expect(a.unknown).toEqual({ count: 0, sex: 0, race: 0 });
    expect(a.meta.dataSource).toContain(`${UNKNOWN_SEX} traces without a score not counted`);
    for (const [table, exp] of [
      ["sex", oracle((r) => r.sex, above)],
      ["race", oracle((r) => r.race, above)],
      ["intersection", oracle((r) => `${r.sex} | ${r.race}`, above)],
    ] as const) {
      expect(a.tables[table].map((r: { category: string }) => r.category).sort()).toEqual(Object.keys(exp).sort());
      for (const r of a.tables[table]) {
        expect(r.count, r.category).toBe(exp[r.category]!.count);
        expect(r.rate, r.category).toBeCloseTo(exp[r.category]!.rate, 12);
        expect(r.impactRatio, r.category).toBeCloseTo(exp[r.category]!.ratio, 12);
      }
    }
  }

  it("?rate=scoring: the share of each category scoring above the window's median score, against direct counts", async () => {
    // The oracle is not the selection table in disguise (the extra traces).
    expect(people.filter((r) => above(r) !== r.selected).length).toBe(EXTRA.length);
    const res = await http.request("GET", `/api/v1/fairness-evaluations/${evaluationId}/ll144.json?rate=scoring`, { token: auditor });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectScoringTables(res.body);
    const html = await http.request("GET", `/api/v1/fairness-evaluations/${evaluationId}/ll144.html?rate=scoring`, { token: auditor });
    expect(html.status).toBe(200);
    expect(String(html.body)).toContain("scoring rate");
    expect((await http.request("GET", `/api/v1/fairness-evaluations/${evaluationId}/ll144.json?rate=median`, { token: auditor })).status).toBe(400);
  });

  it("policy ll144.rate: scoring is the default; ?rate=selection overrides it", async () => {
    const put = await http.request("PUT", "/api/v1/tenant-settings", {
      token: admin,
      body: { fairnessPolicy: { enabled: true, sensitiveAttribute: "race", thresholds: { disparateImpactRatio: 0.01 }, minSampleSize: 100, ll144: { sexAttribute: "sex", raceAttribute: "race", rate: "scoring" } } },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const byPolicy = await http.request("GET", `/api/v1/fairness-evaluations/${evaluationId}/ll144.json`, { token: auditor });
    expect(byPolicy.status).toBe(200);
    expectScoringTables(byPolicy.body);
    const sel = await http.request("GET", `/api/v1/fairness-evaluations/${evaluationId}/ll144.json?rate=selection`, { token: auditor });
    expect(sel.body.rateKind).toBe("selection");
    expect(sel.body.medianScore).toBeNull();
    expect(sel.body.individuals).toBe(people.length + UNKNOWN_SEX);
  });

  it("operators may not read it; an unknown evaluation is 404", async () => {
    expect((await http.request("GET", `/api/v1/fairness-evaluations/${evaluationId}/ll144.json`, { token: operator })).status).toBe(403);
    expect((await http.request("GET", `/api/v1/fairness-evaluations/nope/ll144.json`, { token: auditor })).status).toBe(404);
  });
});
