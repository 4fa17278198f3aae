/**
 * Proves the gateway is robust against malformed input on every mutating route
 * (and the query strings of the list routes): arbitrary JSON, random extra keys,
 * wrong types for known fields, deep nesting, huge strings, lone surrogates and
 * invalid UTF-8 bytes, non-JSON text and empty bodies never cause a 5xx, every
 * error is problem+json, and a rejected request (4xx) changes nothing in the
 * tenant: flows, overrides, evaluations, settings, audit log and the
 * decision_traces rows read straight from the tenant database file.
 */
import fc from "fast-check";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import {
  type Api,
  breachingLines,
  bulk,
  createFlow,
  createTenant,
  expectProblemShape,
  fairLines,
  PLATINUM_FLOW,
  policy,
  type Res,
  tenantDigest,
  type TenantFixture,
} from "./_support.js";

/** Runs per property; FUZZ_RUNS=400 for a deeper (≈2 min) hunt. */
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 45);

let app: InProcessApp;
let api: Api;
let T: TenantFixture;
const ids = { activeFlowId: "", activeKey: "fz-active", draftFlowId: "", draftKey: "fz-draft", traceId: "", pendingOverrideId: "", activeOverrideId: "" };

beforeAll(async () => {
  // FUZZ_DRIVER=client fuzzes over @libsql/client instead of the default native file driver.
  app = await createInProcessApp({ env: process.env.FUZZ_DRIVER ? { FAIRGATE_FILE_DRIVER: process.env.FUZZ_DRIVER } : {} });
  api = inProcessClient(app);
  // "all" holds every role, so fuzzed requests always reach body parsing; it is not the admin who requests overrides,
  // so a fuzzed empty approve body may legitimately approve (a 2xx is allowed to change state).
  T = await createTenant(app, "fuzz", { all: { principal: "fuzzer@fuzz.test", roles: ["operator", "publisher", "admin", "approver", "auditor"] } });
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy() })).status).toBe(200);
  ids.activeFlowId = await createFlow(api, T.keys.publisher, ids.activeKey, PLATINUM_FLOW);
  ids.draftFlowId = await createFlow(api, T.keys.publisher, ids.draftKey, PLATINUM_FLOW);
  expect((await api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id: ids.activeFlowId } })).status).toBe(200);
  const rec = await api.request("POST", "/api/v1/recommend", {
    token: T.keys.operator,
    body: { customerId: "c0", decisionFlowKey: ids.activeKey, attributes: { ageBand: "65+", tier: "gold", income: 50_000 } },
  });
  expect(rec.status).toBe(200);
  ids.traceId = rec.body.traceId;
  expect((await bulk(api, T.keys.operator, fairLines(ids.activeKey, 6))).status).toBe(201);
  const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const p = await api.request("POST", "/api/v1/fairness-overrides", { token: T.keys.admin, body: { reason: "pending exception (fuzz fixture)", expiresAt } });
  ids.pendingOverrideId = p.body.id;
  const a = await api.request("POST", "/api/v1/fairness-overrides", { token: T.keys.admin, body: { reason: "active exception (fuzz fixture)", expiresAt, flowId: ids.activeFlowId } });
  expect((await api.request("POST", `/api/v1/fairness-overrides/${a.body.id}/approve`, { token: T.keys.approver })).status).toBe(200);
  ids.activeOverrideId = a.body.id;
});

afterAll(async () => {
  await app?.close();
});

// ---------------------------------------------------------------- transport

type Body = { kind: "text"; text: string } | { kind: "bytes"; bytes: Uint8Array<ArrayBuffer> } | { kind: "none" };

async function send(method: string, path: string, token: string, body: Body, contentType: string | null): Promise<Res & { text: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, "x-requested-with": "XMLHttpRequest" };
  if (contentType !== null) headers["content-type"] = contentType;
  const init: RequestInit = { method, headers };
  if (body.kind === "text") init.body = body.text;
  if (body.kind === "bytes") init.body = body.bytes;
  const res = await app.fetch(path, init);
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* keep text */
  }
  return { status: res.status, body: parsed, contentType: res.headers.get("content-type") ?? "", headers: res.headers, text };
}

const describeBody = (b: Body) => (b.kind === "text" ? JSON.stringify(b.text.length > 300 ? b.text.slice(0, 300) + `…(${b.text.length} chars)` : b.text) : b.kind === "bytes" ? `bytes[${b.bytes.length}]` : "(none)");

// ---------------------------------------------------------------- state

