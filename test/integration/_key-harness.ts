/**
 * Shared set-up for the API key suites (not a test file): the real app
 * in-process with an injected clock, two tenants with one key per role (tenant
 * A also has an admin+operator key), and small request helpers.
 */
import { createHash } from "node:crypto";
import { expect } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, createTenant, type TenantFixture } from "./_support.js";

export interface KeyHarness {
  app: InProcessApp;
  api: Api;
  A: TenantFixture;
  B: TenantFixture;
  /** Moves the injected clock forward. */
  advance(seconds: number): void;
  now(): number;
  /** A platform-token request under /api/v1/admin. */
  admin(method: string, path: string, body?: unknown): ReturnType<Api["request"]>;
  /** A cheap authenticated read every role may make. */
  flows(token: string): ReturnType<Api["request"]>;
  newKey(tenant: TenantFixture, body: Record<string, unknown>): Promise<{ id: string; key: string; principal: string; roles: string[]; status: string; expiresAt: string | null }>;
  /** The key as the platform list shows it. */
  listed(tenant: TenantFixture, keyId: string): Promise<any>;
}

export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export async function createKeyHarness(): Promise<KeyHarness> {
  let now = Date.parse("2026-06-01T10:00:00.000Z");
  const app = await createInProcessApp({ clock: () => new Date(now) });
  const api = inProcessClient(app);
  const A = await createTenant(app, "keys-a", { adminOperator: { principal: "ao@a.test", roles: ["admin", "operator"] } });
  const B = await createTenant(app, "keys-b");
  const admin = (method: string, path: string, body?: unknown) => api.request(method, `/api/v1/admin${path}`, { token: app.adminToken, body });
  return {
    app,
    api,
    A,
    B,
    advance: (seconds) => {
      now += seconds * 1000;
    },
    now: () => now,
    admin,
    flows: (token) => api.request("GET", "/api/v1/decision-flows", { token }),
    async newKey(tenant, body) {
      const r = await admin("POST", `/tenants/${tenant.id}/api-keys`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body;
    },
    async listed(tenant, keyId) {
      const r = await admin("GET", `/tenants/${tenant.id}/api-keys`);
      expect(r.status).toBe(200);
      return r.body.items.find((k: { id: string }) => k.id === keyId);
    },
  };
}
