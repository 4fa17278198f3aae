/**
 * Proves the request guards in front of every tenant route: the role table
 * (a key without the role → 403 missing_role and nothing changes; a key with it
 * gets past the check), the CSRF header on every mutating route, 401 for
 * missing/unknown keys, 415/413 for bad media types and oversized bodies, the
 * all-or-nothing NDJSON bulk rules, and that every problem body has the RFC 9457
 * shape without SQL text or stack frames.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import {
  type Api,
  bulk,
  breachingLines,
  createFlow,
  createTenant,
  expectProblem,
  expectProblemShape,
  ndjson,
  PLATINUM_FLOW,
  policy,
  type Res,
  ROLES,
  type Role,
  tableCounts,
  tenantDigest,
  type TenantFixture,
} from "./_support.js";

const BULK_MAX_LINES = 5;
const BULK_MAX_BYTES = 4096;
const JSON_MAX_BYTES = 1024 * 1024; // the default: 1 MiB

let app: InProcessApp;
let api: Api;
let T: TenantFixture;
const ids = { flowId: "", flowKey: "rc-cards", traceId: "", pendingOverrideId: "", activeOverrideId: "", evaluationId: "" };
/** Every problem response seen in this file, checked for shape and leaks at the end. */
const problems: Res[] = [];

async function call(method: string, path: string, opts: Parameters<Api["request"]>[2] = {}): Promise<Res> {
  const r = await api.request(method, path, opts);
  if (r.status >= 400) problems.push(r);
  return r;
}

beforeAll(async () => {
  app = await createInProcessApp({ env: { FAIRGATE_BULK_MAX_LINES: String(BULK_MAX_LINES), FAIRGATE_BULK_MAX_BYTES: String(BULK_MAX_BYTES) } });
  api = inProcessClient(app);
  T = await createTenant(app, "roles", {
    approver2: { principal: "approver2@roles.test", roles: ["approver"] },
    multi: { principal: "multi@roles.test", roles: ["auditor", "operator"] },
  });
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy() })).status).toBe(200);
  ids.flowId = await createFlow(api, T.keys.publisher, ids.flowKey, PLATINUM_FLOW);
  const pub = await api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id: ids.flowId } });
  expect(pub.status).toBe(200);
  ids.evaluationId = pub.body.evaluation.id;
  const rec = await api.request("POST", "/api/v1/recommend", { token: T.keys.operator, body: { customerId: "c1", decisionFlowKey: ids.flowKey, attributes: { ageBand: "65+", tier: "gold" } } });
  expect(rec.status).toBe(200);
  ids.traceId = rec.body.traceId;
  const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
  const p = await api.request("POST", "/api/v1/fairness-overrides", { token: T.keys.admin, body: { reason: "pending exception for tests", expiresAt } });
  expect(p.status).toBe(201);
  ids.pendingOverrideId = p.body.id;
  const a = await api.request("POST", "/api/v1/fairness-overrides", { token: T.keys.admin, body: { reason: "active exception for tests", expiresAt } });
  expect((await api.request("POST", `/api/v1/fairness-overrides/${a.body.id}/approve`, { token: T.keys.approver })).status).toBe(200);
  ids.activeOverrideId = a.body.id;
});

afterAll(async () => {
  await app?.close();
});

interface RouteSpec {
  name: string;
  method: string;
  path: () => string;
  roles: Role[];
  /** A body that would succeed (and change state) if the guards let it through. */
  valid?: () => unknown;
  /** NDJSON instead of JSON. */
  ndjson?: boolean;
  /** A body that passes the role check but fails validation, to show the role was accepted without changing anything. */
  invalid?: () => { raw: string; contentType: string };
}

const INVALID_JSON = () => ({ raw: JSON.stringify({ definitelyNotAField: 1 }), contentType: "application/json" });
const READERS: Role[] = ["operator", "publisher", "admin", "approver", "auditor"];
const EVIDENCE_READERS: Role[] = ["publisher", "admin", "approver", "auditor"];
const future = () => new Date(Date.now() + 3_600_000).toISOString();

