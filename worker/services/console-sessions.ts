/**
 * @module services/console-sessions
 * Console sign-in: a presented API key is exchanged for a session that acts as that
 * key (same tenant, principal and roles, read afresh on every request), expiring
 * after 8 h without use or 12 h after sign-in, whichever comes first, and ending
 * when the key is revoked or expires. Like the key lifecycle, this module never sees
 * a secret: the console generates the session id and passes only its hash.
 */
import type { Principal } from "../domain/roles.js";
import type { TenantRecord } from "../store/control-store.js";
import type { ApiKeyDeps } from "./api-keys.js";
import { authenticateApiKey } from "./api-keys.js";

/** A session ends this long after its last use. */
export const SESSION_IDLE_MS = 8 * 3600_000;
/** A session ends this long after sign-in, however busy. */
export const SESSION_ABSOLUTE_MS = 12 * 3600_000;
/**
 * Live sessions one key may hold; signing in beyond it ends the key's oldest. With the
 * key's dead rows deleted at each sign-in, a key holder cannot grow the table beyond it.
 */
export const SESSIONS_PER_KEY = 50;
/** The idle clock is moved on at this resolution (one control-store write a minute per session). */
const TOUCH_RESOLUTION_MS = 60_000;

type SessionDeps = Pick<ApiKeyDeps, "control" | "clock">;

export interface ConsoleSession {
  principal: Principal;
  tenant: TenantRecord;
  expiresAt: string;
  /** The best-effort idle-clock write, when one was due (Workers hand it to waitUntil). */
  touched: Promise<void> | null;
}

/**
 * Opens a session for the key whose secret hashes to `keyHash`; null when the key
 * does not work (unknown, revoked, expired), exactly as for an API request.
 */
export async function startConsoleSession(
  deps: SessionDeps,
  keyHash: string,
  sessionHash: string,
  onTouchError: (e: unknown) => void,
): Promise<{ principal: Principal; expiresAt: string } | null> {
  const found = await authenticateApiKey(deps, keyHash, onTouchError);
  if (!found) return null;
  const now = deps.clock();
  const expiresAt = new Date(now.getTime() + SESSION_ABSOLUTE_MS).toISOString();
  const sweep = { before: new Date(now.getTime() - 86_400_000).toISOString(), idleBefore: new Date(now.getTime() - SESSION_IDLE_MS).toISOString(), keepPerKey: SESSIONS_PER_KEY };
  await deps.control.consoleSessions.create({ idHash: sessionHash, tenantId: found.key.tenantId, keyId: found.key.id, createdAt: now.toISOString(), expiresAt }, sweep);
  const k = found.key;
  return { principal: { tenantId: k.tenantId, principal: k.principal, keyId: k.id, roles: k.roles }, expiresAt };
}

/** The live session whose id hashes to `sessionHash`, or null (unknown, signed out, expired, key gone). */
export async function resolveConsoleSession(deps: SessionDeps, sessionHash: string, onTouchError: (e: unknown) => void): Promise<ConsoleSession | null> {
  const nowDate = deps.clock();
  const now = nowDate.toISOString();
  const s = await deps.control.consoleSessions.findLive(sessionHash, now, new Date(nowDate.getTime() - SESSION_IDLE_MS).toISOString());
  if (!s) return null;
  const tenant = await deps.control.getTenant(s.tenantId);
  if (!tenant) return null;
  const staleBefore = new Date(nowDate.getTime() - TOUCH_RESOLUTION_MS).toISOString();
  const touched = s.lastSeenAt < staleBefore ? deps.control.consoleSessions.touch(sessionHash, now, staleBefore).catch(onTouchError) : null;
  return { principal: { tenantId: s.tenantId, principal: s.principal, keyId: s.keyId, roles: s.roles }, tenant, expiresAt: s.expiresAt, touched };
}

/** Signs a session out (idempotent: signing out twice is not an error). */
export async function endConsoleSession(deps: SessionDeps, sessionHash: string): Promise<void> {
  await deps.control.consoleSessions.revoke(sessionHash, deps.clock().toISOString());
}
