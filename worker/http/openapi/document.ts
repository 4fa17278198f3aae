/**
 * @module http/openapi/document
 * Builds the OpenAPI 3.1 document from the operation definitions: request
 * schemas as their zod *input* (what a client sends), response schemas as their
 * zod *output* (what the server answers), named response schemas as shared
 * components, one problem+json response per error status with the `code`s that
 * operation can return, security schemes, the CSRF header and `x-roles`.
 */
import { z } from "zod";
import { errorCodesOf, MUTATING, type OperationDef, problemSchema } from "./define.js";
import { operationList } from "./operations.js";
import * as responseSchemas from "./response-schemas.js";

type Json = Record<string, unknown>;

const SECURITY: Record<string, Json> = {
  tenantApiKey: { type: "http", scheme: "bearer", description: "A tenant API key (`fgk_…`), created by the platform operator or a tenant admin." },
  platformToken: { type: "http", scheme: "bearer", description: "The platform admin token (`FAIRGATE_ADMIN_TOKEN`)." },
  cronSecret: { type: "http", scheme: "bearer", description: "The cron secret (`FAIRGATE_CRON_SECRET`)." },
};
const SECURITY_OF = { tenant: "tenantApiKey", platform: "platformToken", cron: "cronSecret" } as const;

const STATUS_TEXT: Record<number, string> = {
  400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 409: "Conflict", 413: "Payload too large",
  415: "Unsupported media type", 422: "Unprocessable (the fairness gate blocked)", 429: "Rate limited", 500: "Internal error", 501: "Not implemented", 503: "Unavailable",
};

/** JSON Schema of a zod schema, without the draft marker (OpenAPI 3.1 fixes the dialect). */
function jsonSchema(schema: z.ZodType, io: "input" | "output", named: Map<z.ZodType, string>): Json {
  const name = named.get(schema);
  if (name && io === "output") return { $ref: `#/components/schemas/${name}` };
  const out = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any" }) as Json;
  delete out.$schema;
  return out;
}

/** Named response schemas become components (exported names, minus the `Schema` suffix, capitalised). */
function components(): { named: Map<z.ZodType, string>; schemas: Record<string, Json> } {
  const reg = z.registry<{ id: string }>();
  const named = new Map<z.ZodType, string>();
  // Sorted: a module namespace's key order differs between loaders (tsx, vite), the document must not.
  for (const [exportName, value] of Object.entries(responseSchemas).sort(([x], [y]) => (x < y ? -1 : 1))) {
    if (!(value instanceof z.ZodType) || named.has(value)) continue;
    const id = exportName.replace(/Schema$/, "").replace(/^./, (ch) => ch.toUpperCase());
    reg.add(value, { id });
    named.set(value, id);
  }
  reg.add(problemSchema, { id: "Problem" });
  named.set(problemSchema, "Problem");
  const generated = z.toJSONSchema(reg, { io: "output", target: "draft-2020-12", unrepresentable: "any", uri: (id) => `#/components/schemas/${id}` });
  const schemas: Record<string, Json> = {};
  for (const [id, s] of Object.entries(generated.schemas).sort(([x], [y]) => (x < y ? -1 : 1))) {
    const { $schema: _d, $id: _i, ...rest } = s as Json;
    schemas[id] = rest;
  }
  return { named, schemas };
}

function parameters(op: OperationDef): Json[] {
  const out: Json[] = [];
  const add = (where: "path" | "query", obj: z.ZodObject) => {
    const js = jsonSchema(obj, "input", new Map()) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(js.properties ?? {})) {
      const { description, ...rest } = schema as Json;
      out.push({ name, in: where, required: where === "path" || (js.required ?? []).includes(name), schema: rest, ...(description ? { description } : {}) });
    }
  };
  if (op.params) add("path", op.params);
  if (op.query) add("query", op.query);
  if ((op.security === "tenant" || op.security === "platform") && MUTATING.has(op.method))
    out.push({ name: "X-Requested-With", in: "header", required: true, description: "CSRF defence: must be `XMLHttpRequest` on every mutating request (else 403 `csrf_header_missing`).", schema: { type: "string", const: "XMLHttpRequest" } });
  return out;
}

