/**
 * @module services/api-keys
 * The API key lifecycle: create (optionally expiring), list, revoke, rotate with
 * a bounded grace period, and authenticate a presented key. Platform operators
 * act on any tenant; a tenant admin acts on its own tenant only and can never
 * mint a key with a role it does not hold. Every change commits with its event
 * row in the control store (append-only); the tenant's own audit log gets a
 * matching row so its auditors see key events too. Secrets never reach this
 * module: the HTTP layer generates them and passes only their hashes.
 */
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../domain/errors.js";
import { type Principal, type Role, rolesNotHeld } from "../domain/roles.js";
import type { ApiKeyEvent, ControlStore, StoredApiKey, TenantRecord } from "../store/control-store.js";
import type { RecheckDeps } from "./recheck.js";
import { errorFields, type Logger } from "../observability/logger.js";

/** Longest grace period a rotation may give the old key. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600;
/** lastUsedAt is recorded at this resolution, so a busy key costs one write a minute, not one per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export type ApiKeyDeps = Pick<RecheckDeps, "control" | "tenants" | "clock" | "newId"> & { logger?: Logger };

/** Who changes a key: the platform operator, or a tenant principal (a tenant admin). */
export type KeyActor = { type: "platform" } | { type: "principal"; principal: Principal };

export type ApiKeyStatus = "active" | "rotating" | "revoked" | "expired";

/** What a key looks like to its owners: never the secret nor its hash. */
export interface ApiKeyView {
  id: string;
  principal: string;
  roles: Role[];
  status: ApiKeyStatus;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  /** When the key stopped (or, while rotating, will stop) working. */
  revokedAt: string | null;
  replacedBy: string | null;
}

export interface NewKeyInput {
  principal: string;
  roles: Role[];
  expiresAt?: string | undefined;
}

/** A presented key's identity and tenant, once authenticated. */
export interface AuthenticatedKey {
  key: StoredApiKey;
  tenant: TenantRecord;
  /** The best-effort lastUsedAt write, when one was due (callers may hand it to waitUntil). */
  touched: Promise<void> | null;
}

function statusOf(k: StoredApiKey, now: string): ApiKeyStatus {
  if (k.revokedAt !== null && k.revokedAt <= now) return "revoked";
  if (k.expiresAt !== null && k.expiresAt <= now) return "expired";
  return k.revokedAt !== null ? "rotating" : "active";
}

function view(k: StoredApiKey, now: string): ApiKeyView {
  return {
    id: k.id,
    principal: k.principal,
    roles: k.roles,
    status: statusOf(k, now),
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    expiresAt: k.expiresAt,
    revokedAt: k.revokedAt,
    replacedBy: k.replacedBy,
  };
}

const actorFields = (a: KeyActor) =>
  a.type === "platform"
    ? { actorType: "platform" as const, actor: "platform-admin", actorKeyId: null }
    : { actorType: "principal" as const, actor: a.principal.principal, actorKeyId: a.principal.keyId };

/** A principal may only act on its own tenant; anything else looks like it does not exist. */
async function tenantFor(deps: ApiKeyDeps, tenantId: string, actor: KeyActor): Promise<TenantRecord> {
  if (actor.type === "principal" && actor.principal.tenantId !== tenantId) throw new NotFoundError("tenant");
  const tenant = await deps.control.getTenant(tenantId);
  if (!tenant) throw new NotFoundError("tenant");
  return tenant;
}

function checkRoles(actor: KeyActor, roles: Role[]): void {
  if (actor.type !== "principal") return;
  const extra = rolesNotHeld(actor.principal.roles, roles);
  if (extra.length)
    throw new ForbiddenError("role_escalation_forbidden", `A key may only carry roles its creator holds; you do not hold: ${extra.join(", ")}.`);
}

