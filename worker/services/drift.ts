/**
 * @module services/drift
 * Feature drift of a flow (POST /decision-flows/{id}/drift): reads the recorded
 * requests of a reference and a current window (at most DRIFT_MAX_TRACES per
 * window, sampled evenly above that; store/tenant/drift-reads.ts) and compares
 * every attribute's distribution with the pure domain (domain/drift.ts: PSI and
 * two-sample KS). Read-only: drift never changes a flow.
 */
import { z } from "zod";
import { attributeDriftSchema, compareWindows, driftBandSchema, KS_ALPHA, KS_MIN_D, PSI_ALERT, PSI_FLOOR, PSI_MONITOR } from "../domain/drift.js";
import { NotFoundError } from "../domain/errors.js";
import { attributeNameSchema, DEFAULT_SEED } from "../domain/policy.js";
import type { TenantStore } from "../store/tenant-store.js";

/** Most traces read per window; a larger window is sampled (seeded, even over the window). */
export const DRIFT_MAX_TRACES = 20_000;
const DAY = 86_400_000;
/** Longest window accepted (a year and a day). */
const MAX_WINDOW_MS = 366 * DAY;

const instant = z.iso.datetime({ offset: true }).describe("ISO 8601 date-time with offset");

/** The request body: two half-open windows [from, to) and optionally the attributes to compare. */
export const driftRequestSchema = z
  .strictObject({
    referenceFrom: instant,
    referenceTo: instant,
    currentFrom: instant,
    currentTo: instant,
    attributes: z.array(attributeNameSchema).min(1).max(200).optional().describe("default: every attribute seen in either window"),
  })
  .superRefine((b, ctx) => {
    for (const w of ["reference", "current"] as const) {
      const from = Date.parse(b[`${w}From`]);
      const to = Date.parse(b[`${w}To`]);
      if (!(from < to)) ctx.addIssue({ code: "custom", path: [`${w}To`], message: `${w}To must be after ${w}From` });
      else if (to - from > MAX_WINDOW_MS) ctx.addIssue({ code: "custom", path: [`${w}To`], message: "a window may span at most 366 days" });
    }
  });
export type DriftRequest = z.infer<typeof driftRequestSchema>;

const windowSchema = z.object({
  from: z.string(),
  to: z.string(),
  traces: z.number().int().describe("traces of the flow in the window"),
  compared: z.number().int().describe("traces compared (all of them, or a sample of DRIFT_MAX_TRACES)"),
  sampled: z.boolean(),
});

/** The drift report. */
export const driftReportSchema = z.object({
  flowId: z.string(),
  flowKey: z.string(),
  computedAt: z.string(),
  reference: windowSchema,
  current: windowSchema,
  verdict: driftBandSchema.describe("alert: any PSI ≥ 0.25, or a KS test with p < 0.05 and D > 0.1; monitor: any PSI ≥ 0.1"),
  attributes: z.array(attributeDriftSchema),
  method: z.object({
    psiFloor: z.number(),
    psiBands: z.object({ monitor: z.number(), alert: z.number() }),
    ks: z.object({ alpha: z.number(), minD: z.number(), pValue: z.string() }),
    maxTracesPerWindow: z.number().int(),
  }),
});
export type DriftReport = z.infer<typeof driftReportSchema>;

const METHOD: DriftReport["method"] = {
  psiFloor: PSI_FLOOR,
  psiBands: { monitor: PSI_MONITOR, alert: PSI_ALERT },
  ks: { alpha: KS_ALPHA, minD: KS_MIN_D, pValue: "exact (lattice paths over the C(n+m, n) orderings) for n·m ≤ 2500; else asymptotic Kolmogorov Q_KS((√ne + 0.12 + 0.11/√ne)·D), ne = n·m/(n+m) (Numerical Recipes §14.3)" },
  maxTracesPerWindow: DRIFT_MAX_TRACES,
};

/** Drift of the flow with key `flowKey` between two windows (epoch ms, half-open). */
export async function driftOfFlowKey(
  store: TenantStore,
  flow: { id: string; key: string },
  windows: { reference: { from: number; to: number }; current: { from: number; to: number } },
  attributes: readonly string[] | undefined,
  now: Date,
): Promise<DriftReport> {
  const policy = await store.governance.getPolicy();
  const seed = policy?.seed ?? DEFAULT_SEED;
  const readWindow = async (w: { from: number; to: number }) => {
    const traces = await store.drift.countWindow(flow.key, w.from, w.to);
    const rows = await store.drift.windowAttributes(flow.key, w.from, w.to, DRIFT_MAX_TRACES, seed);
    return { rows, info: { from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString(), traces, compared: rows.length, sampled: rows.length < traces } };
  };
  const ref = await readWindow(windows.reference);
  const cur = await readWindow(windows.current);
  const { attributes: drift, verdict } = compareWindows(ref.rows, cur.rows, attributes);
  return { flowId: flow.id, flowKey: flow.key, computedAt: now.toISOString(), reference: ref.info, current: cur.info, verdict, attributes: drift, method: METHOD };
}

/** POST /decision-flows/{id}/drift. */
export async function driftOfFlow(store: TenantStore, flowId: string, body: DriftRequest, now: Date): Promise<DriftReport> {
  const flow = await store.flows.get(flowId);
  if (!flow) throw new NotFoundError("decision flow");
  return driftOfFlowKey(
    store,
    flow,
    {
      reference: { from: Date.parse(body.referenceFrom), to: Date.parse(body.referenceTo) },
      current: { from: Date.parse(body.currentFrom), to: Date.parse(body.currentTo) },
    },
    body.attributes,
    now,
  );
}
