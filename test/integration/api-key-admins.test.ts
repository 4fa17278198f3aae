/**
 * API keys from the tenant side and the record of every key event: tenant admins
 * list, create (never with a role they lack), revoke and rotate their own
 * tenant's keys through /api/v1/api-keys; another tenant's key id is 404 on
 * every verb; every create, revoke and rotate is a row of the control store's
 * append-only api_key_events (and mirrored into the tenant's audit log), never
 * holding a secret or its hash.
 */
import { createClient as createLibsqlClient } from "@libsql/client";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeyHarness, type KeyHarness, sha256 } from "./_key-harness.js";
import { allAudit, expectProblem } from "./_support.js";

let h: KeyHarness;
let api: KeyHarness["api"];
let A: KeyHarness["A"];
let B: KeyHarness["B"];
const admin: KeyHarness["admin"] = (...a) => h.admin(...a);
const flows: KeyHarness["flows"] = (t) => h.flows(t);
const newKey: KeyHarness["newKey"] = (t, b) => h.newKey(t, b);
const listed: KeyHarness["listed"] = (t, k) => h.listed(t, k);
const advance = (s: number) => h.advance(s);

beforeAll(async () => {
  h = await createKeyHarness();
  ({ api, A, B } = h);
});

afterAll(async () => {
  await h?.app.close();
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

describe("request guards on the key routes", () => {
  it("every mutating key route needs the CSRF header (403, nothing changes) and a valid key or token (401)", async () => {
    const k = await newKey(A, { principal: "guarded@a.test", roles: ["auditor"] });
    const events = (await admin("GET", `/tenants/${A.id}/api-key-events`)).body.items.length;
    const routes: [string, string, string, unknown][] = [
      [A.keys.admin, "POST", "/api/v1/api-keys", { principal: "x", roles: ["admin"] }],
      [A.keys.admin, "DELETE", `/api/v1/api-keys/${k.id}`, undefined],
      [A.keys.admin, "POST", `/api/v1/api-keys/${k.id}/rotate`, {}],
      [h.app.adminToken, "POST", `/api/v1/admin/tenants/${A.id}/api-keys`, { principal: "x", roles: ["admin"] }],
      [h.app.adminToken, "DELETE", `/api/v1/admin/tenants/${A.id}/api-keys/${k.id}`, undefined],
      [h.app.adminToken, "POST", `/api/v1/admin/tenants/${A.id}/api-keys/${k.id}/rotate`, {}],
    ];
    for (const [token, method, path, body] of routes) {
      expectProblem(await api.request(method, path, { token, body, csrf: false }), 403, "csrf_header_missing");
      expectProblem(await api.request(method, path, { body }), 401, "unauthorized");
      expectProblem(await api.request(method, path, { token: "fgk_unknownunknownunknown", body }), 401, "unauthorized");
    }
    // A tenant key never opens the platform key routes, whatever its roles.
    expectProblem(await api.request("GET", `/api/v1/admin/tenants/${A.id}/api-keys`, { token: A.keys.admin }), 401, "unauthorized");
    expectProblem(await api.request("GET", `/api/v1/admin/tenants/${A.id}/api-key-events`, { token: A.keys.admin }), 401, "unauthorized");
    expect((await admin("GET", `/tenants/${A.id}/api-key-events`)).body.items.length).toBe(events);
    expect((await listed(A, k.id)).status).toBe("active");
    expect((await flows(k.key)).status).toBe(200);
  });
});

describe("event log in the control store", () => {
  it("records create, revoke and rotate with actor, tenant, key and time, never a secret", async () => {
    const k = await newKey(B, { principal: "log@b.test", roles: ["auditor"] });
    const t0 = new Date(h.now()).toISOString();
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
    const db = createLibsqlClient({ url: "file:" + join(h.app.dataDir, "control.db"), intMode: "number" });
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