function operationObject(op: OperationDef, named: Map<z.ZodType, string>): Json {
  const responses: Record<string, Json> = {};
  for (const [status, r] of Object.entries(op.responses)) {
    const contentType = r.contentType ?? "application/json";
    const media: Json = {};
    if (r.schema) media.schema = jsonSchema(r.schema, "output", named);
    else if (contentType.startsWith("text/html")) media.schema = { type: "string" };
    else if (contentType.includes("ndjson")) media.schema = { type: "string", description: "NDJSON: one JSON object per line" };
    else if (contentType === "application/zip" || contentType === "application/pdf") media.schema = { type: "string", contentMediaType: contentType };
    else media.schema = { type: "object" };
    if (r.example !== undefined) media.example = r.example;
    const alternatives = Object.fromEntries((r.alternatives ?? []).map((ct) => [ct, { schema: { type: "string" } }]));
    responses[status] = { description: r.description, content: { [contentType]: media, ...alternatives } };
  }
  for (const [status, codes] of [...errorCodesOf(op)].sort(([a], [b]) => a - b)) {
    const list = [...codes].sort();
    responses[String(status)] = {
      description: `${STATUS_TEXT[status] ?? "Error"}: ${list.map((c) => `\`${c}\``).join(", ")}`,
      ...(status === 429 ? { headers: { "Retry-After": { description: "Seconds until a retry may succeed", schema: { type: "integer", minimum: 1 } } } } : {}),
      content: {
        "application/problem+json": {
          schema: { allOf: [{ $ref: "#/components/schemas/Problem" }, { type: "object", properties: { status: { const: status }, code: { enum: list } } }] },
          example: { type: `https://fairgate.dev/problems/${list[0]!.replace(/_/g, "-")}`, title: STATUS_TEXT[status] ?? "Error", status, detail: "…", code: list[0], instance: op.path, requestId: "…" },
        },
      },
    };
  }
  const roles = op.roles ? [...op.roles] : [];
  const who =
    op.security === "tenant" ? `Roles: ${roles.join(", ")} (a tenant API key holding any one of them).`
    : op.security === "platform" ? "Platform token."
    : op.security === "cron" ? "Cron secret."
    : "No authentication.";
  const body = op.body
    ? {
        requestBody: {
          required: !op.body.optional,
          content: { [op.body.contentType ?? "application/json"]: { schema: jsonSchema(op.body.schema, "input", named), ...(op.body.example !== undefined ? { example: op.body.example } : {}) } },
        },
      }
    : {};
  const params = parameters(op);
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    description: `${op.description}\n\n**Who:** ${who}`,
    ...(op.security === "none" ? { security: [] } : { security: [{ [SECURITY_OF[op.security]]: [] }] }),
    "x-roles": roles,
    ...(op.deprecation ? { deprecated: true, "x-deprecation": op.deprecation } : {}),
    ...(params.length ? { parameters: params } : {}),
    ...body,
    responses,
  };
}

/** The contract's version: 1.x for /api/v1; the minor grows with each additive change. */
export const API_VERSION = "1.0.0";

/** The OpenAPI 3.1 document of the whole API (deterministic: same definitions, same bytes). */
export function buildOpenApiDocument(): Json {
  const { named, schemas } = components();
  const paths: Record<string, Record<string, Json>> = {};
  for (const op of operationList) (paths[op.path] ??= {})[op.method] = operationObject(op, named);
  return {
    openapi: "3.1.0",
    info: {
      title: "Fairgate API",
      version: API_VERSION,
      description:
        "A fairness hard gate for decisioning systems. JSON under /api/v1; errors are application/problem+json (RFC 9457) with a stable `code`. Every mutating request must send `X-Requested-With: XMLHttpRequest`. See the README's versioning policy: /api/v1 only ever changes additively.",
    },
    servers: [{ url: "/" }],
    tags: [...new Set(operationList.map((o) => o.tag))].map((name) => ({ name })),
    security: [],
    paths,
    components: { securitySchemes: SECURITY, schemas },
  };
}