async function fullDigest() {
  const tenants = await api.request("GET", "/api/v1/admin/tenants", { token: app.adminToken });
  return { tenant: await tenantDigest(app, T), tenants: tenants.body.items };
}
type Digest = Awaited<ReturnType<typeof fullDigest>>;

const SQL_WORDS = ["SELECT", "INSERT", "SQLITE"];

/**
 * The per-request property: < 500, problem+json for errors, and for a 4xx the
 * state is what it was. A blocked publish (422) records its evaluation and audit
 * rows by design and nothing else. Returns the new baseline.
 */
async function checkResponse(label: string, res: Res & { text: string }, requestText: string, before: Digest): Promise<Digest> {
  const ctx = `${label} → ${res.status} ${res.text.slice(0, 400)}`;
  expect(res.status, ctx).toBeLessThan(500);
  if (res.status < 400) return fullDigest();
  expectProblemShape(res, { leakCheck: !SQL_WORDS.some((w) => requestText.includes(w)) });
  const after = await fullDigest();
  if (res.status === 422 && res.body?.code === "fairness_gate_blocked") {
    const { evaluations: eb, auditCount: ab, auditLastSeq: sb, db: dbb, ...restB } = before.tenant;
    const { evaluations: ea, auditCount: aa, auditLastSeq: sa, db: dba, ...restA } = after.tenant;
    expect(restA, ctx).toEqual(restB);
    expect({ ...dba, evaluations: dbb.evaluations, audit: dbb.audit }, ctx).toEqual(dbb);
    expect(dba.evaluations, ctx).toBe(dbb.evaluations + 1);
    expect(dba.audit, ctx).toBe(dbb.audit + 2);
    return after;
  }
  expect(after, ctx).toEqual(before);
  return after;
}

// ---------------------------------------------------------------- generators

const WEIRD_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "x\udc00y\ud83d",
  "\uffff",
  "\u202eevil",
  "😀".repeat(3),
  "__proto__",
  "constructor",
  "toString",
  "' OR 1=1 --",
  "Robert'); DROP TABLE decision_traces;--",
  "%s%n%x",
  "../../etc/passwd",
  "null",
  "9".repeat(400),
];
const str = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constantFrom(...WEIRD_STRINGS) },
);
const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/);
const scalar = fc.oneof(str, fc.double(), fc.integer(), fc.boolean(), fc.constant(null));
const iso = fc.oneof(
  fc.integer({ min: -200, max: 200 }).map((d) => new Date(Date.now() + d * 86_400_000).toISOString()),
  fc.constantFrom("2030-01-01T00:00:00+14:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2024-02-30T00:00:00Z", "not a date", "2030-01-01"),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });

/** Generators per known field of a body. */
type Fields = Record<string, fc.Arbitrary<unknown>>;

