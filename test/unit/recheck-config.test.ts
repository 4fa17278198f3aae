/**
 * @module test/unit/recheck-config
 * FAIRGATE_RECHECK_CONCURRENCY, FAIRGATE_RECHECK_TENANT_BUDGET_MS and
 * FAIRGATE_RECHECK_RETRY_DELAY_SECONDS are validated at start on every runtime:
 * defaults, accepted values, and one line naming the variable otherwise.
 */
import { describe, expect, it } from "vitest";
import { parseWorkerEnv } from "../../worker/runtime/cloudflare-config.js";
import { ConfigError, parseEnv, serverEnvSchema } from "../../worker/runtime/config.js";

describe("recheck pool configuration", () => {
  it("defaults to 4 tenants at once, 60 s per tenant, a 30 s first retry", () => {
    const c = parseEnv(serverEnvSchema, {});
    expect([c.FAIRGATE_RECHECK_CONCURRENCY, c.FAIRGATE_RECHECK_TENANT_BUDGET_MS, c.FAIRGATE_RECHECK_RETRY_DELAY_SECONDS]).toEqual([4, 60_000, 30]);
  });

  it("accepts values in range, on Node/Deno and on Workers (vars may be numbers)", () => {
    const c = parseEnv(serverEnvSchema, { FAIRGATE_RECHECK_CONCURRENCY: "16", FAIRGATE_RECHECK_TENANT_BUDGET_MS: "1500", FAIRGATE_RECHECK_RETRY_DELAY_SECONDS: "0" });
    expect([c.FAIRGATE_RECHECK_CONCURRENCY, c.FAIRGATE_RECHECK_TENANT_BUDGET_MS, c.FAIRGATE_RECHECK_RETRY_DELAY_SECONDS]).toEqual([16, 1500, 0]);
    const w = parseWorkerEnv({
      FAIRGATE_ADMIN_TOKEN: "a-worker-admin-token",
      FAIRGATE_EVIDENCE_SIGNING_KEY: "00".repeat(32),
      FAIRGATE_CONTROL_DB_URL: "https://control.example",
      FAIRGATE_REGIONS: '{"default":{"url":"https://t.example"}}',
      FAIRGATE_RECHECK_CONCURRENCY: 2,
    }).config;
    expect(w.FAIRGATE_RECHECK_CONCURRENCY).toBe(2);
  });

  it.each([
    ["FAIRGATE_RECHECK_CONCURRENCY", "0"],
    ["FAIRGATE_RECHECK_CONCURRENCY", "65"],
    ["FAIRGATE_RECHECK_CONCURRENCY", "two"],
    ["FAIRGATE_RECHECK_TENANT_BUDGET_MS", "50"],
    ["FAIRGATE_RECHECK_TENANT_BUDGET_MS", "1.5"],
    ["FAIRGATE_RECHECK_RETRY_DELAY_SECONDS", "-1"],
    ["FAIRGATE_RECHECK_RETRY_DELAY_SECONDS", "7200"],
  ])("refuses %s=%s naming the variable", (name, v) => {
    expect(() => parseEnv(serverEnvSchema, { [name]: v })).toThrow(ConfigError);
    expect(() => parseEnv(serverEnvSchema, { [name]: v })).toThrow(new RegExp(`^Invalid configuration: ${name}: `));
  });
});
