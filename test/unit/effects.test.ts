/**
 * @module test/unit/effects
 * The domain's decision of what a write's events imply, without any store.
 */
import { describe, expect, it } from "vitest";
import type { TimedAuditEntry } from "../../worker/domain/audit-entry.js";
import { decideEffects, mayHaveEffects } from "../../worker/domain/effects.js";

const at = "2026-03-01T00:00:00.000Z";
const block: TimedAuditEntry = { entityType: "decision_flow", entityId: "f1", action: "publish_blocked", actor: "pub", violations: ["demographicParityGap"], details: { evaluationId: "e1" }, at };
const pause: TimedAuditEntry = { ...block, action: "auto_pause", actor: "system:fairness-recheck" };
const approve: TimedAuditEntry = { entityType: "fairness_override", entityId: "o1", action: "override_approve", actor: "appr", reason: "ok", after: { status: "active" }, at };
let n = 0;
const ids = () => `id-${++n}`;

describe("decideEffects", () => {
  it("a block opens a remediation owned by the publisher, due in 14 days, and queues a block alert", () => {
    const d = decideEffects({ audits: [block], evaluations: [] }, { alerts: { minTier: "warning" }, flowsWithOpenRemediation: new Set() }, "t1", ids);
    expect(d.map((x) => x.kind)).toEqual(["open_remediation", "queue_alert"]);
    const r = d[0]!.kind === "open_remediation" ? d[0]!.record : null;
    expect(r).toMatchObject({ flowId: "f1", evaluationId: "e1", owner: "pub", status: "open", failingMetrics: ["demographicParityGap"], dueAt: "2026-03-15T00:00:00.000Z" });
    expect(d[1]).toMatchObject({ kind: "queue_alert", event: "block", tier: "block" });
  });
  it("an auto-pause has no owner; a flow with an open remediation gets no second one", () => {
    const first = decideEffects({ audits: [pause], evaluations: [] }, { alerts: null, flowsWithOpenRemediation: new Set() }, "t1", ids);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ kind: "open_remediation", record: { owner: null, openedByAction: "auto_pause" } });
    expect(decideEffects({ audits: [pause], evaluations: [] }, { alerts: null, flowsWithOpenRemediation: new Set(["f1"]) }, "t1", ids)).toEqual([]);
    // Two events for the same flow in one write open one record.
    expect(decideEffects({ audits: [block, pause], evaluations: [] }, { alerts: null, flowsWithOpenRemediation: new Set() }, "t1", ids)).toHaveLength(1);
  });
  it("override events are governance: queued whatever the minimum tier, but only with a webhook", () => {
    expect(decideEffects({ audits: [approve], evaluations: [] }, { alerts: { minTier: "warning" }, flowsWithOpenRemediation: new Set() }, "t1", ids)).toMatchObject([{ kind: "queue_alert", event: "override", tier: "warning" }]);
    expect(decideEffects({ audits: [approve], evaluations: [] }, { alerts: { minTier: "block" }, flowsWithOpenRemediation: new Set() }, "t1", ids)).toMatchObject([{ kind: "queue_alert", event: "override" }]);
    // No tier is above block: a block alert passes every minimum.
    expect(decideEffects({ audits: [block], evaluations: [] }, { alerts: { minTier: "block" }, flowsWithOpenRemediation: new Set(["f1"]) }, "t1", ids)).toMatchObject([{ kind: "queue_alert", event: "block" }]);
    expect(decideEffects({ audits: [approve], evaluations: [] }, { alerts: null, flowsWithOpenRemediation: new Set() }, "t1", ids)).toEqual([]);
  });
  it("ordinary events imply nothing", () => {
    const publish: TimedAuditEntry = { ...block, action: "publish" };
    expect(mayHaveEffects({ audits: [publish], evaluations: [] })).toBe(false);
    expect(mayHaveEffects({ audits: [block], evaluations: [] })).toBe(true);
    expect(decideEffects({ audits: [publish], evaluations: [] }, { alerts: { minTier: "warning" }, flowsWithOpenRemediation: new Set() }, "t1", ids)).toEqual([]);
  });
});
