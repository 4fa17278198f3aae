/**
 * @module console/override-form
 * The admin's "Request override" form (reason, expiry, one flow or tenant-wide), shown
 * on the Overrides screen and under a blocked publish, and its parsing: the fields go
 * through the API's own `overrideRequestSchema`, so the same input is refused the same way.
 */
import type { Context } from "hono";
import { parseWith } from "../http/body.js";
import { overrideRequestSchema } from "../http/openapi/request-schemas.js";
import { type Html, h } from "./html.js";
import { csrfField } from "./layout.js";
import type { ConsoleEnv } from "./types.js";

/** datetime-local has no zone: the console's times are UTC, and the label says so. */
const localValue = (d: Date) => d.toISOString().slice(0, 16);

export function overrideRequestForm(
  c: Context<ConsoleEnv>,
  flows: readonly { id: string; key: string; name: string }[],
  now: Date,
  opts: { flowId?: string; idPrefix?: string } = {},
): Html {
  const p = opts.idPrefix ?? "ovr";
  const defaultExpiry = localValue(new Date(now.getTime() + 7 * 86_400_000));
  return h`<form method="post" action="/console/overrides" class="override-request" aria-labelledby="${p}-title">
<h3 id="${p}-title">Request an override</h3>
${csrfField(c)}
<label for="${p}-reason">Reason (documented, at least 10 characters)</label>
<textarea id="${p}-reason" name="reason" rows="2" required minlength="10" maxlength="2000"></textarea>
<div class="row">
<div><label for="${p}-expires">Expires (UTC)</label><input id="${p}-expires" name="expiresAt" type="datetime-local" required value="${defaultExpiry}"></div>
<div><label for="${p}-scope">Applies to</label><select id="${p}-scope" name="flowId"><option value="">Tenant-wide (every flow)</option>${flows.map(
    (f) => h`<option value="${f.id}"${opts.flowId === f.id ? h` selected` : ""}>${f.key} — ${f.name}</option>`,
  )}</select></div>
<div><button type="submit">Request override</button></div>
</div>
<p class="meta">A different person holding the approver role must approve it before it applies.</p>
</form>`;
}

/** The form's fields as the API's request body (a datetime-local value is read as UTC). */
export function parseOverrideRequest(form: Record<string, string>) {
  const raw = (form.expiresAt ?? "").trim();
  const expiresAt = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(raw) ? `${raw.length === 16 ? `${raw}:00` : raw}Z` : raw;
  return parseWith(overrideRequestSchema, { reason: form.reason ?? "", expiresAt, ...(form.flowId ? { flowId: form.flowId } : {}) });
}
