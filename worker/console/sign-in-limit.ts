/**
 * @module console/sign-in-limit
 * The rate limit on POST /console/sign-in, per client address: http/rate-limit's token
 * bucket (its own table, since these keys are addresses, not API key ids), limit
 * "console-sign-in" of `limits.rateLimits` when configured, else a modest default. Every
 * sign-in writes a session row and looks a key up in the control store, so one client
 * must not be able to do it at full speed.
 */
import type { Context } from "hono";
import { getRuntimeKey } from "hono/adapter";
import { createTokenBuckets, type TakeResult } from "../http/rate-limit.js";
import type { AppDeps, BucketLimit } from "../http/types.js";

export const SIGN_IN_LIMIT = "console-sign-in";
/** 30 sign-ins at once, then one every 2 s: far above a person's, far below a script's. */
export const SIGN_IN_LIMIT_DEFAULT: BucketLimit = { perSecond: 0.5, burst: 30 };

/** A proxy on the host or on a private network (the TLS-terminating proxy the sign-in origin check allows for). */
const PRIVATE_PEER = /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|::1$|f[cd][0-9a-f]{2}:|fe80:)/i;

/**
 * The address a sign-in is counted against. On Workers, Cloudflare's CF-Connecting-IP (a
 * client cannot set it there; elsewhere it could, so it is not read). Otherwise the peer of
 * the connection (Node: @hono/node-server's `incoming`; Deno: the serve handler's
 * `remoteAddr`) — unless that peer is a private address and the request carries
 * X-Forwarded-For: then the proxy's own entry (the last one, the address it saw), so that
 * everyone behind one proxy does not share one bucket. Without either, one shared bucket.
 */
export function clientAddress(c: Context): string {
  if (getRuntimeKey() === "workerd") return c.req.header("cf-connecting-ip") ?? "unknown";
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; remoteAddr?: { hostname?: string } } | undefined;
  const peer = env?.incoming?.socket?.remoteAddress ?? env?.remoteAddr?.hostname;
  const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
  if (forwarded && (!peer || PRIVATE_PEER.test(peer.replace(/^::ffff:/i, "")))) return forwarded;
  return peer ?? "unknown";
}

/** One limiter per console app (never module state): takes a token for the request's client address. */
export function createSignInLimiter(deps: Pick<AppDeps, "limits" | "clock">): (c: Context) => TakeResult {
  const configured = deps.limits.rateLimits;
  const limit = configured?.limits[SIGN_IN_LIMIT] ?? SIGN_IN_LIMIT_DEFAULT;
  const buckets = createTokenBuckets({ limits: { [SIGN_IN_LIMIT]: limit }, maxBuckets: configured?.maxBuckets ?? 10_000 }, () => deps.clock().getTime());
  return (c) => buckets.take(SIGN_IN_LIMIT, clientAddress(c));
}
