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

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\s*(;|$)/i;

/**
 * Reads and parses a JSON body. `optional` bodies may be empty (parsed as {}).
 * Wrong content type → 415; malformed JSON → 400; schema failure → 400 with issues.
 */
export async function jsonBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S, opts: { optional?: boolean } = {}): Promise<z.infer<S>> {
  const text = await c.req.text();
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