const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
const validStr = fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom(...WEIRD_STRINGS.filter((x) => x.trim() && x.length <= 256)));
const validScalar = fc.oneof(validStr, finite, fc.boolean(), fc.constant(null));
const ruleArb = fc.oneof(
  fc.record({ attribute: identifier, op: fc.constantFrom("eq", "neq"), value: fc.oneof(validStr, finite, fc.boolean()) }),
  fc.record({ attribute: identifier, op: fc.constant("in"), value: fc.array(fc.oneof(validStr, finite), { minLength: 1, maxLength: 3 }) }),
  fc.record({ attribute: identifier, op: fc.constantFrom("gte", "lte"), value: finite }),
);
/** Flow definitions that pass validation (weights kept small: see the non-finite score test below). */
const validDefinition: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(PLATINUM_FLOW),
  fc.record({
    offers: fc.uniqueArray(
      fc.record({
        id: fc.string({ minLength: 1, maxLength: 10 }),
        eligibility: fc.array(ruleArb, { maxLength: 3 }),
        model: fc.record({
          intercept: fc.double({ noNaN: true, min: -5, max: 5 }),
          numeric: fc.dictionary(identifier, fc.double({ noNaN: true, min: -1, max: 1 }), { maxKeys: 3 }),
          categorical: fc.dictionary(identifier, fc.dictionary(validStr, fc.double({ noNaN: true, min: -3, max: 3 }), { maxKeys: 3 }), { maxKeys: 2 }),
        }),
        minPropensity: fc.double({ noNaN: true, min: 0, max: 1 }),
      }),
      { minLength: 1, maxLength: 3, selector: (o) => o.id },
    ),
    maxOffers: fc.integer({ min: 1, max: 3 }),
  }),
);
const noisyDefinition: fc.Arbitrary<unknown> = fc.record({
  offers: fc.oneof(
    fc.array(
      fc.record({
        id: str,
        eligibility: fc.array(fc.record({ attribute: fc.oneof(identifier, str), op: fc.constantFrom("eq", "neq", "in", "gte", "lte", "like"), value: fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })) }), { maxLength: 3 }),
        model: fc.record({ intercept: fc.oneof(fc.double(), str), numeric: fc.dictionary(fc.oneof(identifier, str), fc.oneof(fc.double(), str), { maxKeys: 3 }), categorical: anyJson }, { requiredKeys: [] }),
        minPropensity: fc.oneof(fc.double({ min: -1, max: 2 }), anyJson),
      }, { requiredKeys: [] }),
      { maxLength: 3 },
    ),
    anyJson,
  ),
  maxOffers: fc.oneof(fc.integer({ min: -1, max: 300 }), fc.double(), anyJson),
}, { requiredKeys: [] });
const futureWithin = (minDays: number, maxDays: number) => fc.integer({ min: minDays * 24, max: maxDays * 24 }).map((h) => new Date(Date.now() + h * 3_600_000).toISOString());
const validPolicy = fc.record(
  {
    enabled: fc.boolean(),
    sensitiveAttribute: fc.constantFrom("ageBand", "region", "__proto__", "constructor", "x"),
    thresholds: fc.record({ disparateImpactRatio: fc.double({ noNaN: true, min: 0, max: 1 }), demographicParityGap: fc.double({ noNaN: true, min: 0, max: 1 }), equalOpportunityGap: fc.double({ noNaN: true, min: 0, max: 1 }) }, { requiredKeys: [] }),
    minSampleSize: fc.integer({ min: 1, max: 50 }),
    windowDays: fc.integer({ min: 1, max: 365 }),
    continuousRecheck: fc.boolean(),
    onInsufficientSamples: fc.constantFrom("skip", "block"),
    override: fc.record({ reason: fc.constant("documented inline exception"), expiresAt: futureWithin(1, 80), approvedBy: validStr, enabled: fc.boolean() }, { requiredKeys: ["reason", "expiresAt"] }),
  },
  { requiredKeys: ["enabled", "sensitiveAttribute", "thresholds"] },
);
const noisyPolicy = fc.record(
  {
    enabled: fc.oneof(fc.boolean(), anyJson),
    sensitiveAttribute: fc.oneof(identifier, str),
    thresholds: fc.oneof(fc.record({ disparateImpactRatio: fc.double({ min: -1, max: 2 }), demographicParityGap: fc.double() }, { requiredKeys: [] }), anyJson),
    minSampleSize: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.double()),
    windowDays: fc.oneof(fc.integer({ min: -5, max: 400 }), anyJson),
    continuousRecheck: fc.oneof(fc.boolean(), anyJson),
    onInsufficientSamples: fc.oneof(fc.constantFrom("skip", "block", "explode"), anyJson),
    override: fc.oneof(fc.record({ reason: str, expiresAt: iso, approvedBy: str, enabled: fc.boolean(), flowId: str }, { requiredKeys: [] }), anyJson),
  },
  { requiredKeys: [] },
);
// Recommend attributes never name "ageBand" here: values like "constructor" there hit a known bug, pinned by its own test below.
const validAttributes = fc.dictionary(fc.oneof(identifier, fc.constantFrom("tier", "income", "__proto__")), validScalar, { maxKeys: 5 });
const noisyAttributes = fc.oneof(fc.dictionary(fc.oneof(identifier, str), scalar, { maxKeys: 5 }), anyJson);
const futureIso = fc.integer({ min: 1, max: 365 * 24 }).map((h) => new Date(Date.now() + h * 3_600_000).toISOString());
const pastWithin = fc.integer({ min: 0, max: 30 * 24 }).map((h) => new Date(Date.now() - h * 3_600_000).toISOString());

interface FuzzRoute {
  name: string;
  method: string;
  path: () => string;
  token: () => string;
  /** Generators that produce a valid body (the base that mutations start from). */
  valid: () => Fields;
  /** Looser generators: wrong types, out-of-range values. */
  noisy: () => Fields;
  ndjson?: boolean;
}

