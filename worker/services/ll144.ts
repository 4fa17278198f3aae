/**
 * @module services/ll144
 * The NYC LL144 bias audit of a stored evaluation's window: the flow's traces
 * decided in that window, counted per (sex, race) cell in the store, turned into
 * the audit tables by domain/ll144 (the same function as `fairgate audit ll144`).
 * Every trace of the window is an individual assessed: one without the sex or
 * race attribute is counted as unknown, not dropped. The rate is the selection
 * rate (the gate's `selected` decision) or, for a scoring tool, the scoring rate:
 * the share of a category scoring strictly above the median of every scored trace
 * of the window (traces without a score are not individuals assessed then; their
 * number is in `meta.dataSource`). `?rate=`, else the policy's `ll144.rate`, else
 * the evaluation's policy snapshot, else selection.
 */
import { ConflictError, NotFoundError, ValidationError } from "../domain/errors.js";
import { buildLl144Audit, type Ll144Audit, type Ll144Cell, type Ll144RateKind } from "../domain/ll144.js";
import { attributeNameSchema } from "../domain/policy.js";
import { groupLabel } from "../domain/slices.js";
import type { TenantStore } from "../store/tenant-store.js";

export interface Ll144Request {
  sex?: string | undefined;
  race?: string | undefined;
  /** selection (the trace's `selected`) or scoring (its `score` above the window's median). */
  rate?: Ll144RateKind | undefined;
  /** The tool's distribution date, as the caller states it. */
  distributionDate?: string | undefined;
  /** Exclude categories under 2% from the impact ratios, with this justification. */
  excludeSmall?: string | undefined;
}

/** A stored attribute's JSON text → its group label; null (unknown) for absent, null or "". */
function category(jsonText: string | null): string | null {
  if (jsonText === null) return null;
  const v: unknown = JSON.parse(jsonText);
  return v !== null && typeof v === "object" ? JSON.stringify(v) : groupLabel(v);
}

/** The LL144 audit of evaluation `id`'s window (404 unknown evaluation; 400 no attributes; 409 no window). */
export async function ll144AuditForEvaluation(store: TenantStore, id: string, req: Ll144Request, now: Date): Promise<Ll144Audit> {
  const e = await store.evidence.getEvaluation(id);
  if (!e) throw new NotFoundError("fairness evaluation");
  const policy = await store.governance.getPolicy();
  const snapshot = (e.policy as { ll144?: { sexAttribute?: string; raceAttribute?: string; rate?: Ll144RateKind } } | null)?.ll144;
  const sex = req.sex ?? policy?.ll144?.sexAttribute ?? snapshot?.sexAttribute;
  const race = req.race ?? policy?.ll144?.raceAttribute ?? snapshot?.raceAttribute;
  if (!sex || !race)
    throw new ValidationError("name the sex and race/ethnicity attributes: ?sex=ATTR&race=ATTR, or policy ll144: {sexAttribute, raceAttribute}");
  for (const [name, v] of [["sex", sex], ["race", race]] as const)
    if (!attributeNameSchema.safeParse(v).success) throw new ValidationError(`${name} must be an attribute name (identifier, max 64)`);
  if (!e.window || !e.flowKey) throw new ConflictError("evaluation_has_no_window", "this evaluation has no trace window to audit");
  const justification = req.excludeSmall?.trim();
  if (justification !== undefined && justification.length < 10)
    throw new ValidationError("excludeSmall must state the justification in words (at least 10 characters)");
  const rateKind: Ll144RateKind = req.rate ?? policy?.ll144?.rate ?? snapshot?.rate ?? "selection";
  const [fromMs, toMs] = [Date.parse(e.window.from), Date.parse(e.window.to)];
  let raw, medianScore: number | null = null, unscored = 0;
  if (rateKind === "scoring") ({ cells: raw, median: medianScore, unscored } = await store.audits.ll144ScoreCells(e.flowKey, fromMs, toMs, sex, race));
  else raw = await store.audits.ll144Cells(e.flowKey, fromMs, toMs, sex, race);
  const cells: Ll144Cell[] = raw.map((c) => ({ sex: category(c.sexJson), race: category(c.raceJson), count: c.count, positives: c.positives }));
  return buildLl144Audit({
    cells,
    rateKind,
    medianScore,
    excludeSmall: justification ? { justification } : null,
    meta: {
      auditDate: now.toISOString(),
      dataSource: `decision traces of flow ${e.flowKey}${e.version === null ? "" : ` (version ${e.version} evaluated)`}, evaluation ${e.id}${unscored ? ` (${unscored} traces without a score not counted)` : ""}`,
      window: { from: e.window.from, to: e.window.to },
      distributionDate: req.distributionDate?.trim() || null,
      sexAttribute: sex,
      raceAttribute: race,
    },
  });
}
