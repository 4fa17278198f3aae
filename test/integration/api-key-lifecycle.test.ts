/**
 * The API key lifecycle through the real app (in-process, real libSQL files)
 * with an injected clock: list (never a secret or hash), revoke (next request
 * 401), rotate with and without a grace period, expiry, lastUsedAt at minute
 * resolution, tenant admins managing their own keys without escalating roles,
 * other tenants' key ids as 404, the append-only event log in the control store,
 * and 400 problems for bad bodies.
 */
import { createClient as createLibsqlClient } from "@libsql/client";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, allAudit, createTenant, expectProblem, type TenantFixture } from "./_support.js";

let app: InProcessApp;
let api: Api;
let A: TenantFixture;
let B: TenantFixture;
let now = Date.parse("2026-06-01T10:00:00.000Z");
const advance = (seconds: number) => {
  now += seconds * 1000;
};

const admin = (method: string, path: string, body?: unknown) => api.request(method, `/api/v1/admin${path}`, { token: app.adminToken, body });
/** A cheap authenticated read every role may make. */
const flows = (token: string) => api.request("GET", "/api/v1/decision-flows", { token });
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

async function newKey(tenant: TenantFixture, body: Record<string, unknown>) {
  const r = await admin("POST", `/tenants/${tenant.id}/api-keys`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; key: string; principal: string; roles: string[]; status: string; expiresAt: string | null };
}

async function listed(tenant: TenantFixture, keyId: string) {
  const r = await admin("GET", `/tenants/${tenant.id}/api-keys`);
  expect(r.status).toBe(200);
  return r.body.items.find((k: { id: string }) => k.id === keyId);
}

beforeAll(async () => {
  app = await createInProcessApp({ clock: () => new Date(now) });
  api = inProcessClient(app);
  A = await createTenant(app, "keys-a", { adminOperator: { principal: "ao@a.test", roles: ["admin", "operator"] } });
  B = await createTenant(app, "keys-b");
});

afterAll(async () => {
  await app?.close();
});

describe("listing", () => {
  it("shows every key of the tenant with its metadata, never a secret or its hash", async () => {
    const r = await admin("GET", `/tenants/${A.id}/api-keys`);
    expect(r.status).toBe(200);
    expect(r.body.items.map((k: { id: string }) => k.id).sort()).toEqual(Object.values(A.keyIds).sort());
    for (const k of r.body.items) {
      expect(Object.keys(k).sort()).toEqual(["createdAt", "expiresAt", "id", "lastUsedAt", "principal", "replacedBy", "revokedAt", "roles", "status"]);
      expect(k.status).toBe("active");
    }
    const text = JSON.stringify(r.body);
    for (const key of Object.values(A.keys)) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(sha256(key));
    }
  });

  it("unknown tenant → 404", async () => {
    expectProblem(await admin("GET", "/tenants/00000000-0000-4000-8000-000000000000/api-keys"), 404, "not_found");
  });
});