const ROUTES: FuzzRoute[] = [
  {
    name: "POST /recommend",
    method: "POST",
    path: () => "/api/v1/recommend",
    token: () => T.keys.all!,
    valid: () => ({ customerId: validStr, decisionFlowKey: fc.constant(ids.activeKey), attributes: validAttributes }),
    noisy: () => ({ customerId: str, decisionFlowKey: fc.oneof(fc.constantFrom(ids.activeKey, ids.draftKey, "nope", ""), str), attributes: noisyAttributes }),
  },
  {
    name: "POST /outcomes",
    method: "POST",
    path: () => "/api/v1/outcomes",
    token: () => T.keys.all!,
    valid: () => ({ traceId: fc.constantFrom(ids.traceId, "00000000-0000-4000-8000-000000000000"), converted: fc.boolean() }),
    noisy: () => ({ traceId: fc.oneof(fc.constant(ids.traceId), str), converted: fc.oneof(fc.boolean(), anyJson) }),
  },
  {
    name: "POST /decision-traces/bulk",
    method: "POST",
    path: () => "/api/v1/decision-traces/bulk",
    token: () => T.keys.all!,
    ndjson: true,
    valid: () => ({
      decisionFlowKey: fc.constantFrom(ids.activeKey, ids.draftKey),
      customerId: validStr,
      attributes: fc.dictionary(fc.oneof(identifier, fc.constant("ageBand")), validScalar, { maxKeys: 4 }),
      selected: fc.boolean(),
      version: fc.constant(1),
      score: fc.double({ noNaN: true, min: 0, max: 1 }),
      converted: fc.boolean(),
      timestamp: pastWithin,
    }),
    noisy: () => ({
      decisionFlowKey: fc.oneof(fc.constantFrom(ids.activeKey, ids.draftKey, "fz-none"), str),
      customerId: str,
      attributes: noisyAttributes,
      selected: fc.oneof(fc.boolean(), anyJson),
      version: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.double(), anyJson),
      score: fc.oneof(fc.double({ min: -1, max: 2 }), fc.constant(Number.MAX_VALUE), anyJson),
      converted: fc.oneof(fc.boolean(), anyJson),
      timestamp: fc.oneof(iso, anyJson),
    }),
  },
  {
    name: "POST /decision-flows",
    method: "POST",
    path: () => "/api/v1/decision-flows",
    token: () => T.keys.all!,
    valid: () => ({ key: fc.oneof(fc.stringMatching(/^fzn[a-z0-9]{0,6}$/), fc.constant(ids.activeKey)), name: validStr, definition: validDefinition }),
    noisy: () => ({ key: fc.oneof(fc.stringMatching(/^fzn[a-z0-9]{0,6}$/), str, fc.constant(ids.activeKey)), name: str, definition: fc.oneof(noisyDefinition, anyJson) }),
  },
  {
    name: "PUT /decision-flows/{id}",
    method: "PUT",
    path: () => `/api/v1/decision-flows/${ids.draftFlowId}`,
    token: () => T.keys.all!,
    valid: () => ({ definition: validDefinition }),
    noisy: () => ({ definition: fc.oneof(noisyDefinition, anyJson) }),
  },
  {
    name: "POST /decision-flows/publish",
    method: "POST",
    path: () => "/api/v1/decision-flows/publish",
    token: () => T.keys.all!,
    valid: () => ({ id: fc.constantFrom(ids.activeFlowId, ids.draftFlowId) }),
    noisy: () => ({ id: fc.oneof(fc.constantFrom(ids.activeFlowId, ids.draftFlowId), str, anyJson) }),
  },
  {
    name: "PUT /tenant-settings",
    method: "PUT",
    path: () => "/api/v1/tenant-settings",
    token: () => T.keys.all!,
    valid: () => ({ fairnessPolicy: validPolicy }),
    noisy: () => ({ fairnessPolicy: fc.oneof(noisyPolicy, anyJson) }),
  },
  {
    name: "POST /fairness-overrides",
    method: "POST",
    path: () => "/api/v1/fairness-overrides",
    token: () => T.keys.all!,
    valid: () => ({ reason: fc.constantFrom("documented exception, ticket 1", "  padded documented reason  "), expiresAt: futureWithin(1, 80), flowId: fc.constantFrom(ids.activeFlowId, ids.draftFlowId) }),
    noisy: () => ({ reason: str, expiresAt: fc.oneof(iso, anyJson), flowId: fc.oneof(fc.constantFrom(ids.activeFlowId, ids.draftFlowId), str, anyJson) }),
  },
  {
    name: "POST /fairness-overrides/{id}/approve",
    method: "POST",
    path: () => `/api/v1/fairness-overrides/${ids.pendingOverrideId}/approve`,
    token: () => T.keys.all!,
    valid: () => ({}),
    noisy: () => ({ approvedBy: str, status: anyJson }),
  },
  {
    name: "POST /fairness-overrides/{id}/revoke",
    method: "POST",
    path: () => `/api/v1/fairness-overrides/${ids.activeOverrideId}/revoke`,
    token: () => T.keys.all!,
    valid: () => ({ reason: validStr }),
    noisy: () => ({ reason: fc.oneof(str, anyJson) }),
  },
  {
    name: "POST /admin/tenants",
    method: "POST",
    path: () => "/api/v1/admin/tenants",
    token: () => app.adminToken,
    valid: () => ({ name: fc.stringMatching(/^fzt-[a-z0-9]{4,8}$/), region: fc.constant("default") }),
    noisy: () => ({ name: fc.oneof(str, anyJson), region: fc.oneof(fc.constant("default"), str, anyJson) }),
  },
  {
    name: "POST /admin/tenants/{id}/api-keys",
    method: "POST",
    path: () => `/api/v1/admin/tenants/${T.id}/api-keys`,
    token: () => app.adminToken,
    valid: () => ({ principal: validStr, roles: fc.uniqueArray(fc.constantFrom("operator", "publisher", "admin", "approver", "auditor"), { minLength: 1, maxLength: 5 }), expiresAt: futureIso }),
    noisy: () => ({ principal: fc.oneof(str, anyJson), roles: fc.oneof(fc.array(fc.constantFrom("operator", "admin", "root", ""), { maxLength: 7 }), anyJson), expiresAt: fc.oneof(iso, anyJson) }),
  },
  {
    name: "POST /api-keys (tenant admin)",
    method: "POST",
    path: () => "/api/v1/api-keys",
    token: () => T.keys.all!,
    valid: () => ({ principal: validStr, roles: fc.uniqueArray(fc.constantFrom("operator", "publisher", "admin", "approver", "auditor"), { minLength: 1, maxLength: 5 }), expiresAt: futureIso }),
    noisy: () => ({ principal: fc.oneof(str, anyJson), roles: fc.oneof(fc.array(fc.constantFrom("operator", "admin", "root", ""), { maxLength: 7 }), anyJson), expiresAt: fc.oneof(iso, anyJson) }),
  },
];

