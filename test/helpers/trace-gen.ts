/**
 * Generated decision traces for the window-path contract tests: a fast-check
 * arbitrary over (day, time, two attributes, selection, outcome, score), and the
 * TraceRecord it stands for. Each suite picks its own attribute value sets.
 */
import fc from "fast-check";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import type { TraceRecord } from "../../worker/store/tenant/traces.js";

/** Day 0 of every generated window. */
export const TRACE_BASE = Date.UTC(2026, 2, 1);

type Scalar = string | number | boolean | null;

/** An arbitrary trace over 10 days; `undefined` in a value set means "attribute absent". */
export function traceArbitrary(values: { a: readonly (Scalar | undefined)[]; b: readonly (Scalar | undefined)[] }) {
  return fc.record({
    day: fc.integer({ min: 0, max: 9 }),
    ms: fc.integer({ min: 0, max: DAY_MS - 1 }),
    a: fc.constantFrom(...values.a),
    b: fc.constantFrom(...values.b),
    selected: fc.boolean(),
    converted: fc.constantFrom(null, true, false),
    score: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
  });
}
export type TraceGen = ReturnType<typeof traceArbitrary> extends fc.Arbitrary<infer U> ? U : never;

let idn = 0;
/** The trace record a generated value stands for (unique id, flow "f"). */
export function traceFromGen(t: TraceGen): TraceRecord {
  const attributes: Record<string, Scalar> = {};
  if (t.a !== undefined) attributes.a = t.a;
  if (t.b !== undefined) attributes.b = t.b;
  return {
    id: `tr-${idn++}`, flowKey: "f", version: 1, customerId: "c", attributes, selected: t.selected, score: t.score, offers: null,
    converted: t.converted, source: "bulk", createdAt: TRACE_BASE + t.day * DAY_MS + t.ms,
  };
}
