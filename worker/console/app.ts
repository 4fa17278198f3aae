/**
 * @module console/app
 * `createConsoleRoutes(deps)`: the operator console, mounted by http/app at /console
 * on every runtime. Server-rendered pages over the same services and role checks as
 * the API: the session stands in for the bearer key (same principal), and a form's
 * CSRF token for the X-Requested-With header. Order: assets and sign-in (no session
 * needed), then the session check, the CSRF check on every POST, then the screens.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getRuntimeKey } from "hono/adapter";
import { compress } from "hono/compress";
import { AppError, NotFoundError } from "../domain/errors.js";
import type { AppDeps } from "../http/types.js";
import { registerConsoleAssets } from "./assets.js";
import { consoleError } from "./errors.js";
import { SCREENS } from "./screens/index.js";
import { registerSignIn } from "./screens/sign-in.js";
import { requireCsrfToken, sessionAuth } from "./session.js";
import type { ConsoleEnv } from "./types.js";

export function createConsoleRoutes(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  app.onError(consoleError);
  // Pages of long histories (SVG timelines, audit tables) stay well under 100 KB on the wire. Compression is no
  // BREACH-style oracle on the CSRF token: the pages that reflect free text from the query (escaped) — the
  // Evaluations flowId and the Audit log actor filters, kept in their form and page links — carry no token (they
  // have no form that posts), and the pages that carry one reflect only enums, numbers and the tenant's own ids.
  // A cross-site page's requests come without the SameSite=Strict cookie in any case, so it cannot drive them.
  // On Workers the runtime compresses by itself (and would encode an already-compressed body again).
  if (getRuntimeKey() !== "workerd") app.use("*", compress());
  app.use(
    "*",
    bodyLimit({
      maxSize: deps.limits.jsonMaxBytes,
      onError: () => {
        throw new AppError(413, "payload_too_large", "Payload too large", `Forms may be at most ${deps.limits.jsonMaxBytes} bytes.`);
      },
    }),
  );
  registerConsoleAssets(app);
  registerSignIn(app, deps);
  app.use("*", sessionAuth(deps));
  app.use("*", requireCsrfToken);
  app.get("/", (c) => c.redirect("/console/flows", 303));
  for (const register of SCREENS) register(app, deps);
  // Unknown console pages are an HTML 404 inside the console, not the API's problem+json.
  app.all("*", () => {
    throw new NotFoundError("page");
  });
  return app;
}