const ROUTES: RouteSpec[] = [
  {
    name: "POST /recommend",
    method: "POST",
    path: () => "/api/v1/recommend",
    roles: ["operator"],
    valid: () => ({ customerId: "c2", decisionFlowKey: ids.flowKey, attributes: { ageBand: "65+", tier: "gold" } }),
    invalid: INVALID_JSON,
  },
  { name: "POST /outcomes", method: "POST", path: () => "/api/v1/outcomes", roles: ["operator"], valid: () => ({ traceId: ids.traceId, converted: true }), invalid: INVALID_JSON },
  {
    name: "POST /decision-traces/bulk",
    method: "POST",
    path: () => "/api/v1/decision-traces/bulk",
    roles: ["operator"],
    ndjson: true,
    valid: () => breachingLines(ids.flowKey, 1),
    invalid: () => ({ raw: "{not json}\n", contentType: "application/x-ndjson" }),
  },
  {
    name: "POST /decision-flows",
    method: "POST",
    path: () => "/api/v1/decision-flows",
    roles: ["publisher"],
    valid: () => ({ key: "new-flow", name: "New", definition: PLATINUM_FLOW }),
    invalid: INVALID_JSON,
  },
  { name: "PUT /decision-flows/{id}", method: "PUT", path: () => `/api/v1/decision-flows/${ids.flowId}`, roles: ["publisher"], valid: () => ({ definition: PLATINUM_FLOW }), invalid: INVALID_JSON },
  { name: "POST /decision-flows/publish", method: "POST", path: () => "/api/v1/decision-flows/publish", roles: ["publisher"], valid: () => ({ id: ids.flowId }), invalid: INVALID_JSON },
  { name: "GET /decision-flows", method: "GET", path: () => "/api/v1/decision-flows", roles: READERS },
  { name: "GET /decision-flows/{id}", method: "GET", path: () => `/api/v1/decision-flows/${ids.flowId}`, roles: READERS },
  { name: "GET /tenant-settings", method: "GET", path: () => "/api/v1/tenant-settings", roles: ["admin", "approver", "auditor"] },
  { name: "PUT /tenant-settings", method: "PUT", path: () => "/api/v1/tenant-settings", roles: ["admin"], valid: () => policy({ minSampleSize: 77 }), invalid: INVALID_JSON },
  {
    name: "POST /fairness-overrides",
    method: "POST",
    path: () => "/api/v1/fairness-overrides",
    roles: ["admin"],
    valid: () => ({ reason: "a documented reason", expiresAt: future() }),
    invalid: INVALID_JSON,
  },
  { name: "POST /fairness-overrides/{id}/approve", method: "POST", path: () => `/api/v1/fairness-overrides/${ids.pendingOverrideId}/approve`, roles: ["approver"], valid: () => ({}), invalid: INVALID_JSON },
  { name: "POST /fairness-overrides/{id}/revoke", method: "POST", path: () => `/api/v1/fairness-overrides/${ids.activeOverrideId}/revoke`, roles: ["admin"], valid: () => ({ reason: "done" }), invalid: INVALID_JSON },
  { name: "GET /fairness-overrides", method: "GET", path: () => "/api/v1/fairness-overrides", roles: EVIDENCE_READERS },
  { name: "GET /fairness-overrides/{id}", method: "GET", path: () => `/api/v1/fairness-overrides/${ids.pendingOverrideId}`, roles: EVIDENCE_READERS },
  { name: "GET /fairness-evaluations", method: "GET", path: () => "/api/v1/fairness-evaluations", roles: EVIDENCE_READERS },
  { name: "GET /fairness-evaluations/{id}", method: "GET", path: () => `/api/v1/fairness-evaluations/${ids.evaluationId}`, roles: EVIDENCE_READERS },
  { name: "GET /audit-log", method: "GET", path: () => "/api/v1/audit-log", roles: EVIDENCE_READERS },
];
const MUTATING = ROUTES.filter((r) => r.method !== "GET");

function send(route: RouteSpec, token: string | undefined, opts: { csrf?: boolean; headers?: Record<string, string>; body?: "valid" | "invalid" } = {}) {
  const which = opts.body ?? "valid";
  if (which === "invalid" && route.invalid) {
    const inv = route.invalid();
    return call(route.method, route.path(), { token, raw: inv.raw, contentType: inv.contentType, csrf: opts.csrf, headers: opts.headers });
  }
  const body = route.valid?.();
  if (route.ndjson) return call(route.method, route.path(), { token, raw: ndjson(body as unknown[]), contentType: "application/x-ndjson", csrf: opts.csrf, headers: opts.headers });
  return call(route.method, route.path(), { token, body, csrf: opts.csrf, headers: opts.headers });
}

