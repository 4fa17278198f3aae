#!/usr/bin/env node
// The `fairgate` bin (package.json "bin"): registers tsx so the TypeScript sources run
// as they are, then hands over to scripts/fairgate.ts.
import { register } from "tsx/esm/api";

register();
const { run } = await import("../scripts/fairgate.ts");
await run();