/** Normalises an expiry to UTC ISO (so it compares as text) and requires it to lie in the future. */
function expiryOf(expiresAt: string | undefined, now: Date): string | null {
  if (expiresAt === undefined) return null;
  const t = new Date(expiresAt);
  if (Number.isNaN(t.getTime()) || t.getTime() <= now.getTime())
    throw new ValidationError("expiresAt must be a date-time in the future.", {}, "api_key_expiry_invalid");
  return t.toISOString();
}

/**
 * Writes the tenant-side copy of a key event. The control-store event, committed
 * with the key change, is the authoritative record; the copy lets the tenant's own
 * auditors see key events. It is best effort: a tenant database that is down (or
 * whose chain refuses writes) must not turn an already-committed revocation of a
 * leaked key into a 503 the caller would retry.
 */
async function tenantAudit(deps: ApiKeyDeps, tenant: TenantRecord, e: ApiKeyEvent, after: unknown): Promise<void> {
  try {
    const { store } = await deps.tenants.get(tenant);
    await store.write([
      store.evidence.auditStmt(deps.newId(), { entityType: "api_key", entityId: e.keyId, action: `api_key_${e.action}`, actor: e.actor, after, details: e.detail }, e.createdAt),
    ]);
  } catch (err) {
    deps.logger?.warn("key event not copied to the tenant audit log; the control-store event stands", { tenantId: tenant.id, keyId: e.keyId, action: e.action, ...errorFields(err) });
  }
}

/** Creates a key (its secret already hashed by the caller). */
export async function createApiKey(deps: ApiKeyDeps, tenantId: string, input: NewKeyInput, keyHash: string, actor: KeyActor): Promise<ApiKeyView> {
  const tenant = await tenantFor(deps, tenantId, actor);
  checkRoles(actor, input.roles);
  const nowDate = deps.clock();
  const now = nowDate.toISOString();
  const expiresAt = expiryOf(input.expiresAt, nowDate);
  const id = deps.newId();
  const event: ApiKeyEvent = {
    id: deps.newId(),
    tenantId,
    keyId: id,
    action: "create",
    ...actorFields(actor),
    detail: { principal: input.principal, roles: input.roles, expiresAt },
    createdAt: now,
  };
  await deps.control.apiKeys.create({ id, tenantId, principal: input.principal, roles: input.roles, keyHash, createdAt: now, expiresAt }, event);
  await tenantAudit(deps, tenant, event, { principal: input.principal, roles: input.roles });
  return view({ id, tenantId, principal: input.principal, roles: input.roles, createdAt: now, expiresAt, lastUsedAt: null, revokedAt: null, replacedBy: null }, now);
}

export async function listApiKeys(deps: ApiKeyDeps, tenantId: string, actor: KeyActor): Promise<ApiKeyView[]> {
  await tenantFor(deps, tenantId, actor);
  const now = deps.clock().toISOString();
  return (await deps.control.apiKeys.list(tenantId)).map((k) => view(k, now));
}

/** Revokes a key now (a rotating key's grace period ends now). */
export async function revokeApiKey(deps: ApiKeyDeps, tenantId: string, keyId: string, actor: KeyActor): Promise<ApiKeyView> {
  const tenant = await tenantFor(deps, tenantId, actor);
  const now = deps.clock().toISOString();
  const key = await deps.control.apiKeys.get(tenantId, keyId);
  if (!key) throw new NotFoundError("API key");
  const event: ApiKeyEvent = { id: deps.newId(), tenantId, keyId, action: "revoke", ...actorFields(actor), detail: { previousStatus: statusOf(key, now) }, createdAt: now };
  if (!(await deps.control.apiKeys.revoke(tenantId, keyId, now, event))) throw new ConflictError("api_key_already_revoked", "The API key is already revoked.");
  await tenantAudit(deps, tenant, event, { revokedAt: now });
  return view({ ...key, revokedAt: now }, now);
}

export interface RotateInput {
  graceSeconds: number;
  expiresAt?: string | undefined;
}