describe("role matrix", () => {
  it("covers every tenant route; only flow reads are open to every role", () => {
    // Guards against the table silently shrinking: 18 routes, all but the two flow reads denied to someone.
    expect(ROUTES).toHaveLength(18);
    const open = ROUTES.filter((r) => ROLES.every((x) => r.roles.includes(x))).map((r) => r.name);
    expect(open).toEqual(["GET /decision-flows", "GET /decision-flows/{id}"]);
  });

  for (const route of ROUTES) {
    if (ROLES.some((x) => !route.roles.includes(x))) it(`${route.name}: roles without access get 403 missing_role and nothing changes`, async () => {
      const before = await tenantDigest(app, T);
      for (const role of ROLES.filter((x) => !route.roles.includes(x))) {
        const r = await send(route, T.keys[role]);
        expectProblem(r, 403, "missing_role");
        for (const need of route.roles) expect(r.body.detail).toContain(need);
      }
      expect(await tenantDigest(app, T)).toEqual(before);
    });

    it(`${route.name}: roles ${route.roles.join(", ")} get past the role check`, async () => {
      const before = await tenantDigest(app, T);
      for (const role of route.roles) {
        // Mutating routes get a body that fails validation, so the role is shown to be accepted without a state change.
        const r = await send(route, T.keys[role], { body: "invalid" });
        if (route.method === "GET") expect(r.status, `${role}: ${JSON.stringify(r.body)}`).toBe(200);
        else expectProblem(r, 400);
      }
      expect(await tenantDigest(app, T)).toEqual(before);
    });
  }

  it("roles of a multi-role key add up (auditor+operator may recommend and read the audit log)", async () => {
    const rec = await call("POST", "/api/v1/recommend", { token: T.keys.multi, body: { customerId: "m", decisionFlowKey: ids.flowKey, attributes: { ageBand: "25-34" } } });
    expect(rec.status).toBe(200);
    expect((await call("GET", "/api/v1/audit-log", { token: T.keys.multi })).status).toBe(200);
    expectProblem(await call("PUT", "/api/v1/tenant-settings", { token: T.keys.multi, body: policy() }), 403, "missing_role");
  });
});

describe("CSRF header", () => {
  for (const route of MUTATING) {
    it(`${route.name}: without X-Requested-With: XMLHttpRequest → 403 csrf_header_missing, nothing changed`, async () => {
      const before = await tenantDigest(app, T);
      const token = T.keys[route.roles[0]!];
      expectProblem(await send(route, token, { csrf: false }), 403, "csrf_header_missing");
      for (const value of ["xmlhttprequest", "fetch", "", "XMLHttpRequest2"]) {
        expectProblem(await send(route, token, { csrf: false, headers: { "x-requested-with": value } }), 403, "csrf_header_missing");
      }
      expect(await tenantDigest(app, T)).toEqual(before);
    });
  }

  it("platform routes need it too", async () => {
    const r = await call("POST", "/api/v1/admin/tenants", { token: app.adminToken, body: { name: "csrf-victim" }, csrf: false });
    expectProblem(r, 403, "csrf_header_missing");
    const k = await call("POST", `/api/v1/admin/tenants/${T.id}/api-keys`, { token: app.adminToken, body: { principal: "x", roles: ["admin"] }, csrf: false });
    expectProblem(k, 403, "csrf_header_missing");
    const list = await api.request("GET", "/api/v1/admin/tenants", { token: app.adminToken });
    expect(list.body.items.map((t: { name: string }) => t.name)).toEqual(["roles"]);
  });

  it("the header is what matters: with it, the same request goes through (the test above is not vacuous)", async () => {
    const route = MUTATING.find((r) => r.name === "POST /recommend")!;
    expect((await send(route, T.keys.operator)).status).toBe(200);
  });
});

describe("authentication", () => {
  for (const route of ROUTES) {
    it(`${route.name}: 401 without a key and with an unknown key`, async () => {
      expectProblem(await send(route, undefined), 401, "unauthorized");
      expectProblem(await send(route, "fgk_unknownunknownunknown"), 401, "unauthorized");
      // Missing key and missing CSRF header: authentication is reported first.
      if (route.method !== "GET") expectProblem(await send(route, undefined, { csrf: false }), 401, "unauthorized");
    });
  }
});

describe("media types and sizes", () => {
  it("415 for a JSON route sent as text/plain (and other non-JSON types)", async () => {
    const before = await tenantDigest(app, T);
    for (const route of MUTATING.filter((r) => !r.ndjson)) {
      const token = T.keys[route.roles[0]!];
      for (const ct of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/x-ndjson"]) {
        const r = await call(route.method, route.path(), { token, raw: JSON.stringify(route.valid!()), contentType: ct });
        expectProblem(r, 415, "unsupported_media_type");
      }
    }
    expect(await tenantDigest(app, T)).toEqual(before);
  });

  it("JSON with a charset parameter or a +json suffix is accepted", async () => {
    const r = await call("POST", "/api/v1/recommend", {
      token: T.keys.operator,
      raw: JSON.stringify({ customerId: "cs", decisionFlowKey: ids.flowKey, attributes: {} }),
      contentType: "application/json; charset=utf-8",
    });
    expect(r.status).toBe(200);
  });

  it("413 payload_too_large for a JSON body over 1 MiB on every JSON route; just under is a plain 400", async () => {
    const before = await tenantDigest(app, T);
    for (const route of MUTATING.filter((r) => !r.ndjson)) {
      const token = T.keys[route.roles[0]!];
      const pad = (total: number) => {
        const head = '{"pad":"';
        const tail = '"}';
        return head + "x".repeat(total - head.length - tail.length) + tail;
      };
      const over = pad(JSON_MAX_BYTES + 1);
      expect(Buffer.byteLength(over)).toBe(JSON_MAX_BYTES + 1);
      expectProblem(await call(route.method, route.path(), { token, raw: over }), 413, "payload_too_large");
      const under = pad(JSON_MAX_BYTES);
      expectProblem(await call(route.method, route.path(), { token, raw: under }), 400);
    }
    expect(await tenantDigest(app, T)).toEqual(before);
  });
});

