/**
 * @module http/body
 * Parse, don't validate: request bodies and queries go through zod here and
 * come out typed, or the request ends in a 400/415 problem naming what was wrong.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { AppError, ValidationError } from "../domain/errors.js";
import { assertWellFormedText } from "../domain/text.js";
import type { AppEnv } from "./types.js";

/** zod issues → a client-facing list, naming unknown keys explicitly. */
export function describeIssues(issues: z.core.$ZodIssue[]): { path: string; code: string; message: string }[] {
  return issues.map((i) => ({
    path: i.path.map(String).join(".") || "(root)",
    code: i.code,
    message: i.code === "unrecognized_keys" ? `unknown key(s): ${(i as { keys: string[] }).keys.join(", ")}` : i.message,
  }));
}

/** Throws a 400 ValidationError for a failed zod parse. */
export function validationFailed(issues: z.core.$ZodIssue[]): never {
  const errors = describeIssues(issues);
  throw new ValidationError(
    `The request is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).slice(0, 5).join("; ")}`,
    { errors },
  );
}

/** Parses a value with a schema or throws a 400. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) validationFailed(r.error.issues);
  return r.data;
}

/** What Node's adapter (@hono/node-server) passes as `c.env.incoming`: the request's IncomingMessage. */
interface NodeIncoming extends AsyncIterable<Uint8Array> {
  readableDidRead: boolean;
}

/**
 * The request body as text. On Node a body with a declared length (already checked
 * against the limit, see app.ts) is read straight from the IncomingMessage: asking
 * the adapter for it would first build a web Request, a ReadableStream and an abort
 * signal around it — a tenth of the event loop's time per recommend. Anything else
 * (other runtimes, in-process requests, chunked bodies, a body someone began to read)
 * goes through the web Request. Both decode UTF-8 the same way (a BOM is dropped).
 */
export async function bodyText(c: Context<AppEnv>): Promise<string> {
  const incoming = (c.env as { incoming?: Partial<NodeIncoming> } | undefined)?.incoming;
  const declared = c.req.header("content-length") !== undefined && c.req.header("transfer-encoding") === undefined;
  if (!declared || !incoming || incoming.readableDidRead !== false || typeof incoming[Symbol.asyncIterator] !== "function") return c.req.text();
  const chunks: Uint8Array[] = [];
  let size = 0;
  // A client that disconnects mid-body ends this loop with Node's own error ("aborted", ECONNRESET), as the stream would.
  for await (const chunk of incoming as NodeIncoming) {
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  const all = chunks.length === 1 ? chunks[0]! : new Uint8Array(size);
  if (chunks.length > 1) {
    let at = 0;
    for (const ch of chunks) {
      all.set(ch, at);
      at += ch.byteLength;
    }
  }
  return new TextDecoder().decode(all);
}

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\s*(;|$)/i;

/**
 * Reads and parses a JSON body. `optional` bodies may be empty (parsed as {}).
 * Wrong content type → 415; malformed JSON → 400; schema failure → 400 with issues.
 */
export async function jsonBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S, opts: { optional?: boolean } = {}): Promise<z.infer<S>> {
  const text = await bodyText(c);
  if (!text.trim()) {
    if (opts.optional) return parseWith(schema, {});
    throw new ValidationError("A JSON request body is required.", {}, "body_required");
  }
  const ct = c.req.header("content-type") ?? "";
  if (!JSON_TYPE.test(ct)) throw new AppError(415, "unsupported_media_type", "Unsupported media type", "Send the body as application/json.");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError("The request body is not valid JSON.", {}, "invalid_json");
  }
  // Before the schema: what passes must be storable exactly as it will be hashed.
  assertWellFormedText(value);
  return parseWith(schema, value);
}
