/**
 * The API key lifecycle through the platform routes (real app in-process, real
 * libSQL files, injected clock): list (never a secret or hash), revoke (next
 * request 401), rotate with and without a grace period, expiry, lastUsedAt at
 * minute resolution, and 400 problems for bad bodies. Tenant admins and the
 * event log: api-key-admins.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeyHarness, type KeyHarness, sha256 } from "./_key-harness.js";
import { expectProblem } from "./_support.js";

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
    expect(r.body).toMatchObject({ id: k.id, status: "revoked", revokedAt: new Date(h.now()).toISOString() });
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
    expect(r.body.replaced).toMatchObject({ status: "rotating", revokedAt: new Date(h.now() + 300_000).toISOString() });
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
    const k = await newKey(A, { principal: "temp@a.test", roles: ["auditor"], expiresAt: new Date(h.now() + 60_000).toISOString() });
    expect(k.expiresAt).toBe(new Date(h.now() + 60_000).toISOString());
    expect((await flows(k.key)).status).toBe(200);
    advance(61);
    expectProblem(await flows(k.key), 401, "unauthorized");
    expect((await listed(A, k.id)).status).toBe("expired");
    // An expired key is not active any more: it cannot be rotated.
    expectProblem(await admin("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`, {}), 409, "api_key_not_active");
  });

  it("an offset expiry is stored in UTC; a rotated key inherits the expiry unless given one", async () => {
    // The instant now + 2 h, written as wall-clock time in UTC+02:00.
    const local = new Date(h.now() + 2 * 7_200_000).toISOString().replace("Z", "+02:00");
    const k = await newKey(A, { principal: "tz@a.test", roles: ["auditor"], expiresAt: local });
    expect(k.expiresAt).toBe(new Date(h.now() + 7_200_000).toISOString());
    const r = await admin("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`, {});
    expect(r.body.expiresAt).toBe(k.expiresAt);
    const r2 = await admin("POST", `/tenants/${A.id}/api-keys/${r.body.id}/rotate`, { expiresAt: new Date(h.now() + 86_400_000).toISOString() });
    expect(r2.body.expiresAt).toBe(new Date(h.now() + 86_400_000).toISOString());
  });

  it("an expiry in the past or now is 400 api_key_expiry_invalid, and nothing is created", async () => {
    const before = (await admin("GET", `/tenants/${A.id}/api-keys`)).body.items.length;
    expectProblem(await admin("POST", `/tenants/${A.id}/api-keys`, { principal: "x", roles: ["auditor"], expiresAt: new Date(h.now() - 1000).toISOString() }), 400, "api_key_expiry_invalid");
    expectProblem(await admin("POST", `/tenants/${A.id}/api-keys`, { principal: "x", roles: ["auditor"], expiresAt: new Date(h.now()).toISOString() }), 400, "api_key_expiry_invalid");
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
    const first = new Date(h.now()).toISOString();
    expect((await flows(k.key)).status).toBe(200);
    expect(await lastUsed(k.id, first)).toBe(first);
    advance(30);
    expect((await flows(k.key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect((await listed(A, k.id)).lastUsedAt).toBe(first);
    advance(31);
    const later = new Date(h.now()).toISOString();
    expect((await flows(k.key)).status).toBe(200);
    expect(await lastUsed(k.id, later)).toBe(later);
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
    expectProblem(await api.request("POST", `/api/v1/admin/tenants/${A.id}/api-keys/${k.id}/rotate`, { token: h.app.adminToken, raw: "{nope" }), 400, "invalid_json");
    // The maximum itself is accepted, and none of the refused bodies changed the key.
    expect((await listed(A, k.id)).status).toBe("active");
    const max = await admin("POST", `/tenants/${A.id}/api-keys/${k.id}/rotate`, { graceSeconds: 7 * 86_400 });
    expect(max.status, JSON.stringify(max.body)).toBe(201);
  });
});
