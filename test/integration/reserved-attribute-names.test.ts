/**
 * `__proto__`, `constructor` and `prototype` as attribute names are a 400 on
 * every route that takes attributes, never silently dropped or accepted. The
 * bodies are raw JSON text: JSON.parse keeps `__proto__` as an own key, which is
 * exactly what a client sends (an object literal in a test would not).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, bulk, createFlow, createTenant, expectProblem, PLATINUM_FLOW, policy, tableCounts, type TenantFixture } from "./_support.js";

let app: InProcessApp;
let api: Api;
let T: TenantFixture;
const FLOW = "reserved-cards";

beforeAll(async () => {
  app = await createInProcessApp();
  api = inProcessClient(app);
  T = await createTenant(app, "reserved");
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy() })).status).toBe(200);
  const id = await createFlow(api, T.keys.publisher, FLOW, PLATINUM_FLOW);
  expect((await api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id } })).status).toBe(200);
});

afterAll(async () => {
  await app?.close();
});

const NAMES = ["__proto__", "constructor", "prototype"] as const;

describe("reserved attribute names", () => {
  it("the same request with an ordinary name succeeds (the 400s below are about the name)", async () => {
    const raw = `{"customerId":"c1","decisionFlowKey":"${FLOW}","attributes":{"tier":"gold","ageBand":"65+"}}`;
    expect((await api.request("POST", "/api/v1/recommend", { token: T.keys.operator, raw })).status).toBe(200);
  });

  for (const name of NAMES) {
    it(`recommend: "${name}" → 400 naming the attribute, no trace written`, async () => {
      const before = (await tableCounts(app, T.id)).traces;
      const raw = `{"customerId":"c1","decisionFlowKey":"${FLOW}","attributes":{"tier":"gold","${name}":{"tier":"platinum"}}}`;
      expect(Object.keys((JSON.parse(raw) as { attributes: object }).attributes)).toContain(name);
      const r = await api.request("POST", "/api/v1/recommend", { token: T.keys.operator, raw });
      expectProblem(r, 400, "validation_failed");
      expect(r.body.errors).toContainEqual(expect.objectContaining({ path: `attributes.${name}` }));
      // A scalar value is refused too (not only objects that could replace a prototype).
      const scalar = `{"customerId":"c1","decisionFlowKey":"${FLOW}","attributes":{"${name}":"x"}}`;
      expectProblem(await api.request("POST", "/api/v1/recommend", { token: T.keys.operator, raw: scalar }), 400, "validation_failed");
      expect((await tableCounts(app, T.id)).traces).toBe(before);
    });

    it(`bulk: a line with "${name}" is a bad line and nothing is written`, async () => {
      const before = (await tableCounts(app, T.id)).traces;
      const good = `{"decisionFlowKey":"${FLOW}","customerId":"b1","attributes":{"ageBand":"65+"},"selected":true}`;
      const bad = `{"decisionFlowKey":"${FLOW}","customerId":"b2","attributes":{"ageBand":"65+","${name}":"x"},"selected":true}`;
      const r = await bulk(api, T.keys.operator, `${good}\n${bad}\n`);
      expectProblem(r, 400, "bulk_invalid_lines");
      expect(r.body.badLines).toEqual([2]);
      expect((await tableCounts(app, T.id)).traces).toBe(before);
    });
  }
});
