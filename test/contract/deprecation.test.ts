/**
 * Deprecation is announced on the wire from the operation definition alone:
 * Deprecation (RFC 9745, @epoch-seconds), Sunset (RFC 8594, HTTP date) and a
 * successor Link on every answer of the deprecated operation, nothing on others.
 */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { defineOperation } from "../../worker/http/openapi/define.js";
import { announceDeprecations } from "../../worker/http/openapi/deprecation.js";
import type { AppEnv } from "../../worker/http/types.js";

const old = defineOperation({
  operationId: "oldThing",
  method: "get",
  path: "/api/v1/things/{id}",
  tag: "t",
  summary: "s",
  description: "d",
  security: "none",
  responses: { 200: { description: "ok" } },
  deprecation: { since: "2027-01-01T00:00:00Z", sunset: "2027-07-01T00:00:00Z", successor: "/api/v1/widgets/{id}" },
});
const current = defineOperation({ ...old, operationId: "newThing", path: "/api/v1/widgets/{id}", deprecation: undefined });

describe("deprecation headers", () => {
  const app = new Hono<AppEnv>();
  app.use("*", announceDeprecations([old, current]));
  app.get("/api/v1/things/:id", (c) => c.json({ ok: true }));
  app.get("/api/v1/widgets/:id", (c) => c.json({ ok: true }));
  app.notFound((c) => c.json({ code: "not_found" }, 404));

  it("are sent on the deprecated operation", async () => {
    const r = await app.request("/api/v1/things/7");
    expect(r.status).toBe(200);
    expect(r.headers.get("deprecation")).toBe(`@${Date.parse("2027-01-01T00:00:00Z") / 1000}`);
    expect(r.headers.get("sunset")).toBe("Thu, 01 Jul 2027 00:00:00 GMT");
    expect(r.headers.get("link")).toBe('</api/v1/widgets/{id}>; rel="successor-version"');
  });

  it("are not sent elsewhere", async () => {
    for (const path of ["/api/v1/widgets/7", "/api/v1/things/7/more"]) {
      const r = await app.request(path);
      expect(r.headers.get("deprecation"), path).toBeNull();
      expect(r.headers.get("sunset"), path).toBeNull();
    }
  });
});
