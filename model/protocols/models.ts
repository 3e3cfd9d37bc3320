/**
 * Model builders by protocol name, without the protocols' schemas: what a worker thread loads
 * to rebuild the coordinator's model (keeping Effect out of worker start-up).
 */
import type { Model, ModelRef } from "../engine/model.js"
import { buildCounter } from "./examples/counter.js"
import { buildMutex } from "./examples/mutex.js"
import type { RaftMongoConfig } from "./raftmongo/layout.js"
import { buildRaftMongo } from "./raftmongo/model.js"
import { buildRollback } from "./rollback/model.js"
import { buildSidecar, type SidecarConfig } from "./sidecar/model.js"

const builders: Record<string, (config: Record<string, number>, variant: string) => Model> = {
  raftmongo: (c, v) => buildRaftMongo(c as RaftMongoConfig, v),
  rollback: (c, v) => buildRollback(c as RaftMongoConfig, v),
  sidecar: (c, v) => buildSidecar(c as SidecarConfig, v),
  counter: (c, v) => buildCounter(c as { limit: number }, v),
  mutex: (c, v) => buildMutex(c as { processes: number }, v)
}

export function buildModel(ref: ModelRef): Model {
  const build = builders[ref.protocol]
  if (!build) throw new RangeError(`unknown protocol ${ref.protocol}`)
  return build(ref.config, ref.variant)
}