const SAFE_JSON = (v: unknown): string | undefined => {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
};

/** JSON texts (objects) of many malformed shapes for a route's known fields. */
function objectTexts(fields: Fields, noisy: Fields): fc.Arbitrary<string> {
  const names = Object.keys(fields);
  const valid = names.length ? fc.record(fields) : fc.constant({});
  const loose = fc.record(noisy, { requiredKeys: [] }).map((o) => JSON.stringify(o));
  const extraKey = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom("__proto__", "constructor", "prototype", "approvedBy", "tenantId", "id", "status")).filter((k) => !names.includes(k));
  const withExtra = fc.tuple(valid, fc.uniqueArray(fc.tuple(extraKey, anyJson), { minLength: 1, maxLength: 4, selector: (t) => t[0] })).map(([v, extra]) => {
    const o: Record<string, unknown> = { ...(v as object) };
    for (const [k, x] of extra) Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
    return JSON.stringify(o);
  });
  const wrongTypes = names.length ? fc.record(Object.fromEntries(names.map((n) => [n, anyJson])), { requiredKeys: [] }).map((o) => JSON.stringify(o)) : anyJson.map((v) => JSON.stringify(v));
  const oneWrong = names.length
    ? fc.tuple(valid, fc.constantFrom(...names), fc.oneof(anyJson, fc.constant(undefined))).map(([v, n, x]) => JSON.stringify({ ...(v as object), [n]: x }))
    : anyJson.map((v) => JSON.stringify({ x: v }));
  const deep = fc.tuple(fc.integer({ min: 20, max: 20_000 }), fc.constantFrom("array", "object"), names.length ? fc.constantFrom(...names, "(root)") : fc.constant("(root)"), valid).map(([depth, kind, where, v]) => {
    const nested = kind === "array" ? "[".repeat(depth) + "1" + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
    if (where === "(root)") return nested;
    const marker = "__DEEP__";
    return JSON.stringify({ ...(v as object), [where]: marker }).replace(`"${marker}"`, nested);
  });
  const huge = fc.tuple(fc.constantFrom(200_000, 700_000, 1_100_000), fc.constantFrom("x", "é", "\ud800"), names.length ? fc.constantFrom(...names) : fc.constant("pad"), valid).map(([n, ch, field, v]) =>
    JSON.stringify({ ...(v as object), [field]: ch.repeat(n) }),
  );
  const weird = fc.tuple(valid, names.length ? fc.constantFrom(...names) : fc.constant("w"), fc.constantFrom(...WEIRD_STRINGS)).map(([v, n, s]) => JSON.stringify({ ...(v as object), [n]: s }));
  return fc.oneof(
    { weight: 2, arbitrary: valid.map((v) => JSON.stringify(v)) },
    { weight: 3, arbitrary: loose },
    { weight: 2, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 2, withBigInt: false, withBoxedValues: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }).map(SAFE_JSON).filter((s): s is string => s !== undefined) },
    { weight: 3, arbitrary: withExtra },
    { weight: 3, arbitrary: wrongTypes },
    { weight: 3, arbitrary: oneWrong },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: huge },
    { weight: 2, arbitrary: weird },
  );
}

