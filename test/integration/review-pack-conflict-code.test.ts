/**
 * Review finding: two packs of a tenant at once (POST /pack while the 15-minute sweep or the
 * daily job packs) answer 409 `segment_pack_conflict`, a code the packTraces operation does not
 * declare (it declares `constraint_violation`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantOperations } from "../../worker/http/openapi/operations-tenant.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, bulk, createFlow, createTenant, fairLines, PLATINUM_FLOW, policy, type TenantFixture } from "./_support.js";

const DAY = 86_400_000;
let nowMs = Date.parse("2031-06-02T09:00:00.000Z");
let app: InProcessApp;
let api: Api;
let T: TenantFixture;

beforeAll(async () => {
  app = await createInProcessApp({ clock: () => new Date(nowMs), alertDelivery: "off" });
  api = inProcessClient(app);
  T = await createTenant(app, "packconflict");
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy() })).status).toBe(200);
  await createFlow(api, T.keys.publisher, "platinum", PLATINUM_FLOW);
}, 60_000);
afterAll(() => app?.close());

describe("concurrent packs over HTTP", () => {
  it("a pack losing the race answers with a declared error code", async () => {
    expect((await bulk(api, T.keys.operator, fairLines("platinum", 200))).status).toBe(201);
    nowMs += DAY;
    const rs = await Promise.all([0, 1, 2].map(() => api.request("POST", "/api/v1/decision-traces/pack", { token: T.keys.operator })));
    const declared = (tenantOperations.packTraces.errors as Record<number, readonly string[]>)[409] ?? [];
    const conflicts = rs.filter((r) => r.status === 409).map((r) => (r.body as { error?: { code?: string }; code?: string }).error?.code ?? (r.body as { code?: string }).code);
    expect(rs.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    for (const c of conflicts) expect(declared).toContain(c);
  });
});
