/**
 * @module console/screens/publish
 * (being built)
 */
import type { ConsoleApp } from "../types.js";

export function registerPublishScreen(_app: ConsoleApp): void {}