describe("NDJSON bulk loads", () => {
  it("415 for anything but an NDJSON content type", async () => {
    const before = (await tableCounts(app, T.id)).traces;
    for (const ct of ["application/json", "text/plain", "application/ndjsonx", "text/x-ndjson"]) {
      expectProblem(await bulk(api, T.keys.operator, breachingLines(ids.flowKey, 1), ct), 415, "unsupported_media_type");
    }
    expect((await tableCounts(app, T.id)).traces).toBe(before);
    // And the accepted NDJSON spellings work.
    for (const ct of ["application/x-ndjson", "application/ndjson; charset=utf-8", "application/jsonl"]) {
      expect((await bulk(api, T.keys.operator, breachingLines(ids.flowKey, 1), ct)).status).toBe(201);
    }
    expect((await tableCounts(app, T.id)).traces).toBe(before + 6);
  });

  it("400 listing the bad line numbers, with nothing written", async () => {
    const before = await tenantDigest(app, T);
    const good = JSON.stringify(breachingLines(ids.flowKey, 1)[0]);
    const body = [
      good, // 1
      "{not json", // 2
      "", // 3 (blank lines are skipped, but still counted for numbering)
      JSON.stringify({ decisionFlowKey: ids.flowKey, customerId: "x", attributes: {}, selected: "yes" }), // 4: wrong type
      JSON.stringify({ decisionFlowKey: "no-such-flow", customerId: "x", attributes: {}, selected: true }), // 5: unknown flow
    ].join("\n");
    const r = await bulk(api, T.keys.operator, body);
    expectProblem(r, 400, "bulk_invalid_lines");
    expect(r.body.badLines).toEqual([2, 4, 5]);
    expect(r.body.badLineCount).toBe(3);
    expect(await tenantDigest(app, T)).toEqual(before);
  });

  it("400 bulk_empty for a body with no lines", async () => {
    const before = (await tableCounts(app, T.id)).traces;
    expectProblem(await bulk(api, T.keys.operator, "\n \n"), 400, "bulk_empty");
    expect((await tableCounts(app, T.id)).traces).toBe(before);
  });

  it(`413 bulk_too_many_lines over FAIRGATE_BULK_MAX_LINES=${BULK_MAX_LINES}; exactly the limit is accepted`, async () => {
    const before = (await tableCounts(app, T.id)).traces;
    const lines = (n: number) => Array.from({ length: n }, (_, i) => ({ decisionFlowKey: ids.flowKey, customerId: `l${i}`, attributes: {}, selected: true }));
    expectProblem(await bulk(api, T.keys.operator, lines(BULK_MAX_LINES + 1)), 413, "bulk_too_many_lines");
    expect((await tableCounts(app, T.id)).traces).toBe(before);
    expect((await bulk(api, T.keys.operator, lines(BULK_MAX_LINES))).status).toBe(201);
    expect((await tableCounts(app, T.id)).traces).toBe(before + BULK_MAX_LINES);
  });

  it(`413 payload_too_large over FAIRGATE_BULK_MAX_BYTES=${BULK_MAX_BYTES}`, async () => {
    const before = (await tableCounts(app, T.id)).traces;
    const big = JSON.stringify({ decisionFlowKey: ids.flowKey, customerId: "x".repeat(BULK_MAX_BYTES), attributes: {}, selected: true }) + "\n";
    expectProblem(await bulk(api, T.keys.operator, big), 413, "payload_too_large");
    expect((await tableCounts(app, T.id)).traces).toBe(before);
  });
});

describe("problem bodies", () => {
  it("unknown routes are problem+json 404s too", async () => {
    expectProblem(await call("GET", "/api/v1/nope", { token: T.keys.admin }), 404, "not_found");
    expectProblem(await call("GET", "/nope"), 404, "not_found");
  });

  it("every problem response in this file had type,title,status,detail,code and no SQL or stack frames", () => {
    // Enough variety that this check means something.
    expect(problems.length).toBeGreaterThan(150);
    const statuses = new Set(problems.map((p) => p.status));
    for (const s of [400, 401, 403, 404, 413, 415]) expect(statuses.has(s), `saw a ${s}`).toBe(true);
    for (const p of problems) {
      expectProblemShape(p);
      expect(p.body.type).toBe(`https://fairgate.dev/problems/${p.body.code.replace(/_/g, "-")}`);
    }
  });
});
