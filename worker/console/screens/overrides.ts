/**
 * @module console/screens/overrides
 * (being built)
 */
import type { ConsoleApp } from "../types.js";

export function registerOverridesScreen(_app: ConsoleApp): void {}
