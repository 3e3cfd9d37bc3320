/** The raftmongo protocol: bounds, readable state and variants around the model in model.ts. */
import { defineConfig } from "../../engine/config.js"
import { BASE_VARIANT, type Protocol } from "../../engine/model.js"
import type { RaftMongoConfig } from "./layout.js"
import { buildRaftMongo } from "./model.js"
import { RaftMongoState } from "./state.js"
import { raftMongoVariants } from "./variants.js"

/** RaftMongo's bounds, with the given defaults (protocols built on RaftMongo pick their own). */
export function raftMongoBounds(defaults: RaftMongoConfig) {
  return defineConfig({
    servers: { default: defaults.servers, min: 1, max: 7, description: "number of servers (Server = {1..servers})" },
    maxTerm: { default: defaults.maxTerm, min: 1, max: 15, description: "state constraint: every currentTerm <= MaxTerm" },
    maxLogLen: { default: defaults.maxLogLen, min: 1, max: 15, description: "state constraint: every Len(log[i]) <= MaxLogLen" },
    maxClientWriteSize: { default: defaults.maxClientWriteSize, min: 1, max: 5, description: "ClientWrite appends 1..MaxClientWriteSize entries" }
  })
}

/** MongoDB's own bounds (MCRaftMongo.cfg) are the defaults. */
export const raftMongoConfig = raftMongoBounds({ servers: 3, maxTerm: 3, maxLogLen: 3, maxClientWriteSize: 2 })

export const raftMongo: Protocol<RaftMongoConfig> = {
  name: "raftmongo",
  summary: "MongoDB's RaftMongo: terms, elections, oplog replication and rollback, commit-point learning",
  config: raftMongoConfig as Protocol<RaftMongoConfig>["config"],
  stateSchema: RaftMongoState,
  variants: [{ name: BASE_VARIANT, summary: "RaftMongo.tla as published" }, ...raftMongoVariants],
  symmetric: true,
  build: (config, variant) => buildRaftMongo(config, variant)
}
