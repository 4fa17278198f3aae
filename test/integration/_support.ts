/**
 * Shared fixtures for the integration suites (not a test file): tenants with
 * one key per role, NDJSON bulk traffic, a digest of a tenant's observable
 * state, direct reads of the tenant database, and problem+json assertions.
 */
import { createClient as createLibsqlClient, type Client } from "@libsql/client";
import { join } from "node:path";
import { expect } from "vitest";
import { inProcessClient, type InProcessApp } from "../helpers/in-process.js";

export { PLATINUM_FLOW } from "../e2e/story.case.js";

export const ROLES = ["operator", "publisher", "admin", "approver", "auditor"] as const;
export type Role = (typeof ROLES)[number];

export type Api = ReturnType<typeof inProcessClient>;
export type Res = Awaited<ReturnType<Api["request"]>>;

/** Values by key label: every role is always present; extra labels may be. */
export type Labelled = Record<Role, string> & Record<string, string>;

export interface TenantFixture {
  id: string;
  name: string;
  /** Bearer keys by label (one per role by default: keys.operator, keys.admin, …). */
  keys: Labelled;
  keyIds: Labelled;
  principals: Labelled;
}

/** A breaching fairness policy setup: group "65+" never selected, "25-34" always. */
export function policy(overrides: Record<string, unknown> = {}) {
  return {
    fairnessPolicy: {
      enabled: true,
      sensitiveAttribute: "ageBand",
      thresholds: { disparateImpactRatio: 0.8 },
      minSampleSize: 10,
      windowDays: 7,
      continuousRecheck: true,
      ...overrides,
    },
  };
}

/** Creates a tenant through the platform API, with keys for every role (plus any extra key specs). */
export async function createTenant(
  app: InProcessApp,
  name: string,
  extra: Record<string, { principal: string; roles: string[] }> = {},
): Promise<TenantFixture> {
  const api = inProcessClient(app);
  const t = await api.request("POST", "/api/v1/admin/tenants", { token: app.adminToken, body: { name } });
  expect(t.status, JSON.stringify(t.body)).toBe(201);
  const fx = { id: t.body.id, name, keys: {}, keyIds: {}, principals: {} } as TenantFixture;
  const specs: Record<string, { principal: string; roles: string[] }> = {};
  for (const r of ROLES) specs[r] = { principal: `${r}@${name}.test`, roles: [r] };
  Object.assign(specs, extra);
  for (const [label, spec] of Object.entries(specs)) {
    const k = await api.request("POST", `/api/v1/admin/tenants/${fx.id}/api-keys`, { token: app.adminToken, body: spec });
    expect(k.status, JSON.stringify(k.body)).toBe(201);
    fx.keys[label] = k.body.key;
    fx.keyIds[label] = k.body.id;
    fx.principals[label] = spec.principal;
  }
  return fx;
}

/** One NDJSON bulk line. */
export function line(flowKey: string, ageBand: string, selected: boolean, extra: Record<string, unknown> = {}) {
  return { decisionFlowKey: flowKey, customerId: `c-${Math.random().toString(36).slice(2, 10)}`, attributes: { ageBand }, selected, converted: true, ...extra };
}

/** `n` lines per group where "65+" is never selected and "25-34" always is: DIR = 0. */
export function breachingLines(flowKey: string, n = 10) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(line(flowKey, "65+", false), line(flowKey, "25-34", true));
  return out;
}

/** `n` lines per group with equal selection rates (50 % each): DIR = 1. */
export function fairLines(flowKey: string, n = 10) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(line(flowKey, "65+", i % 2 === 0), line(flowKey, "25-34", i % 2 === 0));
  return out;
}

export const ndjson = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join("\n") + "\n";

export async function bulk(api: Api, token: string, lines: unknown[] | string, contentType = "application/x-ndjson"): Promise<Res> {
  return api.request("POST", "/api/v1/decision-traces/bulk", { token, raw: typeof lines === "string" ? lines : ndjson(lines), contentType });
}

