/**
 * @module http/openapi/client
 * `fairgate/client`: a typed client for the Fairgate API. Its request and response
 * types are derived from the same operation definitions (zod schemas) the server
 * parses and documents: `z.input` of the params, query and body an operation
 * declares, `z.output` of each documented success response, the problem+json body
 * for everything else. Sends the bearer token and the CSRF header; never throws on
 * an HTTP error status (the caller switches on `status`/`ok`).
 *
 * ```ts
 * const fg = createFairgateClient({ baseUrl: "http://127.0.0.1:8787", token: adminKey });
 * const r = await fg.call("publishFlow", { body: { id } });
 * if (r.ok) r.body.evaluation.verdict; else r.body.code;
 * ```
 */
import type { z } from "zod";
import type { OperationDef } from "./define.js";
import { operations, type OperationId, type Operations } from "./operations.js";

type Problem = { type: string; title: string; status: number; detail: string; code: string; instance: string; requestId?: string; [k: string]: unknown };

type Field<O, K extends string, As extends "input" | "output"> = O extends { [P in K]: infer S extends z.ZodType } ? (As extends "input" ? z.input<S> : z.output<S>) : never;
type BodyOf<O> = O extends { body: { schema: infer S extends z.ZodType; contentType: string } } ? string : O extends { body: { schema: infer S extends z.ZodType } } ? z.input<S> : never;

/** What `call(id, request)` takes for an operation: only the parts it declares. */
export type RequestOf<K extends OperationId> = (Operations[K] extends { params: z.ZodType } ? { params: Field<Operations[K], "params", "input"> } : { params?: undefined }) &
  (Operations[K] extends { query: z.ZodType } ? { query?: Partial<Field<Operations[K], "query", "input">> } : { query?: undefined }) &
  (Operations[K] extends { body: { optional: true } } ? { body?: BodyOf<Operations[K]> } : Operations[K] extends { body: object } ? { body: BodyOf<Operations[K]> } : { body?: undefined }) & {
    /** Overrides the client's token for this call. */
    token?: string;
  };

type SuccessOf<O> = O extends { responses: infer R }
  ? { [S in keyof R & number]: { ok: true; status: S; body: R[S] extends { schema: infer B extends z.ZodType } ? z.output<B> : string; headers: Headers } }[keyof R & number]
  : never;

/** What `call` resolves to: a documented success, or a problem. */
export type ResponseOf<K extends OperationId> = SuccessOf<Operations[K]> | { ok: false; status: number; body: Problem; headers: Headers };

export interface FairgateClientOptions {
  baseUrl: string;
  /** Tenant API key, platform token or cron secret, sent as `Authorization: Bearer`. */
  token?: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

const MUTATING = new Set(["post", "put", "patch", "delete"]);

function buildPath(op: OperationDef, params: Record<string, unknown> | undefined, query: Record<string, unknown> | undefined): string {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params?.[name];
    if (v === undefined) throw new TypeError(`${op.operationId}: missing path parameter ${name}`);
    return encodeURIComponent(String(v));
  });
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

/** Creates a typed client bound to one base URL (and, optionally, one token). */
export function createFairgateClient(opts: FairgateClientOptions) {
  const doFetch = opts.fetch ?? fetch;
  const base = opts.baseUrl.replace(/\/$/, "");
  return {
    /** Calls one operation by its operationId. */
    async call<K extends OperationId>(id: K, req: RequestOf<K> = {} as RequestOf<K>): Promise<ResponseOf<K>> {
      const op: OperationDef = operations[id];
      const r = req as { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown; token?: string };
      const headers: Record<string, string> = { accept: "application/json, application/problem+json" };
      const token = r.token ?? opts.token;
      if (token) headers.authorization = `Bearer ${token}`;
      if (MUTATING.has(op.method)) headers["x-requested-with"] = "XMLHttpRequest";
      let body: string | undefined;
      if (r.body !== undefined) {
        const ct = op.body?.contentType ?? "application/json";
        headers["content-type"] = ct;
        body = ct === "application/json" ? JSON.stringify(r.body) : String(r.body);
      }
      const res = await doFetch(base + buildPath(op, r.params, r.query), { method: op.method.toUpperCase(), headers, body });
      const text = await res.text();
      const ct = res.headers.get("content-type") ?? "";
      const parsed: unknown = /json/.test(ct) && !/ndjson/.test(ct) && text ? JSON.parse(text) : text;
      const ok = String(res.status) in op.responses;
      return { ok, status: res.status, body: parsed, headers: res.headers } as ResponseOf<K>;
    },
  };
}
export type FairgateClient = ReturnType<typeof createFairgateClient>;
export type { OperationId, Operations };
