/**
 * raftmongo: a port of MongoDB's RaftMongo abstraction (src/mongo/db/repl/tla_plus/RaftMongo/
 * RaftMongo.tla in the mongodb/mongo repository, CC BY 3.0; see spec/raftmongo/README.md), with
 * MCRaftMongo's state constraint. Semantics follow the TLA+ exactly, including its quirks (a
 * candidate outside `ayeVoters` still takes the new term but keeps its role).
 */
import { defineProtocol } from "../../kit/index.js"
import { baseRules, raftMongoActions } from "./actions.js"
import { raftMongoInvariants } from "./invariants.js"
import { RaftState, type RaftBounds, type RaftView } from "./state.js"
import { raftMongoVariants } from "./variants.js"

/** RaftMongo's bounds, with the given defaults (protocols built on RaftMongo pick their own). */
export function raftMongoBounds(defaults: RaftBounds) {
  return {
    servers: { default: defaults.servers, min: 1, max: 7, description: "number of servers (Server = {1..servers})" },
    maxTerm: { default: defaults.maxTerm, min: 1, max: 15, description: "state constraint: every currentTerm <= MaxTerm", searchOnly: true },
    maxLogLen: { default: defaults.maxLogLen, min: 1, max: 15, description: "state constraint: every Len(log[i]) <= MaxLogLen", searchOnly: true },
    maxClientWriteSize: { default: defaults.maxClientWriteSize, min: 1, max: 5, description: "ClientWrite appends 1..MaxClientWriteSize entries" }
  }
}

/** MCRaftMongo's StateConstraint: every term <= MaxTerm and every log <= MaxLogLen. */
export function withinRaftBounds(s: RaftView, b: RaftBounds): boolean {
  for (let i = 1; i <= s.nodeCount; i++) if (s.currentTerm(i) > b.maxTerm || s.log.length(i) > b.maxLogLen) return false
  return true
}

export default defineProtocol({
  name: "raftmongo",
  summary: "MongoDB's RaftMongo: terms, elections, oplog replication and rollback, commit-point learning",
  // MongoDB's own bounds (MCRaftMongo.cfg) are the defaults.
  bounds: raftMongoBounds({ servers: 3, maxTerm: 3, maxLogLen: 3, maxClientWriteSize: 2 }),
  nodes: (b) => b.servers,
  state: RaftState,
  rules: baseRules,
  actions: raftMongoActions,
  constraint: withinRaftBounds,
  invariants: () => raftMongoInvariants,
  base: "RaftMongo.tla as published",
  variants: raftMongoVariants,
  symmetry: true,
  // Loaded when verdicts or the tests ask for it, not by every worker thread.
  manifest: () => import("./manifest.json", { with: { type: "json" } })
})
