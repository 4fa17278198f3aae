/**
 * Worker configuration: what a Workers deployment must provide, refused with a
 * message naming the variable (the values themselves never appear).
 */
import { describe, expect, it } from "vitest";
import { httpTransportUrl, parseWorkerEnv } from "../../worker/runtime/cloudflare-config.js";
import { ConfigError } from "../../worker/runtime/config.js";

const base = {
  FAIRGATE_CONTROL_DB_URL: "libsql://control-acme.turso.io",
  FAIRGATE_ADMIN_TOKEN: "a-platform-token-0123456789",
  FAIRGATE_EVIDENCE_SIGNING_KEY: "9f3c1e0a5b7d2f4e6a8c0b1d3f5e7a9c2b4d6f8e0a1c3e5b7d9f2a4c6e8b0d1f",
  FAIRGATE_REGIONS: '{"eu":{"url":"libsql://eu-acme.turso.io","authToken":"t"}}',
};

describe("parseWorkerEnv", () => {
  it("accepts a complete Workers environment and ignores non-variable bindings", () => {
    const { config, regions } = parseWorkerEnv({ ...base, ASSETS: { fetch() {} }, OTHER: "x" });
    expect(config.FAIRGATE_CONTROL_DB_URL).toBe(base.FAIRGATE_CONTROL_DB_URL);
    expect(config.FAIRGATE_RECHECK_CRON).toBe("0 3 * * *");
    expect(regions).toEqual({ eu: { url: "libsql://eu-acme.turso.io", authToken: "t" } });
  });

  it("takes FAIRGATE_REGIONS written as a TOML table (a JSON object binding)", () => {
    const { regions } = parseWorkerEnv({ ...base, FAIRGATE_REGIONS: { us: { url: "https://us.example.test" } } });
    expect(regions).toEqual({ us: { url: "https://us.example.test" } });
  });

  it.each([
    ["file: control URL", { FAIRGATE_CONTROL_DB_URL: "file:control.db" }, /FAIRGATE_CONTROL_DB_URL: file: URLs cannot work on Cloudflare Workers/],
    ["missing control URL", { FAIRGATE_CONTROL_DB_URL: undefined }, /FAIRGATE_CONTROL_DB_URL/],
    ["missing admin token", { FAIRGATE_ADMIN_TOKEN: undefined }, /FAIRGATE_ADMIN_TOKEN: is required on Workers/],
    ["short admin token", { FAIRGATE_ADMIN_TOKEN: "short" }, /FAIRGATE_ADMIN_TOKEN: must be at least 16/],
    ["missing evidence signing key", { FAIRGATE_EVIDENCE_SIGNING_KEY: undefined }, /FAIRGATE_EVIDENCE_SIGNING_KEY: is required on Workers/],
    ["malformed evidence signing key", { FAIRGATE_EVIDENCE_SIGNING_KEY: "not-a-key" }, /FAIRGATE_EVIDENCE_SIGNING_KEY: must be a 32-byte Ed25519 seed/],
    ["missing regions", { FAIRGATE_REGIONS: undefined }, /FAIRGATE_REGIONS: is required on Workers/],
    ["embedded region", { FAIRGATE_REGIONS: '{"eu":{}}' }, /region "eu" needs a "url" on Workers/],
    ["file: region", { FAIRGATE_REGIONS: '{"eu":{"url":"file:x.db"}}' }, /FAIRGATE_REGIONS/],
    ["unknown default region", { FAIRGATE_DEFAULT_REGION: "us" }, /FAIRGATE_DEFAULT_REGION/],
  ])("refuses a %s", (_, patch, message) => {
    const env = { ...base, ...patch };
    expect(() => parseWorkerEnv(env)).toThrow(ConfigError);
    expect(() => parseWorkerEnv(env)).toThrow(message);
    try {
      parseWorkerEnv(env);
    } catch (e) {
      expect((e as Error).message).not.toContain(base.FAIRGATE_ADMIN_TOKEN);
    }
  });
});

describe("httpTransportUrl", () => {
  it("keeps libsql:// and http(s) (the web client maps libsql:// to HTTPS) and turns WebSocket URLs into HTTP", () => {
    expect(httpTransportUrl("libsql://db-acme.turso.io")).toBe("libsql://db-acme.turso.io");
    expect(httpTransportUrl("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(httpTransportUrl("wss://db-acme.turso.io")).toBe("https://db-acme.turso.io");
    expect(httpTransportUrl("ws://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(() => httpTransportUrl("file:x.db")).toThrow(/file: URLs cannot work/);
  });
});