describe("revoke", () => {
  it("the next request with a revoked key is 401; revoking again is 409", async () => {
    const k = await newKey(A, { principal: "leaky@a.test", roles: ["auditor"] });
    expect((await flows(k.key)).status).toBe(200);
    const r = await admin("DELETE", `/tenants/${A.id}/api-keys/${k.id}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ id: k.id, status: "revoked", revokedAt: new Date(now).toISOString() });
    expect(r.body.key).toBeUndefined();
    expectProblem(await flows(k.key), 401, "unauthorized");
    expectProblem(await admin("DELETE", `/tenants/${A.id}/api-keys/${k.id}`), 409, "api_key_already_revoked");
    expect((await listed(A, k.id)).status).toBe("revoked");
  });
});

describe("rotate", () => {
  it("grace 0 (the default): the old key is 401 at once, the new one works with the same principal and roles", async () => {
    const k = await newKey(A, { principal: "svc@a.test", roles: ["operator", "auditor"] });
    const r = await admin("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ principal: "svc@a.test", roles: ["operator", "auditor"], status: "active", replaced: { id: k.id, status: "revoked", replacedBy: r.body.id } });
    expect(r.body.key).toMatch(/^fgk_/);
    expect(r.body.key).not.toBe(k.key);
    expectProblem(await flows(k.key), 401, "unauthorized");
    expect((await flows(r.body.key)).status).toBe(200);
  });

  it("with a grace period both keys work until it ends, then only the new one", async () => {
    const k = await newKey(A, { principal: "svc2@a.test", roles: ["auditor"] });
    const r = await admin("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`, { graceSeconds: 300 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.replaced).toMatchObject({ status: "rotating", revokedAt: new Date(now + 300_000).toISOString() });
    expect((await flows(k.key)).status).toBe(200);
    expect((await flows(r.body.key)).status).toBe(200);
    // A key already on its way out cannot be rotated again (that would fork the key).
    expectProblem(await admin("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`, {}), 409, "api_key_not_active");
    advance(299);
    expect((await flows(k.key)).status).toBe(200);
    advance(2);
    expectProblem(await flows(k.key), 401, "unauthorized");
    expect((await flows(r.body.key)).status).toBe(200);
    expect((await listed(A, k.id)).status).toBe("revoked");
  });

  it("revoking a rotating key ends its grace period now", async () => {
    const k = await newKey(A, { principal: "svc3@a.test", roles: ["auditor"] });
    const r = await admin("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`, { graceSeconds: 3600 });
    expect((await flows(k.key)).status).toBe(200);
    expect((await admin("DELETE", `/tenants/${A.id}/api-keys/${k.id}`)).status).toBe(200);
    expectProblem(await flows(k.key), 401, "unauthorized");
    expect((await flows(r.body.key)).status).toBe(200);
  });

  it("a revoked key cannot be rotated back to life", async () => {
    const k = await newKey(A, { principal: "dead@a.test", roles: ["auditor"] });
    expect((await admin("DELETE", `/tenants/${A.id}/api-keys/${k.id}`)).status).toBe(200);
    expectProblem(await admin("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`, {}), 409, "api_key_not_active");
  });
});

describe("expiry", () => {
  it("a key created with expiresAt works until then and is 401 after; the list says expired", async () => {
    const k = await newKey(A, { principal: "temp@a.test", roles: ["auditor"], expiresAt: new Date(now + 60_000).toISOString() });
    expect(k.expiresAt).toBe(new Date(now + 60_000).toISOString());
    expect((await flows(k.key)).status).toBe(200);
    advance(61);
    expectProblem(await flows(k.key), 401, "unauthorized");
    expect((await listed(A, k.id)).status).toBe("expired");
    // An expired key is not active any more: it cannot be rotated.
    expectProblem(await admin("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`, {}), 409, "api_key_not_active");
  });

  it("an offset expiry is stored in UTC; a rotated key inherits the expiry unless given one", async () => {
    // The instant now + 2 h, written as wall-clock time in UTC+02:00.
    const local = new Date(now + 2 * 7_200_000).toISOString().replace("Z", "+02:00");
    const k = await newKey(A, { principal: "tz@a.test", roles: ["auditor"], expiresAt: local });
    expect(k.expiresAt).toBe(new Date(now + 7_200_000).toISOString());
    const r = await admin("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`, {});
    expect(r.body.expiresAt).toBe(k.expiresAt);
    const r2 = await admin("POST", `/tenants/${A.id}/api-keys/${r.body.id}/rotate`, { expiresAt: new Date(now + 86_400_000).toISOString() });
    expect(r2.body.expiresAt).toBe(new Date(now + 86_400_000).toISOString());
  });

  it("an expiry in the past or now is 400 api_key_expiry_invalid, and nothing is created", async () => {
    const before = (await admin("GET", `/tenants/${A.id}/api-keys`)).body.items.length;
    expectProblem(await admin("POST", `/tenants/${A.id}/api-keys`, { principal: "x", roles: ["auditor"], expiresAt: new Date(now - 1000).toISOString() }), 400, "api_key_expiry_invalid");
    expectProblem(await admin("POST", `/tenants/${A.id}/api-keys`, { principal: "x", roles: ["auditor"], expiresAt: new Date(now).toISOString() }), 400, "api_key_expiry_invalid");
    expect((await admin("GET", `/tenants/${A.id}/api-keys`)).body.items.length).toBe(before);
  });
});

describe("lastUsedAt", () => {
  /** The fire-and-forget write lands shortly after the response. */
  async function lastUsed(keyId: string, expected: string | null) {
    for (let i = 0; i < 50; i++) {
      const v = (await listed(A, keyId)).lastUsedAt;
      if (v === expected) return v;
      await new Promise((r) => setTimeout(r, 20));
    }
    return (await listed(A, keyId)).lastUsedAt;
  }

  it("is recorded on use, at most once a minute per key", async () => {
    const k = await newKey(A, { principal: "busy@a.test", roles: ["auditor"] });
    expect((await listed(A, k.id)).lastUsedAt).toBeNull();
    const first = new Date(now).toISOString();
    expect((await flows(k.key)).status).toBe(200);
    expect(await lastUsed(k.id, first)).toBe(first);
    advance(30);
    expect((await flows(k.key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect((await listed(A, k.id)).lastUsedAt).toBe(first);
    advance(31);
    const later = new Date(now).toISOString();
    expect((await flows(k.key)).status).toBe(200);
    expect(await lastUsed(k.id, later)).toBe(later);
  });
});

describe("tenant admins: /api/v1/api-keys", () => {
  it("list their own tenant's keys only; other roles get 403", async () => {
    const r = await api.request("GET", "/api/v1/api-keys", { token: A.keys.admin });
    expect(r.status).toBe(200);
    const ids = r.body.items.map((k: { id: string }) => k.id);
    for (const id of Object.values(A.keyIds)) expect(ids).toContain(id);
    for (const id of Object.values(B.keyIds)) expect(ids).not.toContain(id);
    for (const key of Object.values(A.keys)) expect(JSON.stringify(r.body)).not.toContain(key);
    for (const role of ["operator", "publisher", "approver", "auditor"] as const) {
      expectProblem(await api.request("GET", "/api/v1/api-keys", { token: A.keys[role] }), 403, "missing_role");
      expectProblem(await api.request("POST", "/api/v1/api-keys", { token: A.keys[role], body: { principal: "x", roles: ["auditor"] } }), 403, "missing_role");
      expectProblem(await api.request("DELETE", `/api/v1/api-keys/${A.keyIds.auditor}`, { token: A.keys[role] }), 403, "missing_role");
    }
  });

  it("create keys only with roles they hold: anything more is 403 role_escalation_forbidden and nothing is written", async () => {
    const before = (await admin("GET", `/tenants/${A.id}/api-key-events`)).body.items.length;
    const keysBefore = (await admin("GET", `/tenants/${A.id}/api-keys`)).body.items.length;
    for (const roles of [["operator"], ["admin", "approver"], ["auditor"], ["admin", "publisher", "approver", "auditor", "operator"]]) {
      const r = await api.request("POST", "/api/v1/api-keys", { token: A.keys.admin, body: { principal: "esc@a.test", roles } });
      expectProblem(r, 403, "role_escalation_forbidden");
    }
    expect((await admin("GET", `/tenants/${A.id}/api-key-events`)).body.items.length).toBe(before);
    expect((await admin("GET", `/tenants/${A.id}/api-keys`)).body.items.length).toBe(keysBefore);

    const mine = await api.request("POST", "/api/v1/api-keys", { token: A.keys.admin, body: { principal: "deputy@a.test", roles: ["admin"] } });
    expect(mine.status, JSON.stringify(mine.body)).toBe(201);
    expect((await api.request("GET", "/api/v1/api-keys", { token: mine.body.key })).status).toBe(200);
    // A key with admin+operator may hand out operator alone.
    const op = await api.request("POST", "/api/v1/api-keys", { token: A.keys.adminOperator, body: { principal: "bot@a.test", roles: ["operator"] } });
    expect(op.status, JSON.stringify(op.body)).toBe(201);
    expect(op.body.roles).toEqual(["operator"]);
    // Rotation mints a secret with the old key's roles, so the same rule applies.
    expectProblem(await api.request("POST", `/api/v1/api-keys/${A.keyIds.publisher}/rotate`, { token: A.keys.admin, body: {} }), 403, "role_escalation_forbidden");
    expect((await flows(A.keys.publisher)).status).toBe(200);
  });

  it("revoke a key of their tenant (next request 401) and rotate one whose roles they hold", async () => {
    const k = (await api.request("POST", "/api/v1/api-keys", { token: A.keys.admin, body: { principal: "short@a.test", roles: ["admin"] } })).body;
    const d = await api.request("DELETE", `/api/v1/api-keys/${k.id}`, { token: A.keys.admin });
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    expectProblem(await flows(k.key), 401, "unauthorized");

    const k2 = (await api.request("POST", "/api/v1/api-keys", { token: A.keys.admin, body: { principal: "rot@a.test", roles: ["admin"] } })).body;
    const r = await api.request("POST", `/api/v1/api-keys/${k2.id}/rotate`, { token: A.keys.admin, body: { graceSeconds: 0 } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expectProblem(await flows(k2.key), 401, "unauthorized");
    expect((await flows(r.body.key)).status).toBe(200);
  });

  it("another tenant's key id is 404 for every verb and that key keeps working", async () => {
    const victim = B.keyIds.auditor;
    expectProblem(await api.request("DELETE", `/api/v1/api-keys/${victim}`, { token: A.keys.admin }), 404, "not_found");
    expectProblem(await api.request("POST", `/api/v1/api-keys/${victim}/rotate`, { token: A.keys.admin, body: {} }), 404, "not_found");
    expectProblem(await api.request("DELETE", "/api/v1/api-keys/00000000-0000-4000-8000-000000000000", { token: A.keys.admin }), 404, "not_found");
    // Through the platform routes, a key id must belong to the tenant in the path.
    expectProblem(await admin("DELETE", `/tenants/${A.id}/api-keys/${victim}`), 404, "not_found");
    expectProblem(await admin("POST", `/tenants/${A.id}/api-keys/${victim}/rotate`, {}), 404, "not_found");
    expect((await flows(B.keys.auditor)).status).toBe(200);
    expect((await listed(B, victim)).status).toBe("active");
  });
});

describe("event log in the control store", () => {
  it("records create, revoke and rotate with actor, tenant, key and time, never a secret", async () => {
    const k = await newKey(B, { principal: "log@b.test", roles: ["auditor"] });
    const t0 = new Date(now).toISOString();
    const rot = await admin("POST", `/tenants/${B.id}/api-keys/${k.id}/rotate`, { graceSeconds: 60 });
    const del = await api.request("DELETE", `/api/v1/api-keys/${rot.body.id}`, { token: B.keys.admin });
    expect(del.status).toBe(200);

    const r = await admin("GET", `/tenants/${B.id}/api-key-events`);
    expect(r.status).toBe(200);
    const mine = r.body.items.filter((e: { keyId: string }) => e.keyId === k.id || e.keyId === rot.body.id);
    expect(mine.map((e: { action: string; keyId: string }) => [e.action, e.keyId === k.id ? "old" : "new"])).toEqual([
      ["create", "old"],
      ["rotate", "old"],
      ["create", "new"],
      ["revoke", "new"],
    ]);
    for (const e of mine) expect(e).toMatchObject({ tenantId: B.id, createdAt: t0 });
    expect(mine[0]).toMatchObject({ actorType: "platform", actor: "platform-admin", actorKeyId: null, detail: { principal: "log@b.test", roles: ["auditor"] } });
    expect(mine[1]).toMatchObject({ actorType: "platform", detail: { replacedBy: rot.body.id, graceSeconds: 60 } });
    expect(mine[3]).toMatchObject({ actorType: "principal", actor: B.principals.admin, actorKeyId: B.keyIds.admin });
    // Every fixture key has its create event; nothing of A's shows up in B's log.
    const created = new Set(r.body.items.filter((e: { action: string }) => e.action === "create").map((e: { keyId: string }) => e.keyId));
    for (const id of Object.values(B.keyIds)) expect(created.has(id)).toBe(true);
    for (const e of r.body.items) expect(e.tenantId).toBe(B.id);
    const text = JSON.stringify(r.body);
    for (const secret of [k.key, rot.body.key, ...Object.values(B.keys)]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(sha256(secret));
    }
    // The tenant's own audit log mirrors the events for its auditors.
    const audit = await allAudit(api, B.keys.auditor, "entityType=api_key");
    expect(audit.filter((a) => a.entityId === k.id).map((a) => a.action).sort()).toEqual(["api_key_create", "api_key_rotate"]);
    expect(audit.filter((a) => a.entityId === rot.body.id).map((a) => a.action)).toContain("api_key_revoke");
  });

  it("is append-only: UPDATE and DELETE are refused by the database", async () => {
    const db = createLibsqlClient({ url: "file:" + join(app.dataDir, "control.db"), intMode: "number" });
    try {
      await db.execute("PRAGMA busy_timeout = 5000");
      const n = Number((await db.execute("SELECT count(*) AS n FROM api_key_events")).rows[0]!.n);
      expect(n).toBeGreaterThan(10);
      await expect(db.execute("UPDATE api_key_events SET actor = 'someone-else'")).rejects.toThrow(/append-only/);
      await expect(db.execute("DELETE FROM api_key_events")).rejects.toThrow(/append-only/);
      expect(Number((await db.execute("SELECT count(*) AS n FROM api_key_events")).rows[0]!.n)).toBe(n);
      // No column of the log can hold a key hash: none of the stored hashes appear in it.
      const hashes = (await db.execute("SELECT key_hash FROM api_keys")).rows.map((r) => String(r.key_hash));
      const log = JSON.stringify((await db.execute("SELECT * FROM api_key_events")).rows);
      for (const h of hashes) expect(log).not.toContain(h);
    } finally {
      db.close();
    }
  });
});

describe("invalid bodies → 400 problem+json", () => {
  it("create and rotate validate strictly; the grace period is bounded (7 days)", async () => {
    const k = await newKey(A, { principal: "valid@a.test", roles: ["auditor"] });
    const creates: [unknown, string][] = [
      [{ principal: "x", roles: ["root"] }, "validation_failed"],
      [{ principal: "x", roles: [] }, "validation_failed"],
      [{ principal: "", roles: ["auditor"] }, "validation_failed"],
      [{ principal: "x", roles: ["auditor"], expiresAt: "tomorrow" }, "validation_failed"],
      [{ principal: "x", roles: ["auditor"], expiresAt: "2030-01-01T00:00:00" }, "validation_failed"],
      [{ principal: "x", roles: ["auditor"], secret: "mine" }, "validation_failed"],
    ];
    for (const [body, code] of creates) {
      expectProblem(await admin("POST", `/tenants/${A.id}/api-keys`, body), 400, code);
      expectProblem(await api.request("POST", "/api/v1/api-keys", { token: A.keys.admin, body }), 400, code);
    }
    const rotates: unknown[] = [{ graceSeconds: -1 }, { graceSeconds: 7 * 86_400 + 1 }, { graceSeconds: 1.5 }, { graceSeconds: "60" }, { grace: 60 }, { expiresAt: 5 }];
    for (const body of rotates) expectProblem(await admin("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`, body), 400, "validation_failed");
    expectProblem(await api.request("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`, { token: app.adminToken, raw: "{nope" }), 404);
    expectProblem(await api.request("POST", `/api/v1/admin/tenants/${A.id}/api-keys/${k.id}/rotate`, { token: app.adminToken, raw: "{nope" }), 400, "invalid_json");
    // The maximum itself is accepted, and none of the refused bodies changed the key.
    expect((await listed(A, k.id)).status).toBe("active");
    const max = await admin("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`, { graceSeconds: 7 * 86_400 });
    expect(max.status, JSON.stringify(max.body)).toBe(201);
  });
});
