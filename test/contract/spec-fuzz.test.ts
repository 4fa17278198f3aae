/**
 * A fuzz driven by the OpenAPI document: for every operation, fast-check builds
 * requests from its documented params, query and body schemas
 * (test/helpers/schema-arbitrary) and malformed variants of them (a required key
 * dropped, an unknown key, a wrong type, arbitrary JSON, non-JSON text, an empty
 * body, the wrong content type, no CSRF header, no or a wrong token). Every answer
 * must be documented for that operation (status, content type, body schema — so a
 * problem carries one of the operation's documented codes), never a 500, and a
 * refusal (4xx) must change nothing in the tenant or the control store — except the one
 * refusal that is evidence: a publish the fairness gate blocks (422) records its evaluation
 * and audit rows, and nothing else.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readResult, requestInit, type RequestOptions } from "../helpers/client.js";
import { createContractChecker } from "../helpers/contract.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { arbitraryFor } from "../helpers/schema-arbitrary.js";
import { createFlow, createTenant, PLATINUM_FLOW, policy, tenantDigest, type TenantFixture } from "../integration/_support.js";

/** Runs per operation; SPEC_FUZZ_RUNS=60 for a deeper hunt. */
const NUM_RUNS = Number(process.env.SPEC_FUZZ_RUNS ?? 6);
const checker = createContractChecker();
const doc = checker.doc;
type Json = Record<string, any>;

let app: InProcessApp;
let T: TenantFixture;
const pool: Record<string, string[]> = { id: [], keyId: [] };
/** Known values for body fields, so valid requests also reach "found" paths (recommend, outcomes, publish). */
const hints: Record<string, unknown[]> = {};

beforeAll(async () => {
  app = await createInProcessApp();
  T = await createTenant(app, "specfuzz", { all: { principal: "fuzzer@specfuzz.test", roles: ["operator", "publisher", "admin", "approver", "auditor"] }, spare: { principal: "spare@specfuzz.test", roles: ["operator"] } });
  const api = inProcessClient(app);
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy() })).status).toBe(200);
  const flowId = await createFlow(api, T.keys.publisher, "sf-flow", PLATINUM_FLOW);
  const pub = await api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id: flowId } });
  expect(pub.status).toBe(200);
  const rec = await api.request("POST", "/api/v1/recommend", { token: T.keys.operator, body: { customerId: "c-1", decisionFlowKey: "sf-flow", attributes: { ageBand: "65+", tier: "gold" } } });
  expect(rec.status).toBe(200);
  pool.id = [flowId, T.id, pub.body.evaluation.id, "does-not-exist"];
  Object.assign(hints, { decisionFlowKey: ["sf-flow"], traceId: [rec.body.traceId], id: [flowId], flowId: [flowId], attributes: [{ ageBand: "65+", tier: "gold" }] });
  // Only the spare key's id is offered to revoke/rotate, so the fuzzer never locks itself out.
  pool.keyId = [T.keyIds.spare!, "no-such-key"];
}, 60_000);
afterAll(async () => {
  await app?.close();
});

/** Tenant and control-store state that a refused request must leave as it was. */
async function digest() {
  const api = inProcessClient(app);
  const keys = await api.request("GET", `/api/v1/admin/tenants/${T.id}/api-keys`, { token: app.adminToken });
  const events = await api.request("GET", `/api/v1/admin/tenants/${T.id}/api-key-events`, { token: app.adminToken });
  const tenants = await api.request("GET", "/api/v1/admin/tenants", { token: app.adminToken });
  return {
    tenant: await tenantDigest(app, T),
    // A key's status also moves with the clock (active → expired at expiresAt, rotating → revoked when
    // its grace ends): compare the stored facts, not what the clock made of them since.
    keys: (keys.body.items as Json[]).map(({ lastUsedAt: _u, status, ...k }) => ({ ...k, stored: status === "expired" ? "active" : status === "rotating" ? "revoked" : status })),
    keyEvents: events.body.items.length,
    tenants: tenants.body.items.length,
  };
}