const NON_JSON = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.string({ unit: "binary", maxLength: 50 }),
  fc.constantFrom("{", "[1,", "NaN", "undefined", "{'a':1}", '{"a":1,}', "\u0000", "null garbage", "{}{}", "\ufeff{}", "--", "<xml/>"),
);

/** Replaces some bytes of a UTF-8 body with invalid sequences. */
const invalidUtf8 = (base: fc.Arbitrary<string>) =>
  fc.tuple(base, fc.array(fc.tuple(fc.nat(), fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x00])), { minLength: 1, maxLength: 4 })).map(([text, cuts]) => {
    let bytes = Array.from(new TextEncoder().encode(text));
    for (const [at, seq] of cuts) {
      const i = bytes.length ? at % bytes.length : 0;
      bytes = [...bytes.slice(0, i), ...seq, ...bytes.slice(i)];
    }
    return new Uint8Array(bytes);
  });

function bodyArb(route: FuzzRoute): fc.Arbitrary<Body> {
  const fields = route.valid();
  const texts = objectTexts(fields, route.noisy());
  let text: fc.Arbitrary<string>;
  if (route.ndjson) {
    const lineArb = fc.oneof({ weight: 2, arbitrary: fc.record(fields, { requiredKeys: ["decisionFlowKey", "customerId", "attributes", "selected"] }).map((o) => JSON.stringify(o)) }, { weight: 4, arbitrary: texts }, { weight: 1, arbitrary: NON_JSON });
    text = fc.tuple(fc.array(lineArb, { minLength: 1, maxLength: 6 }), fc.constantFrom("\n", "\r\n", "\n\n")).map(([ls, sep]) => ls.join(sep));
  } else {
    text = fc.oneof({ weight: 6, arbitrary: texts }, { weight: 2, arbitrary: NON_JSON });
  }
  return fc.oneof(
    { weight: 12, arbitrary: text.map((t): Body => ({ kind: "text", text: t })) },
    { weight: 2, arbitrary: invalidUtf8(text).map((b): Body => ({ kind: "bytes", bytes: b })) },
    { weight: 1, arbitrary: fc.constantFrom<Body>({ kind: "none" }, { kind: "text", text: "" }, { kind: "text", text: "  \n\t" }) },
  );
}

const contentTypeArb = (ndjson: boolean) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(ndjson ? "application/x-ndjson" : "application/json") },
    {
      weight: 3,
      arbitrary: fc.constantFrom<string | null>(
        null,
        "",
        "text/plain",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/vnd.api+json",
        "application/json;;;",
        "application/x-ndjson",
        "application/ndjson; charset=latin1",
        "multipart/form-data; boundary=zzz",
        "application/json\u00e9",
      ),
    },
  );

// ---------------------------------------------------------------- properties

describe("fuzzed bodies on every mutating route", () => {
  it("covers every mutating route of the app", () => {
    expect(ROUTES.map((r) => r.name)).toHaveLength(13);
  });

  for (const route of ROUTES) {
    it(`${route.name}: never 5xx, problem+json on error, no state change on 4xx`, async () => {
      let baseline = await fullDigest();
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(bodyArb(route), contentTypeArb(!!route.ndjson), async (body, ct) => {
          const res = await send(route.method, route.path(), route.token(), body, ct);
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          const reqText = body.kind === "text" ? body.text : body.kind === "bytes" ? new TextDecoder().decode(body.bytes) : "";
          baseline = await checkResponse(`${route.method} ${route.path()} [${ct}] ${describeBody(body)}`, res, reqText, baseline);
        }),
        { numRuns: NUM_RUNS, endOnFailure: true },
      );
      if (process.env.FUZZ_DEBUG) console.log(route.name, JSON.stringify([...seen].sort()));
      // The fuzzer must actually have exercised the error paths (not only, say, 401s or 415s).
      const fourXX = [...seen.entries()].filter(([s]) => s >= 400 && s < 500).reduce((n, [, c]) => n + c, 0);
      expect(fourXX, JSON.stringify([...seen])).toBeGreaterThan(NUM_RUNS / 3);
      expect(seen.has(400), JSON.stringify([...seen])).toBe(true);
      expect(seen.has(401) || seen.has(403), "auth was never the reason for an error").toBe(false);
    });
  }
});

