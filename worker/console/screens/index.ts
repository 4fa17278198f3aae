/**
 * @module console/screens
 * The console's screens, one module each, registered in this order on the console
 * app (after sign-in, the session check and the CSRF check). Adding a screen: write
 * `screens/<name>.ts` exporting `register<Name>Screen(app, deps)` and list it here
 * (see worker/console/README.md).
 */
import type { AppDeps } from "../../http/types.js";
import type { ConsoleApp } from "../types.js";
import { registerFlowScreen } from "./flow.js";
import { registerFlowsScreen } from "./flows.js";
import { registerOverridesScreen } from "./overrides.js";
import { registerAuditLogScreen } from "./audit-log.js";
import { registerEvaluationsScreen } from "./evaluations.js";
import { registerPublishScreen } from "./publish.js";
import { registerRemediationsScreen } from "./remediations.js";
import { registerSettingsScreen } from "./settings.js";

export type RegisterScreen = (app: ConsoleApp, deps: AppDeps) => void;

export const SCREENS: RegisterScreen[] = [
  registerFlowsScreen,
  registerPublishScreen,
  registerFlowScreen,
  registerOverridesScreen,
  registerEvaluationsScreen,
  registerAuditLogScreen,
  registerRemediationsScreen,
  registerSettingsScreen,
];
