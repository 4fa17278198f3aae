/**
 * Contract checks against the generated OpenAPI document: a response must have a
 * status documented for its operation, the documented content type, and a body
 * that validates against the documented JSON Schema (Ajv, draft 2020-12). The
 * checking client has the TestClient shape, so the acceptance story runs through
 * it unchanged on every runtime; each exchange it sees is checked.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { buildOpenApiDocument } from "../../worker/http/openapi/document.js";
import { createClient, type HttpResult, type RequestOptions, type TestClient } from "./client.js";

type Json = Record<string, any>;

export interface MatchedOperation {
  operationId: string;
  method: string;
  template: string;
  op: Json;
}

/** Compiles the document's schemas once and checks exchanges against it. */
export function createContractChecker(doc: Json = buildOpenApiDocument()) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  const cache = new Map<string, ValidateFunction>();
  const routes = Object.entries(doc.paths as Record<string, Json>).flatMap(([template, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      template,
      method,
      op: op as Json,
      operationId: (op as Json).operationId as string,
      params: (template.match(/\{/g) ?? []).length,
      re: new RegExp(`^${template.replace(/[.]/g, "\\.").replace(/\{\w+\}/g, "[^/]+")}$`),
    })),
  );
  const seen = new Set<string>();

  function match(method: string, path: string): MatchedOperation | null {
    const p = path.split("?")[0]!;
    const hits = routes.filter((r) => r.method === method.toLowerCase() && r.re.test(p)).sort((a, b) => a.params - b.params);
    return hits[0] ?? null;
  }

  function validator(key: string, schema: Json): ValidateFunction {
    let v = cache.get(key);
    if (!v) {
      v = ajv.compile({ ...schema, components: doc.components });
      cache.set(key, v);
    }
    return v;
  }

  /** The problems with one exchange ([] = it conforms). */
  function check(method: string, path: string, res: { status: number; contentType: string; body: unknown }): string[] {
    const m = match(method, path);
    if (!m) return [`${method} ${path}: no documented operation`];
    seen.add(m.operationId);
    const where = `${m.operationId} (${method} ${path}) → ${res.status}`;
    const r = m.op.responses[String(res.status)] as Json | undefined;
    if (!r) return [`${where}: status not documented (documented: ${Object.keys(m.op.responses).join(", ")})`];
    const mediaType = res.contentType.split(";")[0]!.trim().toLowerCase();
    const entry = Object.entries(r.content ?? {}).find(([ct]) => ct.split(";")[0]!.trim().toLowerCase() === mediaType);
    if (!entry) return [`${where}: content type ${res.contentType} not documented (documented: ${Object.keys(r.content ?? {}).join(", ")})`];
    const [ct, media] = entry as [string, Json];
    if (!ct.includes("json") || ct.includes("ndjson") || !media.schema) return [];
    const v = validator(`${m.operationId} ${res.status} ${ct}`, media.schema);
    if (v(res.body)) return [];
    return (v.errors ?? []).slice(0, 8).map((e) => `${where}: body${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }

  /**
   * A fetch that checks every exchange it carries (a violation throws), for the
   * typed client: `createFairgateClient({ baseUrl, fetch: checker.fetch() })`.
   */
  function checkingFetch(base: typeof fetch = fetch): typeof fetch {
    return (async (input: RequestInfo | URL, init?: RequestInit) => {
      const res = await base(input, init);
      const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
      const text = await res.clone().text();
      const contentType = res.headers.get("content-type") ?? "";
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON: checked as text */
      }
      const problems = check(init?.method ?? "GET", url.pathname + url.search, { status: res.status, contentType, body });
      if (problems.length) throw new Error(`Contract violation:\n  ${problems.join("\n  ")}`);
      return res;
    }) as typeof fetch;
  }

  return {
    match,
    check,
    fetch: checkingFetch,
    /** operationIds seen so far. */
    seen: () => new Set(seen),
    doc,
  };
}
export type ContractChecker = ReturnType<typeof createContractChecker>;

/** A TestClient whose every response is checked against the contract (a violation throws). */
export function createContractClient(baseUrl: string, checker: ContractChecker = createContractChecker()): TestClient & { checker: ContractChecker } {
  const plain = createClient(baseUrl);
  async function request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult<T>> {
    const r = await plain.request<T>(method, path, opts);
    const problems = checker.check(method, path, r);
    if (problems.length) throw new Error(`Contract violation:\n  ${problems.join("\n  ")}`);
    return r;
  }
  return {
    request,
    get: <T = any>(path: string, token?: string) => request<T>("GET", path, { token }),
    post: <T = any>(path: string, token: string | undefined, body?: unknown) => request<T>("POST", path, { token, body }),
    put: <T = any>(path: string, token: string | undefined, body?: unknown) => request<T>("PUT", path, { token, body }),
    checker,
  };
}