type Digest = Awaited<ReturnType<typeof digest>>;

/**
 * A refusal left the state as it was — except a publish the fairness gate blocks (422), which
 * documents that it stores the evaluation the problem names and its audit rows: then exactly
 * those are new and everything else is as it was.
 */
function expectRefusalChangedNothing(before: Digest, after: Digest, res: { status: number; body: any }, ctx: string): void {
  if (res.status !== 422 || res.body?.code !== "fairness_gate_blocked") {
    expect(after, `a refusal changed state: ${ctx}`).toEqual(before);
    return;
  }
  const rest = (d: Digest) => {
    const { evaluations: _e, auditCount: _c, auditLastSeq: _s, db, ...t } = d.tenant;
    const { evaluations: _de, audit: _da, ...counts } = db as Record<string, number>;
    return { ...d, tenant: { ...t, db: counts } };
  };
  expect(rest(after), `a blocked publish changed more than its evidence: ${ctx}`).toEqual(rest(before));
  const ids = (d: Digest) => (d.tenant.evaluations as { id: string }[]).map((e) => e.id);
  expect(ids(after).filter((id) => !ids(before).includes(id)), ctx).toEqual([res.body.evaluationId]);
  expect(ids(before).every((id) => ids(after).includes(id)), ctx).toBe(true);
  expect(after.tenant.db.evaluations, ctx).toBe(before.tenant.db.evaluations + 1);
  const added = after.tenant.db.audit - before.tenant.db.audit;
  expect(added, ctx).toBeGreaterThan(0);
  expect(after.tenant.auditCount - before.tenant.auditCount, ctx).toBe(added);
}

const VARIANTS = ["valid", "valid", "valid", "drop", "extra", "wrongType", "anyJson", "text", "empty", "contentType", "noCsrf", "noAuth", "badAuth"] as const;

function tokenFor(op: Json): string | undefined {
  const s = op.security?.[0] ?? {};
  if (s.tenantApiKey) return T.keys.all;
  if (s.platformToken) return app.adminToken;
  if (s.cronSecret) return app.cronSecret;
  return undefined;
}

const schemaOf = (op: Json) => {
  const content = op.requestBody?.content ?? {};
  const [ct, media] = (Object.entries(content)[0] ?? []) as [string | undefined, Json | undefined];
  return { ct, schema: media?.schema as Json | undefined };
};

