/**
 * The documented response schemas and the services' views agree at compile time:
 * each service view and the zod output type the OpenAPI document (and the typed
 * client) promise for its route are assignable both ways, so a field added to a
 * view without documenting it, documented but not returned, or documented with
 * another type fails `tsc` here — before any request is made (the contract tests
 * then check the real responses).
 */
import { describe, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { RemediationRecord } from "../../worker/domain/remediation-record.js";
import type * as rs from "../../worker/http/openapi/response-schemas.js";
import type { ApiKeyView } from "../../worker/services/api-keys.js";
import type { FlowView } from "../../worker/services/flows.js";
import type { PackReport } from "../../worker/services/pack.js";
import type { PublishResult } from "../../worker/services/publish.js";
import type { RecommendResult } from "../../worker/services/traces.js";
import type { AuditRow } from "../../worker/store/tenant/evidence.js";
import type { OutboxRow } from "../../worker/store/tenant/alerts.js";
import type { OverrideWithDecisions } from "../../worker/store/tenant/governance.js";
import type { ApiKeyEvent } from "../../worker/store/control-store.js";

type Out<S extends z.ZodType> = z.output<S>;

describe("service views fit their documented response schemas", () => {
  it("compiles", () => {
    expectTypeOf<ApiKeyView>().toExtend<Out<typeof rs.apiKeySchema>>();
    expectTypeOf<Out<typeof rs.apiKeySchema>>().toExtend<ApiKeyView>();
    expectTypeOf<ApiKeyView & { key: string }>().toExtend<Out<typeof rs.apiKeyWithSecretSchema>>();
    expectTypeOf<Out<typeof rs.apiKeyWithSecretSchema>>().toExtend<ApiKeyView & { key: string }>();
    expectTypeOf<ApiKeyEvent>().toExtend<Out<typeof rs.apiKeyEventListSchema>["items"][number]>();
    expectTypeOf<Out<typeof rs.apiKeyEventListSchema>["items"][number]>().toExtend<ApiKeyEvent>();
    expectTypeOf<FlowView>().toExtend<Out<typeof rs.flowSchema>>();
    expectTypeOf<Out<typeof rs.flowSchema>>().toExtend<FlowView>();
    expectTypeOf<PublishResult>().toExtend<Out<typeof rs.publishResultSchema>>();
    expectTypeOf<Out<typeof rs.publishResultSchema>>().toExtend<PublishResult>();
    expectTypeOf<RecommendResult>().toExtend<Out<typeof rs.recommendResultSchema>>();
    expectTypeOf<Out<typeof rs.recommendResultSchema>>().toExtend<RecommendResult>();
    expectTypeOf<PackReport>().toExtend<Out<typeof rs.packResultSchema>>();
    expectTypeOf<Out<typeof rs.packResultSchema>>().toExtend<PackReport>();
    expectTypeOf<OverrideWithDecisions>().toExtend<Out<typeof rs.overrideSchema>>();
    expectTypeOf<Out<typeof rs.overrideSchema>>().toExtend<OverrideWithDecisions>();
    expectTypeOf<RemediationRecord>().toExtend<Out<typeof rs.remediationSchema>>();
    expectTypeOf<Out<typeof rs.remediationSchema>>().toExtend<RemediationRecord>();
    expectTypeOf<AuditRow>().toExtend<Out<typeof rs.auditRowSchema>>();
    expectTypeOf<Out<typeof rs.auditRowSchema>>().toExtend<AuditRow>();
    expectTypeOf<OutboxRow>().toExtend<Out<typeof rs.alertDeliveryListSchema>["items"][number]>();
    expectTypeOf<Out<typeof rs.alertDeliveryListSchema>["items"][number]>().toExtend<OutboxRow>();
  });
});
