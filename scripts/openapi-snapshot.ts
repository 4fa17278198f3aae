/**
 * @module scripts/openapi-snapshot
 * `npm run openapi:snapshot`: writes the generated OpenAPI document to openapi.json
 * at the repository root. A deliberate API change regenerates it in the same commit;
 * test/contract/openapi.test.ts fails while the committed file differs.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildOpenApiDocument } from "../worker/http/openapi/document.js";

const target = fileURLToPath(new URL("../openapi.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
console.log(`wrote ${target}`);
