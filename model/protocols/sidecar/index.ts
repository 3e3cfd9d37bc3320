/** The sidecar protocol: bounds, readable state and variants around the model in model.ts. */
import { Schema } from "effect"
import { defineConfig } from "../../engine/config.js"
import { Manifest } from "../../engine/manifest.js"
import { BASE_VARIANT, type Protocol } from "../../engine/model.js"
import { ItfInt, ItfNodeMap } from "../../trace/itf.js"
import manifest from "./manifest.json" with { type: "json" }
import { buildSidecar, sidecarVariants, SWEEP_PHASES, WRITER_PHASES, type SidecarConfig } from "./model.js"

const SidecarState = Schema.Struct({
  heads: Schema.Array(ItfInt),
  manifest: Schema.Struct({ version: ItfInt, tables: Schema.Array(ItfInt) }),
  writer: ItfNodeMap(Schema.Struct({ phase: Schema.Literal(...WRITER_PHASES), seen: ItfInt })),
  sidecar: ItfNodeMap(Schema.Struct({ pending: Schema.Boolean, expected: Schema.Array(ItfInt), target: Schema.Array(ItfInt) })),
  sweep: ItfNodeMap(Schema.Struct({ phase: Schema.Literal(...SWEEP_PHASES), op: ItfInt, decision: Schema.Literal("None", "Forward", "Back", "Abort"), seen: ItfInt })),
  audit: ItfNodeMap(ItfInt)
})

export const sidecar: Protocol<SidecarConfig> = {
  name: "sidecar",
  summary: "multi-table commit under a sidecar, manifest CAS, and concurrent recovery sweeps that roll forward or back",
  config: defineConfig({
    writers: { default: 2, min: 1, max: 2, description: "writers, one operation each over the 2 tables" },
    sweeps: { default: 2, min: 1, max: 2, description: "concurrent recovery sweeps" }
  }) as Protocol<SidecarConfig>["config"],
  stateSchema: SidecarState,
  variants: [{ name: BASE_VARIANT, summary: "the fixed design" }, ...sidecarVariants.map(({ name, summary }) => ({ name, summary }))],
  symmetric: false,
  manifest: Schema.decodeUnknownSync(Manifest)(manifest),
  build: (config, variant) => buildSidecar(config, variant)
}
