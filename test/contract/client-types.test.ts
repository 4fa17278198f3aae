/**
 * fairgate/client is typed from the operation definitions: a call needs exactly the
 * params and body its operation declares (wrong or missing ones fail `tsc`), and a
 * success narrows the body to the documented response type. The calls run against
 * a stub fetch, so this also checks the URL, method and headers the client builds.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { createFairgateClient } from "fairgate/client";

describe("fairgate/client", () => {
  const seen: { url: string; method: string; headers: Record<string, string>; body?: string }[] = [];
  const stub = (async (url: string, init: RequestInit) => {
    seen.push({ url, method: String(init.method), headers: init.headers as Record<string, string>, body: init.body as string | undefined });
    return new Response(JSON.stringify({ id: "f1", key: "k", name: "n", status: "draft", version: 1, activeVersion: null, createdAt: "x", updatedAt: "x" }), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  }) as unknown as typeof fetch;
  const fg = createFairgateClient({ baseUrl: "http://gw.test/", token: "fgk_t", fetch: stub });

  it("builds the request from the definition and types the answer", async () => {
    const r = await fg.call("getFlow", { params: { id: "a b" }, token: "fgk_other" });
    expect(seen.at(-1)).toMatchObject({ url: "http://gw.test/api/v1/decision-flows/a%20b", method: "GET", headers: { authorization: "Bearer fgk_other" } });
    expect(seen.at(-1)!.headers["x-requested-with"]).toBeUndefined();
    expect(r.ok).toBe(true);
    if (r.ok) {
      expectTypeOf(r.body.key).toEqualTypeOf<string>();
      expectTypeOf(r.body.status).toEqualTypeOf<"draft" | "active" | "paused" | "archived">();
    } else expectTypeOf(r.body.code).toEqualTypeOf<string>();

    await fg.call("listFlows", { query: { status: "active" } });
    expect(seen.at(-1)!.url).toBe("http://gw.test/api/v1/decision-flows?status=active");

    await fg.call("publishFlow", { body: { id: "f1" } });
    expect(seen.at(-1)).toMatchObject({ method: "POST", headers: { "x-requested-with": "XMLHttpRequest", "content-type": "application/json", authorization: "Bearer fgk_t" }, body: '{"id":"f1"}' });

    await fg.call("bulkTraces", { body: '{"a":1}\n' });
    expect(seen.at(-1)).toMatchObject({ headers: { "content-type": "application/x-ndjson" }, body: '{"a":1}\n' });
  });

  it("refuses what the definitions do not allow (compile time)", () => {
    const typeOnly = () => {
      // @ts-expect-error a body is required
      void fg.call("createFlow", {});
      // @ts-expect-error traceId is a string
      void fg.call("recordOutcome", { body: { traceId: 1, converted: true } });
      // @ts-expect-error path parameter missing
      void fg.call("getFlow", {});
      // @ts-expect-error no such operation
      void fg.call("dropTables", {});
      // An optional body may be left out.
      void fg.call("rotateApiKey", { params: { keyId: "k" } });
    };
    expect(typeof typeOnly).toBe("function");
  });
});
