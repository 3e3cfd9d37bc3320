/** RaftMongo's readable state: the TLA+ variables as one ITF state. */
import { Schema } from "effect"
import { ItfInt, ItfNodeMap, ItfSet } from "../../trace/itf.js"

const Point = Schema.Struct({ term: ItfInt, index: ItfInt })

export const RaftMongoState = Schema.Struct({
  committedEntries: ItfSet(Point),
  currentTerm: ItfNodeMap(ItfInt),
  state: ItfNodeMap(Schema.Literal("Follower", "Leader")),
  commitPoint: ItfNodeMap(Point),
  log: ItfNodeMap(Schema.Array(Schema.Struct({ term: ItfInt })))
})
export type RaftMongoState = typeof RaftMongoState.Type