describe("fuzzed ids in paths", () => {
  it("GET/PUT flows, GET evaluations/overrides, approve/revoke: never 5xx, always problem+json on error", async () => {
    let baseline = await fullDigest();
    const idArb = fc.oneof(fc.string({ minLength: 1, maxLength: 80 }), fc.string({ unit: "binary", minLength: 1, maxLength: 20 }), fc.constantFrom(...WEIRD_STRINGS.filter(Boolean), "%", "..", "a/b", "x".repeat(5000)));
    const shapes: [string, (id: string) => string, unknown?][] = [
      ["GET", (id) => `/api/v1/decision-flows/${id}`],
      ["PUT", (id) => `/api/v1/decision-flows/${id}`, { definition: PLATINUM_FLOW }],
      ["GET", (id) => `/api/v1/fairness-evaluations/${id}`],
      ["GET", (id) => `/api/v1/fairness-overrides/${id}`],
      ["POST", (id) => `/api/v1/fairness-overrides/${id}/approve`],
      ["POST", (id) => `/api/v1/fairness-overrides/${id}/revoke`, { reason: "fuzz" }],
    ];
    await fc.assert(
      fc.asyncProperty(idArb, fc.nat({ max: shapes.length - 1 }), fc.boolean(), async (id, which, encode) => {
        const [method, path, body] = shapes[which]!;
        // Unencoded ids go through the URL parser as-is (it percent-encodes what it must).
        let seg = id.replace(/[?#]/g, "");
        if (encode) {
          try {
            seg = encodeURIComponent(id);
          } catch {
            /* lone surrogates cannot be percent-encoded: send them raw */
          }
        }
        const p = path(seg);
        const res = await send(method, p, T.keys.all!, body === undefined ? { kind: "none" } : { kind: "text", text: JSON.stringify(body) }, body === undefined ? null : "application/json");
        baseline = await checkResponse(`${method} ${p}`, res, p, baseline);
      }),
      { numRuns: NUM_RUNS, endOnFailure: true },
    );
  });
});

describe("fuzzed query strings on the list routes", () => {
  const LISTS: { path: string; params: string[] }[] = [
    { path: "/api/v1/decision-flows", params: ["status"] },
    { path: "/api/v1/fairness-overrides", params: ["status", "flowId"] },
    { path: "/api/v1/fairness-evaluations", params: ["flowId", "limit"] },
    { path: "/api/v1/audit-log", params: ["entityType", "entityId", "cursor", "limit"] },
  ];
  const valueArb = fc.oneof(
    str,
    fc.integer().map(String),
    fc.double().map(String),
    fc.constantFrom("0", "-1", "1", "500", "501", "1e2", "1e400", "0x10", " 5 ", "NaN", "Infinity", "", "active", "draft", "paused", "pending", "revoked", "decision_flow", "x".repeat(65)),
    // Cursors: valid-looking, huge, negative, not base64, base64 of junk.
    fc.oneof(fc.bigInt({ min: -10n, max: 10n ** 20n }).map((n) => btoa(`seq:${n}`)), fc.string({ maxLength: 12 }).map((s) => btoa(unescape(encodeURIComponent(s)))), fc.constantFrom("%%%", "====", "c2VxOjE", "seq:1")),
  );
  for (const list of LISTS) {
    it(`GET ${list.path}: never 5xx; 200 with an items array, or a problem`, async () => {
      const before = await fullDigest();
      const seen = new Set<number>();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...list.params) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), valueArb), { maxLength: 5 }),
          fc.boolean(),
          async (pairs, raw) => {
            // Either properly encoded, or pasted raw (invalid percent escapes, spaces, unicode).
            const qs = raw ? pairs.map(([k, v]) => `${k}=${v}`).join("&").replace(/#/g, "") : new URLSearchParams(pairs).toString();
            const path = `${list.path}?${qs}`;
            const res = await send("GET", path, T.keys.all!, { kind: "none" }, null);
            seen.add(res.status);
            const ctx = `${path} → ${res.status} ${res.text.slice(0, 300)}`;
            expect(res.status, ctx).toBeLessThan(500);
            if (res.status >= 400) {
              expect(res.status, ctx).toBe(400);
              expectProblemShape(res);
            } else {
              expect(res.status, ctx).toBe(200);
              expect(Array.isArray(res.body.items), ctx).toBe(true);
            }
          },
        ),
        { numRuns: NUM_RUNS + 15, endOnFailure: true },
      );
      expect(seen.has(200)).toBe(true);
      expect(await fullDigest()).toEqual(before);
    });
  }
});

