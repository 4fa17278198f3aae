/**
 * Deno Deploy configuration and file reads: what a Deploy app must provide,
 * refused with one line naming the variable (never its value), the transport
 * URL handed to the web client, and the migrations read through the entry's
 * read-only file access equal to the ones Node and Deno load from disk.
 */
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../worker/runtime/config.js";
import { deployTransportUrl, parseDenoDeployEnv } from "../../worker/runtime/deno-deploy-config.js";
import { readMigrations, type DeployFiles } from "../../worker/runtime/deno-deploy-deps.js";
import { loadMigrationsFromDisk } from "../../worker/runtime/node-files.js";

const base = {
  FAIRGATE_CONTROL_DB_URL: "libsql://control-acme.turso.io",
  FAIRGATE_CONTROL_DB_AUTH_TOKEN: "control-token-secret",
  FAIRGATE_ADMIN_TOKEN: "a-platform-token-0123456789",
  FAIRGATE_EVIDENCE_SIGNING_KEY: "9f3c1e0a5b7d2f4e6a8c0b1d3f5e7a9c2b4d6f8e0a1c3e5b7d9f2a4c6e8b0d1f",
  FAIRGATE_REGIONS: '{"eu":{"url":"libsql://eu-acme.turso.io","authToken":"t"}}',
};

describe("parseDenoDeployEnv", () => {
  it("accepts a complete Deploy environment and ignores the file-only variables", () => {
    const { config, regions } = parseDenoDeployEnv({ ...base, FAIRGATE_DATA_DIR: "/nowhere", FAIRGATE_FILE_DRIVER: "thread", PATH: "/bin" });
    expect(config.FAIRGATE_CONTROL_DB_URL).toBe(base.FAIRGATE_CONTROL_DB_URL);
    expect(config.FAIRGATE_RECHECK_CRON).toBe("0 3 * * *");
    expect(config.FAIRGATE_EXPIRY_SWEEP_CRON).toBe("*/15 * * * *");
    expect(config.PORT).toBe(8787);
    expect(config).not.toHaveProperty("FAIRGATE_DATA_DIR");
    expect(regions).toEqual({ eu: { url: "libsql://eu-acme.turso.io", authToken: "t" } });
  });

  it.each([
    ["file: control URL", { FAIRGATE_CONTROL_DB_URL: "file:control.db" }, /^Invalid configuration: FAIRGATE_CONTROL_DB_URL: file: URLs cannot work on Deno Deploy/],
    ["missing control URL", { FAIRGATE_CONTROL_DB_URL: undefined }, /^Invalid configuration: FAIRGATE_CONTROL_DB_URL: is required on Deno Deploy/],
    ["missing admin token", { FAIRGATE_ADMIN_TOKEN: undefined }, /^Invalid configuration: FAIRGATE_ADMIN_TOKEN: is required on Deno Deploy/],
    ["short admin token", { FAIRGATE_ADMIN_TOKEN: "short" }, /^Invalid configuration: FAIRGATE_ADMIN_TOKEN: must be at least 16/],
    ["missing evidence signing key", { FAIRGATE_EVIDENCE_SIGNING_KEY: undefined }, /^Invalid configuration: FAIRGATE_EVIDENCE_SIGNING_KEY: is required on Deno Deploy/],
    ["malformed evidence signing key", { FAIRGATE_EVIDENCE_SIGNING_KEY: "not-a-key" }, /^Invalid configuration: FAIRGATE_EVIDENCE_SIGNING_KEY: must be a 32-byte Ed25519 seed/],
    ["missing regions", { FAIRGATE_REGIONS: undefined }, /^Invalid configuration: FAIRGATE_REGIONS: is required on Deno Deploy/],
    ["embedded region", { FAIRGATE_REGIONS: '{"eu":{}}' }, /^Invalid configuration: FAIRGATE_REGIONS: region "eu" needs a "url" on Deno Deploy/],
    ["file: region", { FAIRGATE_REGIONS: '{"eu":{"url":"file:x.db"}}' }, /^Invalid configuration: FAIRGATE_REGIONS/],
    ["bad schedule", { FAIRGATE_RECHECK_CRON: "daily" }, /^Invalid configuration: FAIRGATE_RECHECK_CRON/],
  ])("refuses a %s with one line naming the variable", (_, patch, message) => {
    const env: Record<string, string | undefined> = { ...base, ...patch };
    let err: unknown;
    try {
      parseDenoDeployEnv(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(message);
    expect(msg).not.toContain("\n");
    for (const secret of [base.FAIRGATE_ADMIN_TOKEN, base.FAIRGATE_EVIDENCE_SIGNING_KEY, base.FAIRGATE_CONTROL_DB_AUTH_TOKEN]) expect(msg).not.toContain(secret);
  });
});

describe("deployTransportUrl", () => {
  it("speaks Hrana over HTTP: ws(s) becomes http(s), libsql and http(s) are kept", () => {
    expect(deployTransportUrl("wss://db.example.test")).toBe("https://db.example.test");
    expect(deployTransportUrl("ws://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(deployTransportUrl("libsql://db-acme.turso.io")).toBe("libsql://db-acme.turso.io");
    expect(deployTransportUrl("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
  });

  it("refuses a file: URL (a tenant placed in embedded storage by a Node gateway sharing the control store)", () => {
    expect(() => deployTransportUrl("file:tenants/t1.db")).toThrow(/^Invalid database URL: file: URLs cannot work on Deno Deploy/);
  });
});

describe("readMigrations", () => {
  it("reads through read-only file access exactly the migrations Node and Deno load from disk", async () => {
    const files: DeployFiles = {
      readBytes: async (url) => new Uint8Array(await readFile(url)),
      readText: (url) => readFile(url, "utf8"),
      list: (url) => readdir(fileURLToPath(url)),
    };
    const read = await readMigrations(files);
    expect(read).toEqual(loadMigrationsFromDisk());
    expect(read.control.length).toBeGreaterThan(0);
    expect(read.tenant.length).toBeGreaterThan(0);
  });
});
