/**
 * The OpenAPI document: valid OpenAPI 3.1 (a maintained validator), equal to the
 * committed openapi.json snapshot, one operation for every route the app serves
 * (and no operation without a route), and served at /openapi.json and /docs.
 */
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../../worker/http/openapi/document.js";
import { operationList } from "../../worker/http/openapi/operations.js";
import { createInProcessApp, type InProcessApp } from "../helpers/in-process.js";

const generated = buildOpenApiDocument();

describe("OpenAPI document", () => {
  let app: InProcessApp;
  beforeAll(async () => {
    app = await createInProcessApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    const v = new Validator();
    const r = await v.validate(structuredClone(generated) as Parameters<Validator["validate"]>[0]);
    expect(r.errors ?? []).toEqual([]);
    expect(r.valid).toBe(true);
    expect(v.version).toBe("3.1");
  });

  it("equals the committed openapi.json (run `npm run openapi:snapshot` after a deliberate API change)", () => {
    const committed = readFileSync(new URL("../../openapi.json", import.meta.url), "utf8");
    const fresh = `${JSON.stringify(generated, null, 2)}\n`;
    if (committed !== fresh) {
      const a = committed.split("\n");
      const b = fresh.split("\n");
      const i = a.findIndex((line, n) => line !== b[n]);
      throw new Error(`openapi.json is stale: first difference at line ${i + 1}\n  committed: ${a[i]}\n  generated: ${b[i]}\nRun npm run openapi:snapshot and commit openapi.json.`);
    }
  });

  it("documents exactly the routes the app serves", () => {
    // Route table of the real app: method + path, Hono's :param turned into {param}; middleware (ALL) left out,
    // and the console's HTML pages (/console/*: a client of these operations, not part of the API contract).
    const served = new Set(
      app.routes
        .filter((r) => r.method !== "ALL" && !r.path.startsWith("/console"))
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    const documented = new Set(operationList.map((o) => `${o.method} ${o.path}`));
    // A new route needs its definition in worker/http/openapi/operations-*.ts, then `npm run openapi:snapshot`.
    expect([...served].filter((s) => !documented.has(s)).sort(), "served but not documented").toEqual([]);
    expect([...documented].filter((d) => !served.has(d)).sort(), "documented but not served").toEqual([]);
  });

  it("every operation has a summary, a description naming who may call it, an example, and its roles", () => {
    for (const [path, ops] of Object.entries(generated.paths as Record<string, Record<string, any>>))
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method} ${path}`;
        expect(op.summary, where).toBeTruthy();
        expect(op.description, where).toMatch(/\*\*Who:\*\*/);
        const media = [...Object.values(op.requestBody?.content ?? {}), ...Object.values(op.responses).flatMap((r: any) => Object.values(r.content ?? {}))] as any[];
        expect(media.some((m) => m.example !== undefined), `${where} has an example`).toBe(true);
        if (op.security?.[0]?.tenantApiKey) expect(op["x-roles"].length, where).toBeGreaterThan(0);
        if (["post", "put", "patch", "delete"].includes(method) && op.security?.length)
          expect(op.parameters.some((p: any) => p.name === "X-Requested-With" && p.required), `${where} documents the CSRF header`).toBe(true);
      }
  });

  it("GET /openapi.json serves the document; GET /docs loads only its own assets", async () => {
    const res = await app.fetch("/openapi.json");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(generated);
    const docs = await app.fetch("/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/^text\/html/);
    expect(docs.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await docs.text();
    // No asset from anywhere else: no src/href to another origin.
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).toContain('<script src="/docs/assets/scalar.js"></script>');
    expect(await (await app.fetch("/docs/assets/init.js")).text()).toContain('"url":"/openapi.json"');
  });
});
