/**
 * fast-check arbitraries derived from the JSON Schemas of the OpenAPI document:
 * values that follow a request schema (types, bounds, patterns, enums, required
 * keys, date-times), so a fuzz reaches past the parser into the handlers; the fuzz
 * then adds malformed variants of them.
 */
import fc from "fast-check";

type Json = Record<string, any>;

const DAY = 86_400_000;

/**
 * Known values by property name (e.g. `decisionFlowKey: ["nbo"]`): a property with a hint is drawn
 * from them half the time, so requests also reach the paths behind "found".
 */
export type Hints = Record<string, readonly unknown[]>;

/** An arbitrary for `schema`; `$ref`s resolve against `doc`. Depth-limited so recursive shapes stay small. */
export function arbitraryFor(schema: Json, doc: Json, depth = 0, hints: Hints = {}): fc.Arbitrary<unknown> {
  const sub = (s: Json) => arbitraryFor(s, doc, depth + 1, hints);
  if (depth > 6) return fc.constant(null);
  if (schema.$ref) return sub(doc.components.schemas[String(schema.$ref).split("/").pop()!]);
  if ("const" in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  if (schema.anyOf || schema.oneOf) return fc.oneof(...((schema.anyOf ?? schema.oneOf) as Json[]).map(sub));
  if (schema.allOf) return sub(Object.assign({}, ...(schema.allOf as Json[])));
  const type = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : null;
  if (!type) return fc.jsonValue({ maxDepth: 2 });
  if (type.length > 1) return fc.oneof(...type.map((t: string) => sub({ ...schema, type: t })));
  switch (type[0]) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer": {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1000);
      const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 1000);
      return fc.integer({ min: Math.max(min, -1e6), max: Math.min(max, 1e6) });
    }
    case "number": {
      const min = schema.minimum ?? schema.exclusiveMinimum ?? -1e6;
      const max = schema.maximum ?? schema.exclusiveMaximum ?? 1e6;
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true, minExcluded: schema.exclusiveMinimum !== undefined, maxExcluded: schema.exclusiveMaximum !== undefined });
    }
    case "string": {
      if (schema.format === "date-time")
        return fc.integer({ min: -5 * DAY, max: 100 * DAY }).map((off) => new Date(Date.now() + off).toISOString());
      if (schema.format === "uri") return fc.constantFrom("https://hooks.example/fairgate", "http://127.0.0.1:9/x", "https://x.test/");
      const minLength = schema.minLength ?? 0;
      const maxLength = Math.min(schema.maxLength ?? 40, 80);
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
      return fc.string({ minLength, maxLength: Math.max(minLength, maxLength) });
    }
    case "array":
      return fc.array(sub(schema.items ?? {}), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)) });
    case "object": {
      const props = (schema.properties ?? {}) as Record<string, Json>;
      if (!Object.keys(props).length) {
        if (schema.additionalProperties && typeof schema.additionalProperties === "object")
          return fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,10}$/), sub(schema.additionalProperties), { maxKeys: 4 });
        return fc.constant({});
      }
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(props)) record[k] = hints[k]?.length ? fc.oneof(fc.constantFrom(...hints[k]!), sub(s)) : sub(s);
      return fc.record(record, { requiredKeys: (schema.required ?? []) as string[] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}
