/**
 * @module http/rate-limit
 * Per-API-key token buckets. Each named limit (e.g. "decisions" for recommend
 * and outcomes, "bulk" for bulk traces) has its own bucket per key: `burst`
 * tokens, refilled continuously at `perSecond`. A request takes one token or is
 * answered 429 `rate_limited` with `Retry-After` (whole seconds, ≥ 1).
 *
 * Buckets live in memory, per process (per isolate on Workers): limits are per
 * instance, not global. Memory is bounded: buckets are kept in least-recently-used
 * order, an idle bucket is dropped as soon as it would have refilled (it then
 * equals a fresh one, so nothing is lost), and beyond `maxBuckets` the least
 * recently used is dropped. The limiter runs after authentication, so only real
 * key ids ever create buckets.
 */
import type { MiddlewareHandler } from "hono";
import { problem } from "./problem.js";
import type { AppEnv, RateLimitConfig } from "./types.js";

interface Bucket {
  tokens: number;
  /** Time (ms) `tokens` was computed at. */
  at: number;
  /** When the bucket is full again if untouched: from then on it equals a fresh one. */
  fullAt: number;
}

export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

/** The bucket table; `now` is injected (the app's clock) so tests control refill. */
export function createTokenBuckets(cfg: RateLimitConfig, now: () => number) {
  // Map iteration order is insertion order: re-inserting on every use keeps it LRU-first.
  const buckets = new Map<string, Bucket>();

  function evict(t: number): void {
    for (const [k, b] of buckets) {
      if (b.fullAt <= t || buckets.size > cfg.maxBuckets) buckets.delete(k);
      else break;
    }
  }

  return {
    /** Takes one token from `name`'s bucket for `key`. */
    take(name: string, key: string): TakeResult {
      const limit = cfg.limits[name];
      if (!limit || limit.perSecond <= 0) return { ok: true, remaining: Infinity };
      const t = now();
      const id = `${name}\u0000${key}`;
      const prev = buckets.get(id);
      let tokens = limit.burst;
      if (prev) {
        // A clock that steps back (NTP, a test) must not drain a bucket.
        tokens = Math.min(limit.burst, prev.tokens + (Math.max(0, t - prev.at) / 1000) * limit.perSecond);
        buckets.delete(id);
      }
      const ok = tokens >= 1;
      if (ok) tokens -= 1;
      buckets.set(id, { tokens, at: t, fullAt: t + ((limit.burst - tokens) / limit.perSecond) * 1000 });
      evict(t);
      if (ok) return { ok: true, remaining: Math.floor(tokens) };
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / limit.perSecond)) };
    },
    /** Buckets currently held (for tests of the memory bound). */
    size: () => buckets.size,
  };
}
export type TokenBuckets = ReturnType<typeof createTokenBuckets>;

/** Middleware: one token of limit `name` per request, keyed by the authenticated API key. */
export function rateLimit(buckets: TokenBuckets, name: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const keyId = c.get("principal").keyId;
    const r = buckets.take(name, keyId);
    if (!r.ok) {
      c.get("log").info("rate limited", { limit: name, retryAfterSeconds: r.retryAfterSeconds });
      const res = problem(c, 429, "rate_limited", "Too many requests", `This API key exceeded its "${name}" rate limit; retry after ${r.retryAfterSeconds} s.`, {
        retryAfterSeconds: r.retryAfterSeconds,
      });
      res.headers.set("retry-after", String(r.retryAfterSeconds));
      return res;
    }
    await next();
  };
}