/**
 * Replaces an active key by a new one with the same principal and roles. The old
 * key keeps working for `graceSeconds` (0 = it stops now). The new key expires at
 * `expiresAt` if given, else when the old one would have.
 */
export async function rotateApiKey(
  deps: ApiKeyDeps,
  tenantId: string,
  keyId: string,
  input: RotateInput,
  keyHash: string,
  actor: KeyActor,
): Promise<{ key: ApiKeyView; replaced: ApiKeyView }> {
  const tenant = await tenantFor(deps, tenantId, actor);
  const old = await deps.control.apiKeys.get(tenantId, keyId);
  if (!old) throw new NotFoundError("API key");
  checkRoles(actor, old.roles);
  const nowDate = deps.clock();
  const now = nowDate.toISOString();
  const expiresAt = input.expiresAt !== undefined ? expiryOf(input.expiresAt, nowDate) : old.expiresAt;
  const oldUntil = new Date(nowDate.getTime() + input.graceSeconds * 1000).toISOString();
  const id = deps.newId();
  const base = { tenantId, ...actorFields(actor), createdAt: now };
  const events: ApiKeyEvent[] = [
    { ...base, id: deps.newId(), keyId, action: "rotate", detail: { replacedBy: id, graceSeconds: input.graceSeconds, validUntil: oldUntil } },
    { ...base, id: deps.newId(), keyId: id, action: "create", detail: { principal: old.principal, roles: old.roles, expiresAt, rotatedFrom: keyId } },
  ];
  const next = { id, tenantId, principal: old.principal, roles: old.roles, keyHash, createdAt: now, expiresAt };
  if (!(await deps.control.apiKeys.rotate(tenantId, keyId, next, oldUntil, now, events)))
    throw new ConflictError("api_key_not_active", "Only an active key can be rotated (this one is revoked, expired or already rotated).");
  await tenantAudit(deps, tenant, events[0]!, { replacedBy: id, validUntil: oldUntil });
  return {
    key: view({ ...next, lastUsedAt: null, revokedAt: null, replacedBy: null }, now),
    replaced: view({ ...old, revokedAt: oldUntil, replacedBy: id }, now),
  };
}

/** The control-store key events of a tenant, oldest first. */
export async function listApiKeyEvents(deps: ApiKeyDeps, tenantId: string): Promise<ApiKeyEvent[]> {
  if (!(await deps.control.getTenant(tenantId))) throw new NotFoundError("tenant");
  return deps.control.apiKeys.events(tenantId);
}

/**
 * Resolves the hash of a presented key to a working key and its tenant, or null
 * (unknown, revoked, expired, or its tenant is gone). Records the use at most
 * once per LAST_USED_RESOLUTION_MS; that write never fails or delays the request.
 */
export async function authenticateApiKey(
  deps: Pick<ApiKeyDeps, "control" | "clock">,
  keyHash: string,
  onTouchError: (e: unknown) => void,
  /** Where the key's tenant record comes from (the registry keeps them: records are immutable). */
  tenantOf: (tenantId: string) => Promise<TenantRecord | null> = (id) => deps.control.getTenant(id),
): Promise<AuthenticatedKey | null> {
  const control: ControlStore = deps.control;
  const nowDate = deps.clock();
  const now = nowDate.toISOString();
  // The key itself is read on every request: a revocation anywhere counts on the next one.
  const key = await control.apiKeys.findUsable(keyHash, now);
  if (!key) return null;
  const tenant = await tenantOf(key.tenantId);
  if (!tenant) return null;
  const staleBefore = new Date(nowDate.getTime() - LAST_USED_RESOLUTION_MS).toISOString();
  // Not awaited: the request goes on while the write runs; its failure is only reported.
  const touched = key.lastUsedAt === null || key.lastUsedAt < staleBefore ? control.apiKeys.touch(key.id, now, staleBefore).catch(onTouchError) : null;
  return { key, tenant, touched };
}
