/**
 * raftmongo's model: a port of MongoDB's RaftMongo abstraction (src/mongo/db/repl/tla_plus/
 * RaftMongo/RaftMongo.tla in the mongodb/mongo repository, CC BY 3.0; see spec/raftmongo/README.md),
 * with MCRaftMongo's state constraint. Semantics follow the TLA+ exactly, including its quirks
 * (a candidate outside `ayeVoters` still takes the new term but keeps its role).
 */
import { BASE_VARIANT, type Model } from "../../engine/model.js"
import { baseRules, raftMongoActions } from "./actions.js"
import { raftMongoInvariants } from "./invariants.js"
import { RaftLayout, type RaftMongoConfig } from "./layout.js"
import type { RaftMongoState } from "./state.js"
import { raftMongoVariants } from "./variants.js"

export function buildRaftMongo(config: RaftMongoConfig, variant: string): Model<RaftMongoState> {
  const L = new RaftLayout(config)
  let rules = baseRules
  if (variant !== BASE_VARIANT) {
    const v = raftMongoVariants.find((x) => x.name === variant)
    if (!v) throw new RangeError(`raftmongo has no variant ${variant}`)
    rules = v.apply(rules)
  }
  return {
    protocol: "raftmongo",
    variant,
    widthBytes: L.widthBytes,
    families: raftMongoActions(L, rules),
    stateInvariants: raftMongoInvariants(L),
    stepInvariants: [],
    // Init: every term 0, every server Follower, commit points [0, 0], empty logs, nothing committed.
    initialStates: () => [new Uint8Array(L.widthBytes)],
    constraint: (s) => {
      for (let i = 0; i < L.n; i++) {
        if (L.term(s, i) > config.maxTerm || L.len(s, i) > config.maxLogLen) return false
      }
      return true
    },
    canonicalize: (src, dst) => L.canonicalize(src, dst),
    codec: {
      setVariables: ["committedEntries"],
      nodeVariables: ["currentTerm", "state", "commitPoint", "log"],
      decode: (s) => L.decode(s),
      encode: (state, into) => L.encode(state, into)
    }
  }
}