/** Creates a flow (draft) and returns its id. */
export async function createFlow(api: Api, publisherKey: string, key: string, definition: unknown): Promise<string> {
  const r = await api.request("POST", "/api/v1/decision-flows", { token: publisherKey, body: { key, name: `Flow ${key}`, definition } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

/** Opens the tenant's embedded database file directly (read-side checks the API cannot make). */
export function openTenantDb(app: InProcessApp, tenantId: string): Client {
  return createLibsqlClient({ url: "file:" + join(app.dataDir, "tenants", `${tenantId}.db`), intMode: "number" });
}

/** Row counts straight from the tenant database. */
export async function tableCounts(app: InProcessApp, tenantId: string) {
  const db = openTenantDb(app, tenantId);
  try {
    await db.execute("PRAGMA busy_timeout = 5000");
    const one = async (sql: string) => (await db.execute(sql)).rows[0]!;
    const t = await one("SELECT count(*) AS n, count(converted) AS labeled, coalesce(sum(converted), 0) AS positives FROM decision_traces");
    return {
      traces: Number(t.n),
      tracesLabeled: Number(t.labeled),
      tracesPositive: Number(t.positives),
      audit: Number((await one("SELECT count(*) AS n FROM audit_log")).n),
      evaluations: Number((await one("SELECT count(*) AS n FROM fairness_evaluations")).n),
      overrides: Number((await one("SELECT count(*) AS n FROM fairness_overrides")).n),
      flowVersions: Number((await one("SELECT count(*) AS n FROM flow_versions")).n),
    };
  } finally {
    db.close();
  }
}

/** Marks an API key revoked in the control store (there is no HTTP route for it yet). */
export async function revokeApiKeyInControlStore(app: InProcessApp, keyId: string): Promise<void> {
  const db = createLibsqlClient({ url: "file:" + join(app.dataDir, "control.db"), intMode: "number" });
  try {
    await db.execute("PRAGMA busy_timeout = 5000");
    const r = await db.execute({ sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ?", args: [new Date().toISOString(), keyId] });
    expect(r.rowsAffected).toBe(1);
  } finally {
    db.close();
  }
}

/** Reads every audit row of the tenant through the API (following cursors). */
export async function allAudit(api: Api, token: string, query = ""): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const qs = new URLSearchParams(query);
    qs.set("limit", "500");
    if (cursor) qs.set("cursor", cursor);
    const r = await api.request("GET", `/api/v1/audit-log?${qs}`, { token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.push(...r.body.items);
    cursor = r.body.nextCursor;
    if (!cursor) break;
  }
  return out;
}

/**
 * Everything a tenant can observe about its own state, as one comparable value:
 * flows (list and each full GET), overrides, evaluations, settings, the audit
 * log (count and last seq) and row counts from the database file.
 * `keys` needs an auditor key (reads everything) and any reader for flows.
 */
export async function tenantDigest(app: InProcessApp, fx: TenantFixture) {
  const api = inProcessClient(app);
  const get = async (path: string) => {
    const r = await api.request("GET", path, { token: fx.keys.auditor });
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(200);
    return r.body;
  };
  const flows = (await get("/api/v1/decision-flows")).items as { id: string }[];
  const flowDetails = [];
  for (const f of flows) flowDetails.push(await get(`/api/v1/decision-flows/${encodeURIComponent(f.id)}`));
  const audit = await allAudit(api, fx.keys.auditor);
  return {
    flows,
    flowDetails,
    overrides: (await get("/api/v1/fairness-overrides")).items,
    evaluations: (await get("/api/v1/fairness-evaluations?limit=200")).items,
    settings: await get("/api/v1/tenant-settings"),
    auditCount: audit.length,
    auditLastSeq: audit.length ? audit[audit.length - 1].seq : 0,
    db: await tableCounts(app, fx.id),
  };
}

const STACK_FRAME = /\bat\s+(?:async\s+)?(?:[\w$.<>\[\]]+\s+)?\(?(?:file:|node:|\/|[A-Za-z]:\\)[^)\s]*:\d+:\d+\)?/;

/** Asserts the shape of an RFC 9457 problem and that it leaks no SQL or stack. */
export function expectProblem(res: Res, status: number, code?: string) {
  const ctx = `${res.status} ${JSON.stringify(res.body)}`;
  expect(res.status, ctx).toBe(status);
  expectProblemShape(res);
  if (code) expect(res.body.code, ctx).toBe(code);
}

/** The problem+json shape and no-leak rules, for any status ≥ 400. */
export function expectProblemShape(res: Res, opts: { leakCheck?: boolean } = {}) {
  const ctx = `${res.status} ${typeof res.body === "string" ? res.body.slice(0, 500) : JSON.stringify(res.body)?.slice(0, 500)}`;
  expect(res.contentType, ctx).toMatch(/^application\/problem\+json/);
  expect(typeof res.body, ctx).toBe("object");
  expect(res.body, ctx).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status: res.status,
    detail: expect.any(String),
    code: expect.stringMatching(/^[a-z][a-z0-9_]*$/),
  });
  if (opts.leakCheck !== false) {
    const text = JSON.stringify(res.body);
    for (const bad of ["SELECT", "INSERT", "SQLITE", "sqlite", "LibsqlError"]) expect(text, ctx).not.toContain(bad);
    expect(text, ctx).not.toMatch(STACK_FRAME);
    expect(text, ctx).not.toContain("\\n    at ");
  }
}
