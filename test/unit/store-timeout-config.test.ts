/**
 * @module test/unit/store-timeout-config
 * FAIRGATE_STORE_TIMEOUT_MS and FAIRGATE_FILE_DRIVER are validated at start:
 * defaults, accepted values, and one line naming the variable otherwise.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv, serverEnvSchema } from "../../worker/runtime/config.js";

describe("store deadline and file driver configuration", () => {
  it("defaults to a 5 s deadline and the worker-thread driver", () => {
    const c = parseEnv(serverEnvSchema, {});
    expect(c.FAIRGATE_STORE_TIMEOUT_MS).toBe(5000);
    expect(c.FAIRGATE_FILE_DRIVER).toBe("thread");
  });

  it("accepts a deadline in range and the other drivers", () => {
    expect(parseEnv(serverEnvSchema, { FAIRGATE_STORE_TIMEOUT_MS: "2500" }).FAIRGATE_STORE_TIMEOUT_MS).toBe(2500);
    expect(parseEnv(serverEnvSchema, { FAIRGATE_FILE_DRIVER: "native" }).FAIRGATE_FILE_DRIVER).toBe("native");
  });

  it.each([["10"], ["999999"], ["2.5"], ["soon"]])("refuses FAIRGATE_STORE_TIMEOUT_MS=%s naming the variable", (v) => {
    expect(() => parseEnv(serverEnvSchema, { FAIRGATE_STORE_TIMEOUT_MS: v })).toThrow(ConfigError);
    expect(() => parseEnv(serverEnvSchema, { FAIRGATE_STORE_TIMEOUT_MS: v })).toThrow(/^Invalid configuration: FAIRGATE_STORE_TIMEOUT_MS: /);
  });

  it("refuses an unknown file driver", () => {
    expect(() => parseEnv(serverEnvSchema, { FAIRGATE_FILE_DRIVER: "threads" })).toThrow(/FAIRGATE_FILE_DRIVER/);
  });
});
