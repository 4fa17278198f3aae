/**
 * Per-key token buckets through the real app with an injected clock: a key over
 * its limit gets 429 problem+json `rate_limited` with an integer Retry-After ≥ 1,
 * other keys are unaffected, tokens refill with time, recommend and outcomes
 * share one bucket, bulk has its own, reads are not limited. Also the bucket
 * table's memory bound and the configuration's validation.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenBuckets } from "../../worker/http/rate-limit.js";
import { ConfigError, parseEnv, serverEnvSchema } from "../../worker/runtime/config.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, bulk, createTenant, expectProblem, line, type Res, type TenantFixture } from "./_support.js";

let app: InProcessApp;
let api: Api;
let T: TenantFixture;
let now = Date.parse("2026-06-01T10:00:00.000Z");
const advance = (ms: number) => {
  now += ms;
};

beforeAll(async () => {
  app = await createInProcessApp({
    clock: () => new Date(now),
    env: {
      FAIRGATE_RATE_LIMIT_PER_SECOND: "2",
      FAIRGATE_RATE_LIMIT_BURST: "3",
      FAIRGATE_BULK_RATE_LIMIT_PER_MINUTE: "6",
      FAIRGATE_BULK_RATE_LIMIT_BURST: "2",
    },
  });
  api = inProcessClient(app);
  T = await createTenant(app, "limits", { operator2: { principal: "op2@limits.test", roles: ["operator"] } });
});

afterAll(async () => {
  await app?.close();
});

/** A recommend for a flow that does not exist: 404 once past the limiter, so it changes nothing. */
const recommend = (token: string) => api.request("POST", "/api/v1/recommend", { token, body: { customerId: "c", decisionFlowKey: "no-such-flow", attributes: {} } });
const outcome = (token: string) => api.request("POST", "/api/v1/outcomes", { token, body: { traceId: "no-such-trace", converted: true } });

function expectLimited(r: Res, retryAfter: number) {
  expectProblem(r, 429, "rate_limited");
  expect(r.headers.get("retry-after")).toBe(String(retryAfter));
  expect(r.body.retryAfterSeconds).toBe(retryAfter);
}

describe("decisions bucket (recommend + outcomes)", () => {
  it("a burst of 3 passes, the 4th is 429 with Retry-After; another key is unaffected; tokens refill", async () => {
    for (let i = 0; i < 3; i++) expect((await recommend(T.keys.operator)).status).toBe(404);
    expectLimited(await recommend(T.keys.operator), 1);
    // Outcomes draw from the same bucket.
    expectLimited(await outcome(T.keys.operator), 1);
    // Another key of the same tenant has its own bucket.
    for (let i = 0; i < 3; i++) expect((await recommend(T.keys.operator2!)).status).toBe(404);

    // 2 tokens/s: half a second buys exactly one request.
    advance(500);
    expect((await recommend(T.keys.operator)).status).toBe(404);
    expectLimited(await recommend(T.keys.operator), 1);
    // Long idle: back to a full burst, never more.
    advance(60_000);
    for (let i = 0; i < 3; i++) expect((await outcome(T.keys.operator)).status).toBe(404);
    expectLimited(await outcome(T.keys.operator), 1);
  });

  it("reads and other routes are not limited", async () => {
    advance(60_000);
    for (let i = 0; i < 3; i++) expect((await recommend(T.keys.operator)).status).toBe(404);
    expectLimited(await recommend(T.keys.operator), 1);
    for (let i = 0; i < 10; i++) expect((await api.request("GET", "/api/v1/decision-flows", { token: T.keys.operator })).status).toBe(200);
  });

  it("an unauthenticated request is 401, not 429, and does not spend anybody's tokens", async () => {
    advance(60_000);
    for (let i = 0; i < 10; i++) expectProblem(await recommend("fgk_not-a-key"), 401, "unauthorized");
    for (let i = 0; i < 3; i++) expect((await recommend(T.keys.operator)).status).toBe(404);
  });
});

describe("bulk bucket", () => {
  it("has its own limit; Retry-After counts whole seconds until a token is back", async () => {
    advance(600_000);
    const lines = [line("no-such-flow", "65+", true)];
    for (let i = 0; i < 2; i++) expectProblem(await bulk(api, T.keys.operator, lines), 400, "bulk_invalid_lines");
    // 6 per minute = one token every 10 s.
    expectLimited(await bulk(api, T.keys.operator, lines), 10);
    // The decisions bucket is separate.
    expect((await recommend(T.keys.operator)).status).toBe(404);
    advance(9_100);
    expectLimited(await bulk(api, T.keys.operator, lines), 1);
    advance(900);
    expectProblem(await bulk(api, T.keys.operator, lines), 400, "bulk_invalid_lines");
  });
});

describe("bucket table", () => {
  it("holds at most maxBuckets, dropping idle (already refilled) buckets and then the least recently used", () => {
    let t = 0;
    const b = createTokenBuckets({ limits: { x: { perSecond: 1, burst: 2 } }, maxBuckets: 3 }, () => t);
    for (const k of ["a", "b", "c", "d", "e"]) b.take("x", k);
    expect(b.size()).toBe(3);
    // "e" was used last and is still drained: it kept its state.
    b.take("x", "e");
    expect(b.take("x", "e").ok).toBe(false);
    // After 2 s every bucket has refilled; the next use drops all of them but its own.
    t = 2_000;
    b.take("x", "z");
    expect(b.size()).toBe(1);
  });

  it("a clock that steps back neither drains nor refills a bucket", () => {
    let t = 10_000;
    const b = createTokenBuckets({ limits: { x: { perSecond: 1, burst: 2 } }, maxBuckets: 10 }, () => t);
    expect(b.take("x", "k").ok).toBe(true);
    t = 0;
    expect(b.take("x", "k").ok).toBe(true);
    expect(b.take("x", "k")).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it("a limit of 0 per second turns the limit off", () => {
    const b = createTokenBuckets({ limits: { x: { perSecond: 0, burst: 1 } }, maxBuckets: 3 }, () => 0);
    for (let i = 0; i < 100; i++) expect(b.take("x", "k").ok).toBe(true);
    expect(b.size()).toBe(0);
  });
});

describe("configuration", () => {
  it("defaults are generous (5000/s, burst 10000; bulk 600/min, burst 100) and bad values name the variable", () => {
    const cfg = parseEnv(serverEnvSchema, {});
    expect([cfg.FAIRGATE_RATE_LIMIT_PER_SECOND, cfg.FAIRGATE_RATE_LIMIT_BURST, cfg.FAIRGATE_BULK_RATE_LIMIT_PER_MINUTE, cfg.FAIRGATE_BULK_RATE_LIMIT_BURST]).toEqual([5000, 10000, 600, 100]);
    for (const [name, value] of [
      ["FAIRGATE_RATE_LIMIT_PER_SECOND", "-1"],
      ["FAIRGATE_RATE_LIMIT_BURST", "0"],
      ["FAIRGATE_BULK_RATE_LIMIT_PER_MINUTE", "1.5"],
      ["FAIRGATE_RATE_LIMIT_MAX_BUCKETS", "lots"],
    ] as const) {
      expect(() => parseEnv(serverEnvSchema, { [name]: value })).toThrow(ConfigError);
      expect(() => parseEnv(serverEnvSchema, { [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name}:`));
    }
  });
});