/** One request for `op`: documented-shape values, then the chosen malformation. */
function requestArb(template: string, method: string, op: Json) {
  const params = (op.parameters ?? []) as Json[];
  const path = params.filter((p) => p.in === "path").map((p) => fc.constantFrom(...(pool[p.name] ?? ["x"])).map((v) => [p.name as string, v] as const));
  const queryParams = params.filter((p) => p.in === "query");
  const query = fc.record(Object.fromEntries(queryParams.map((p) => [p.name, fc.oneof(arbitraryFor(p.schema, doc, 0, hints), fc.string({ maxLength: 12 }))])), { requiredKeys: [] });
  const { ct, schema } = schemaOf(op);
  const body = schema ? arbitraryFor(schema, doc, 0, hints) : fc.constant(undefined);
  return fc.record({ path: fc.tuple(...path), query, body, variant: fc.constantFrom(...VARIANTS), junk: fc.jsonValue({ maxDepth: 2 }), unknownKey: fc.stringMatching(/^[a-z]{3,8}$/) }).map((g) => {
    let url = template;
    for (const [name, v] of g.path) url = url.replace(`{${name}}`, encodeURIComponent(v));
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(g.query)) if (v !== undefined) q.set(k, typeof v === "string" ? v : JSON.stringify(v));
    if (g.variant === "extra" && !schema) q.set(g.unknownKey, "1");
    if (q.size) url += `?${q}`;
    const opts: RequestOptions = { token: tokenFor(op) };
    let value: unknown = g.body;
    if (schema && value && typeof value === "object" && !Array.isArray(value)) {
      const obj = value as Json;
      const keys = Object.keys(obj);
      if (g.variant === "drop" && keys.length) value = Object.fromEntries(Object.entries(obj).slice(1));
      if (g.variant === "extra") value = { ...obj, [g.unknownKey]: g.junk };
      if (g.variant === "wrongType" && keys.length) value = { ...obj, [keys[0]!]: typeof g.junk === typeof obj[keys[0]!] ? [g.junk] : g.junk };
    }
    if (g.variant === "anyJson") value = g.junk;
    if (schema && ct?.includes("ndjson")) opts.raw = g.variant === "text" ? "not json\n" : `${JSON.stringify(value)}\n`;
    else if (schema || g.variant === "anyJson") opts.body = value;
    if (g.variant === "text") opts.raw = "{not json";
    if (g.variant === "empty") opts.raw = "";
    if (g.variant === "contentType" && (opts.body !== undefined || opts.raw !== undefined)) opts.contentType = "text/plain";
    if (ct?.includes("ndjson") && opts.raw !== undefined && g.variant !== "contentType") opts.contentType = ct;
    // A GET carries no body (fetch refuses one): its malformations are in the query and the credentials.
    if (method === "get") {
      delete opts.body;
      delete opts.raw;
      delete opts.contentType;
    }
    if (g.variant === "noCsrf") opts.csrf = false;
    if (g.variant === "noAuth") opts.token = undefined;
    if (g.variant === "badAuth") opts.token = "fgk_not-a-real-key";
    return { method: method.toUpperCase(), url, opts, variant: g.variant };
  });
}

const operations = Object.entries(doc.paths as Record<string, Json>).flatMap(([template, ops]) => Object.entries(ops).map(([method, op]) => ({ template, method, op: op as Json })));

describe("spec-driven fuzz", () => {
  it("covers every documented operation", () => {
    expect(operations.length).toBeGreaterThan(30);
  });

  for (const { template, method, op } of operations) {
    it(`${op.operationId}: only documented answers, never a 500, refusals change nothing`, async () => {
      let before = await digest();
      await fc.assert(
        fc.asyncProperty(requestArb(template, method, op), async (req) => {
          const res = await readResult(await app.fetch(req.url, requestInit(req.method, req.opts)));
          const ctx = `${req.method} ${req.url} [${req.variant}] ${JSON.stringify(req.opts.body ?? req.opts.raw ?? null).slice(0, 300)} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
          expect(res.status, ctx).not.toBe(500);
          expect(checker.check(req.method, req.url, res), ctx).toEqual([]);
          const after = await digest();
          if (res.status >= 400) expectRefusalChangedNothing(before, after, res, ctx);
          before = after;
        }),
        { numRuns: NUM_RUNS },
      );
    }, 120_000);
  }

  it("a publish the gate blocks (422) may add its evaluation and audit rows, and nothing else", async () => {
    const api = inProcessClient(app);
    expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy({ onInsufficientSamples: "block", minSampleSize: 1000 }) })).status).toBe(200);
    // Its own flow: the fuzz above may have archived or changed the shared one.
    const flowId = await createFlow(api, T.keys.publisher, "sf-blocked", PLATINUM_FLOW);
    const before = await digest();
    const res = await readResult(await app.fetch("/api/v1/decision-flows/publish", requestInit("POST", { token: T.keys.publisher, body: { id: flowId } })));
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("fairness_gate_blocked");
    const after = await digest();
    expectRefusalChangedNothing(before, after, res, "blocked publish");
    // Anything else a block changed would be caught: the state before with one flow fewer is not what it left.
    expect(() => expectRefusalChangedNothing({ ...before, tenant: { ...before.tenant, flows: [] } }, after, res, "blocked publish")).toThrow();
    expect(() => expectRefusalChangedNothing(before, after, { ...res, body: { ...res.body, code: "validation_failed" } }, "another refusal")).toThrow();
  });
});
