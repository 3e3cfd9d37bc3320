/** Every protocol replcheck knows, by name. Worker threads build their models from here. */
import type { Model, Protocol } from "../engine/model.js"
import { counter } from "./examples/counter.js"
import { mutex } from "./examples/mutex.js"
import { raftMongo } from "./raftmongo/index.js"

export const protocols: readonly Protocol[] = [raftMongo, counter, mutex]

export function findProtocol(name: string): Protocol | undefined {
  return protocols.find((p) => p.name === name)
}

/** What a thread needs to build the same model as another thread. */
export interface ModelRef {
  readonly protocol: string
  readonly variant: string
  readonly config: Record<string, number>
  readonly symmetry: boolean
}

export function buildModel(ref: ModelRef): Model {
  const protocol = findProtocol(ref.protocol)
  if (!protocol) throw new RangeError(`unknown protocol ${ref.protocol}`)
  return protocol.build(ref.config, ref.variant, { symmetry: ref.symmetry })
}
