/**
 * The contract checker itself can fail: an undocumented status, a wrong content
 * type, a body off its schema, a problem code the operation does not document,
 * and an unknown route are each reported; real responses of the in-process app
 * pass. (The acceptance story runs every exchange through this checker.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readResult, requestInit } from "../helpers/client.js";
import { createContractChecker } from "../helpers/contract.js";
import { createInProcessApp, type InProcessApp } from "../helpers/in-process.js";

const checker = createContractChecker();
const problem = (status: number, code: string) => ({ type: "https://fairgate.dev/problems/x", title: "t", status, detail: "d", code, instance: "/x", requestId: "r" });

describe("contract checker", () => {
  let app: InProcessApp;
  beforeAll(async () => {
    app = await createInProcessApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it("reports what does not conform", () => {
    const json = "application/json";
    expect(checker.check("GET", "/healthz", { status: 200, contentType: json, body: { status: "ok" } })).toEqual([]);
    expect(checker.check("GET", "/healthz", { status: 201, contentType: json, body: { status: "ok" } })[0]).toMatch(/status not documented/);
    expect(checker.check("GET", "/healthz", { status: 200, contentType: "text/plain", body: "ok" })[0]).toMatch(/content type/);
    expect(checker.check("GET", "/healthz", { status: 200, contentType: json, body: { status: "fine" } })[0]).toMatch(/body/);
    expect(checker.check("GET", "/api/v1/decision-flows/abc", { status: 200, contentType: json, body: { id: "abc" } })[0]).toMatch(/must have required property/);
    expect(checker.check("GET", "/api/v1/nowhere", { status: 200, contentType: json, body: {} })[0]).toMatch(/no documented operation/);
    const pj = "application/problem+json";
    expect(checker.check("POST", "/api/v1/recommend", { status: 409, contentType: pj, body: problem(409, "flow_not_active") })).toEqual([]);
    expect(checker.check("POST", "/api/v1/recommend", { status: 409, contentType: pj, body: problem(409, "outcome_conflict") })[0]).toMatch(/allowed values/);
    expect(checker.check("POST", "/api/v1/recommend", { status: 409, contentType: pj, body: problem(404, "flow_not_active") })[0]).toMatch(/status/);
    // A literal segment wins over a template: publish is its own operation.
    expect(checker.match("POST", "/api/v1/decision-flows/publish")?.operationId).toBe("publishFlow");
    expect(checker.match("GET", "/api/v1/decision-flows/x?status=active")?.operationId).toBe("getFlow");
  });

  it("passes real responses of the app", async () => {
    const exchange = async (method: string, path: string, token?: string, body?: unknown) => {
      const r = await readResult(await app.fetch(path, requestInit(method, { token, body })));
      return { r, problems: checker.check(method, path, r) };
    };
    const t = await exchange("POST", "/api/v1/admin/tenants", app.adminToken, { name: "contract" });
    expect(t.problems).toEqual([]);
    const k = await exchange("POST", `/api/v1/admin/tenants/${t.r.body.id}/api-keys`, app.adminToken, { principal: "p", roles: ["publisher"] });
    expect(k.problems).toEqual([]);
    for (const [m, p, tok] of [
      ["GET", "/api/v1/decision-flows", k.r.body.key],
      ["GET", "/api/v1/decision-flows/missing", k.r.body.key],
      ["GET", "/api/v1/decision-flows", "bad-key"],
      ["GET", "/api/v1/tenant-settings", k.r.body.key],
      ["GET", "/api/v1/audit-log/verify", k.r.body.key],
      ["GET", "/openapi.json", undefined],
      ["GET", "/docs", undefined],
      ["GET", "/readyz", undefined],
    ] as const)
      expect((await exchange(m, p, tok)).problems, `${m} ${p}`).toEqual([]);
  });
});
