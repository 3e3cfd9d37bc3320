/**
 * The body of a search worker thread: it owns one shard and answers the coordinator's round
 * messages (see parallel.ts). A registry's worker entry (model/protocols/worker.ts) calls
 * `serveShard` with its model builder; worker threads run the compiled JS in dist/.
 */
import { parentPort, workerData } from "node:worker_threads"
import { shardOptions, type ExploreOptions } from "./explorer.js"
import type { Model, ModelRef } from "./model.js"
import { FingerprintSet } from "./seen-set.js"
import { Shard } from "./shard.js"
import { StateStore } from "./state-store.js"

interface Init {
  readonly ref: ModelRef
  readonly options: ExploreOptions
  readonly index: number
  readonly progress: Float64Array
}

export interface SeenView {
  readonly table: Int32Array
  readonly size: number
}

export interface BoxView {
  readonly meta: Int32Array
  readonly words: Int32Array
  readonly count: number
}

export type Request =
  | { readonly type: "seed" }
  | { readonly type: "expand"; readonly seen: readonly SeenView[]; readonly successorLength: number }
  | { readonly type: "absorb"; readonly inboxes: readonly BoxView[] }
  | { readonly type: "records" }

export function serveShard(buildModel: (ref: ModelRef) => Model): void {
const port = parentPort!
const init = workerData as Init
const model = buildModel(init.ref)
const shard = new Shard(model, shardOptions(model, init.options, init.index))
const live = init.progress
const publish = () => {
  const [g, d, q] = shard.live()
  live[3 * init.index] = g
  live[3 * init.index + 1] = d
  live[3 * init.index + 2] = q
}
shard.tick = publish

function summary() {
  publish()
  return {
    stats: shard.stats(),
    seen: { table: shard.seen.table, size: shard.seen.size } satisfies SeenView,
    violation: shard.violation
  }
}

port.on("message", (req: Request) => {
  try {
    switch (req.type) {
      case "seed":
        shard.seedInitialStates()
        port.postMessage(summary())
        break
      case "expand": {
        const views = req.seen.map((v, k) => (k === init.index ? shard.seen : FingerprintSet.view(v.table, v.size)))
        shard.expandFrontier(views, req.successorLength)
        publish()
        const boxes: BoxView[] = shard.outboxes.map((b) => ({ meta: b.meta, words: b.words, count: b.count }))
        port.postMessage({ boxes })
        break
      }
      case "absorb":
        for (const box of req.inboxes) shard.absorb(StateStore.attach(model.widthBytes >> 2, box.meta, box.words, box.count))
        shard.finishLevel()
        port.postMessage(summary())
        break
      case "records":
        port.postMessage({ records: shard.records, levelEnds: shard.levelEnds })
        break
    }
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? e.message : String(e) })
  }
})
}
