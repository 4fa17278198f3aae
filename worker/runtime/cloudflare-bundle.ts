/**
 * @module runtime/cloudflare-bundle
 * The files a Worker cannot read from disk, imported as modules so wrangler
 * bundles them: the migrations (wrangler.toml rule `Text` for *.sql) and the
 * Wasm kernels (rule `CompiledWasm`: a WebAssembly.Module, never inlined bytes).
 *
 * Every migration file must be listed here; test/e2e/worker.test.ts fails when
 * a .sql file under worker/store/migrations is missing from this module.
 */
import kernelsModule from "../../wasm-core/build/kernels.wasm";
import { parseMigrations } from "../store/sql.js";
import control0001 from "../store/migrations/control/0001_init.sql";
import control0002 from "../store/migrations/control/0002_api_key_lifecycle.sql";
import control0003 from "../store/migrations/control/0003_chain_anchors.sql";
import control0004 from "../store/migrations/control/0004_console_sessions.sql";
import tenant0001 from "../store/migrations/tenant/0001_init.sql";
import tenant0002 from "../store/migrations/tenant/0002_segments.sql";
import tenant0003 from "../store/migrations/tenant/0003_evidence_chain.sql";
import tenant0004 from "../store/migrations/tenant/0004_remediation_alerts.sql";
import tenant0005 from "../store/migrations/tenant/0005_recheck_claims.sql";
import tenant0006 from "../store/migrations/tenant/0006_unpacked_day_index.sql";
import tenant0007 from "../store/migrations/tenant/0007_override_sweeps.sql";
import tenant0008 from "../store/migrations/tenant/0008_sequential_states.sql";
import tenant0009 from "../store/migrations/tenant/0009_protected_attributes.sql";
import tenant0010 from "../store/migrations/tenant/0010_governance_depth.sql";
import tenant0011 from "../store/migrations/tenant/0011_segment_summaries.sql";
import tenant0012 from "../store/migrations/tenant/0012_failure_class_playbooks.sql";
import tenant0013 from "../store/migrations/tenant/0013_console_audit_filters.sql";
import tenant0014 from "../store/migrations/tenant/0014_sample_index.sql";
import tenant0015 from "../store/migrations/tenant/0015_packing_generations.sql";
import type { WorkerBundle } from "./cloudflare-deps.js";

/** The bundled kernels module and parsed migrations. */
export const workerBundle: WorkerBundle = {
  kernelsModule,
  migrations: {
    control: parseMigrations({ "0001_init.sql": control0001, "0002_api_key_lifecycle.sql": control0002, "0003_chain_anchors.sql": control0003, "0004_console_sessions.sql": control0004 }),
    tenant: parseMigrations({
      "0001_init.sql": tenant0001,
      "0002_segments.sql": tenant0002,
      "0003_evidence_chain.sql": tenant0003,
      "0004_remediation_alerts.sql": tenant0004,
      "0005_recheck_claims.sql": tenant0005,
      "0006_unpacked_day_index.sql": tenant0006,
      "0007_override_sweeps.sql": tenant0007,
      "0008_sequential_states.sql": tenant0008,
      "0009_protected_attributes.sql": tenant0009,
      "0010_governance_depth.sql": tenant0010,
      "0011_segment_summaries.sql": tenant0011,
      "0012_failure_class_playbooks.sql": tenant0012,
      "0013_console_audit_filters.sql": tenant0013,
      "0014_sample_index.sql": tenant0014,
      "0015_packing_generations.sql": tenant0015,
    }),
  },
};
