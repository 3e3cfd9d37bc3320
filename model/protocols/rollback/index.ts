/** The rollback protocol: bounds, readable state and variants around the model in model.ts. */
import { Schema } from "effect"
import { Manifest } from "../../engine/manifest.js"
import { BASE_VARIANT, type Protocol } from "../../engine/model.js"
import { raftMongoBounds } from "../raftmongo/index.js"
import type { RaftMongoConfig } from "../raftmongo/layout.js"
import { buildRollback } from "./model.js"
import { RollbackState } from "./state.js"
import { rollbackVariants } from "./variants.js"
import manifest from "./manifest.json" with { type: "json" }

/** RaftMongo's bounds; the defaults explore exhaustively in a few seconds (ADR 0001). */
export const rollbackConfig = raftMongoBounds({ servers: 3, maxTerm: 3, maxLogLen: 2, maxClientWriteSize: 1 })

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
