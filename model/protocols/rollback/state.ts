/** The rollback protocol's readable state: RaftMongo's variables plus the coordinator's, as one ITF state. */
import { Schema } from "effect"
import { ItfInt, ItfNodeMap, ItfSet } from "../../trace/itf.js"
import { RaftMongoState } from "../raftmongo/state.js"
import { PHASES } from "./phases.js"

const Entry = Schema.Struct({ term: ItfInt, index: ItfInt })

export const RollbackState = Schema.Struct({
  ...RaftMongoState.fields,
  rollback: ItfNodeMap(
    Schema.Struct({
      phase: Schema.Literal(...PHASES),
      source: ItfInt,
      commonPoint: ItfInt,
      watermark: ItfInt,
      rejoinTerm: ItfInt
    })
  ),
  rollbackFiles: ItfNodeMap(ItfSet(Entry))
})
export type RollbackState = typeof RollbackState.Type
