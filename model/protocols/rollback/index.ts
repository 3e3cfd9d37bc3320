/** The rollback protocol: bounds, readable state and variants around the model in model.ts. */
import { Schema } from "effect"
import { defineConfig } from "../../engine/config.js"
import { Manifest } from "../../engine/manifest.js"
import { BASE_VARIANT, type Protocol } from "../../engine/model.js"
import type { RaftMongoConfig } from "../raftmongo/layout.js"
import { buildRollback } from "./model.js"
import { RollbackState } from "./state.js"
import { rollbackVariants } from "./variants.js"
import manifest from "./manifest.json" with { type: "json" }

export const rollbackConfig = defineConfig({
  servers: { default: 3, min: 1, max: 7, description: "number of servers (Server = {1..servers})" },
  maxTerm: { default: 3, min: 1, max: 15, description: "state constraint: every currentTerm <= MaxTerm" },
  maxLogLen: { default: 2, min: 1, max: 15, description: "state constraint: every Len(log[i]) <= MaxLogLen" },
  maxClientWriteSize: { default: 1, min: 1, max: 5, description: "ClientWrite appends 1..MaxClientWriteSize entries" }
})

export const rollback: Protocol<RaftMongoConfig> = {
  name: "rollback",
  summary: "deposed-primary rollback to the common point: plan, persist, recover, emit, rejoin, with crashes",
  config: rollbackConfig as Protocol<RaftMongoConfig>["config"],
  stateSchema: RollbackState,
  variants: [{ name: BASE_VARIANT, summary: "the coordinator of spec/adr/0001-deposed-primary-rollback.md" }, ...rollbackVariants.map(({ name, summary }) => ({ name, summary }))],
  symmetric: false,
  manifest: Schema.decodeUnknownSync(Manifest)(manifest),
  traceMapping: {
    // Implementations commonly learn commit points in the background without logging each one.
    internal: ["LearnCommitPointWithTermCheck", "LearnCommitPointFromSyncSourceNeverBeyondLastApplied"],
    events: {
      // A coordinator that logs one line for a whole, uninterrupted rollback.
      Rollback: ["RollbackPlan", "RollbackPersist", "RollbackRecover", "RollbackEmitEvent", "RollbackRejoin"],
      // Progress lines that observe the coordinator without a step of their own.
      RollbackPersistStarted: [],
      RollbackRecoverStarted: []
    }
  },
  build: (config, variant) => buildRollback(config, variant)
}