// Both embedded file drivers: with "client" (@libsql/client) a NaN score makes the trace insert throw ("Only finite
// numbers … can be passed as arguments") and the caller gets 503 store_unavailable; with "native" the NaN is
// silently stored as NULL and the decision is quietly wrong.
for (const driver of ["native", "client"] as const) {
  describe(`[${driver} driver] well-formed inputs that drive the score to NaN (found while fuzzing)`, () => {
    let napp: InProcessApp;
    let napi: Api;
    let N: TenantFixture;
    beforeAll(async () => {
      napp = await createInProcessApp({ env: { FAIRGATE_FILE_DRIVER: driver } });
      napi = inProcessClient(napp);
      N = await createTenant(napp, `nan-${driver}`);
      const id = await createFlow(napi, N.keys.publisher, "cards", PLATINUM_FLOW);
      expect((await napi.request("POST", "/api/v1/decision-flows/publish", { token: N.keys.publisher, body: { id } })).status).toBe(200);
    });
    afterAll(async () => {
      await napp?.close();
    });

    // A categorical value that is not in the model's table must contribute nothing, whatever its name. Today
    // propensity() in worker/domain/flow.ts reads `table[String(v)]`, which also finds inherited Object.prototype
    // members ("constructor", "toString", "__proto__", …): the score becomes NaN and the offer disappears.
    it("recommend treats 'constructor', '__proto__', 'toString', … like any other unknown category", async () => {
      const ask = async (ageBand: string) => {
        const r = await napi.request("POST", "/api/v1/recommend", {
          token: N.keys.operator,
          body: { customerId: `proto-${ageBand}`, decisionFlowKey: "cards", attributes: { ageBand, tier: "gold", income: 90_000 } },
        });
        expect(r.status, `${ageBand}: ${JSON.stringify(r.body)}`).toBe(200);
        return { selected: r.body.selected, offers: r.body.offers };
      };
      const unknown = await ask("zz-not-in-table");
      expect(unknown.selected).toBe(true);
      for (const v of ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf"]) expect(await ask(v), v).toEqual(unknown);
    });

    // Finite weights times finite attribute values can overflow: 2 × 1.7e308 = Infinity, and Infinity − Infinity = NaN.
    // A client sending large numbers must get a 200 (with some decision) or a 400 — never a 5xx.
    it("recommend with attribute values that overflow the linear model: 200 or 400, never 5xx", async () => {
      const def = { offers: [{ id: "o", eligibility: [], model: { intercept: 0, numeric: { x: 2, y: -2 } }, minPropensity: 0.5 }], maxOffers: 1 };
      const id = await createFlow(napi, N.keys.publisher, "overflow", def);
      expect((await napi.request("POST", "/api/v1/decision-flows/publish", { token: N.keys.publisher, body: { id } })).status).toBe(200);
      for (const attributes of [{ x: 1.7e308, y: 1.7e308 }, { x: 1.7e308 }, { x: -1.7e308, y: -1.7e308 }]) {
        const r = await napi.request("POST", "/api/v1/recommend", { token: N.keys.operator, body: { customerId: "big", decisionFlowKey: "overflow", attributes } });
        expect([200, 400], `${JSON.stringify(attributes)} → ${r.status} ${JSON.stringify(r.body)}`).toContain(r.status);
      }
    });
  });
}

describe("platform route side effects on rejection", () => {
  // A 409 must leave nothing behind. Today POST /admin/tenants provisions (creates, migrates and keeps open) the
  // tenant database before the control-store insert that fails on the unique name, so every rejected duplicate
  // leaves an orphan database file under tenants/ (worker/http/routes/admin.ts, the provision-then-create order).
  it("POST /admin/tenants with a duplicate name: 409 and no orphan tenant database", async () => {
    const dbFiles = () => readdirSync(join(app.dataDir, "tenants")).filter((f) => f.endsWith(".db"));
    const before = dbFiles();
    const r = await send("POST", "/api/v1/admin/tenants", app.adminToken, { kind: "text", text: JSON.stringify({ name: "fuzz" }) }, "application/json");
    expect(r.status).toBe(409);
    expectProblemShape(r);
    expect(dbFiles()).toEqual(before);
  });
});
