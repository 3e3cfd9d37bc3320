/**
 * The body of a search worker thread: one LevelWorker answering the coordinator's phase messages
 * (see parallel.ts). A registry's worker entry (model/protocols/worker.ts) calls `serveSearch`
 * with its model builder; worker threads run the compiled JS in dist/.
 */
import { parentPort, workerData } from "node:worker_threads"
import { searchOptions, type ExploreOptions } from "./explorer.js"
import { LevelWorker, type SharedTables } from "./level-worker.js"
import type { Model, ModelRef } from "./model.js"
import type { ViolationRecord } from "./search-types.js"
import type { Slots } from "./seen-set.js"
import { collectGarbage } from "./tuning.js"

interface Init {
  readonly ref: ModelRef
  readonly options: ExploreOptions
  readonly index: number
  /** generated count per worker, for progress lines read by the coordinator. */
  readonly progress: Float64Array
}

export type Request =
  | { readonly type: "seed"; readonly tables: SharedTables }
  | { readonly type: "expand"; readonly tables: SharedTables; readonly successorLength: number }
  | { readonly type: "resume"; readonly tables: SharedTables }
  | { readonly type: "finish"; readonly tables: SharedTables; readonly from: number; readonly to: number }
  | { readonly type: "rehash"; readonly tables: SharedTables; readonly old: Slots; readonly from: number; readonly to: number }
  /** Resuming from a checkpoint: this worker's counters (Expander.restoreCounters). */
  | { readonly type: "restore"; readonly generated: number; readonly coverage: readonly number[] }

/** A worker's answer to seed, expand, resume and finish. */
export interface Reply {
  readonly status: "done" | "paused"
  readonly generated: number
  readonly coverage: number[]
  readonly maxFanout: number
  readonly violation: ViolationRecord | null
  /** This worker's time handling the request, in ms (for SearchProfile). */
  readonly busyMs: number
}

/** A worker's answer to one request of the coordinator. */
export function answer(worker: LevelWorker, req: Request): Reply {
  const started = performance.now()
  const reply = (status: "done" | "paused"): Reply => ({
    status,
    generated: worker.generated,
    coverage: Array.from(worker.coverage),
    maxFanout: worker.fanout(),
    violation: worker.violation,
    busyMs: performance.now() - started
  })
  switch (req.type) {
    case "restore":
      worker.restoreCounters(req.generated, req.coverage)
      return reply("done")
    case "seed":
      worker.attach(req.tables)
      return reply(worker.seed())
    case "expand":
      worker.attach(req.tables)
      worker.beginRound(req.successorLength)
      return reply(worker.expand())
    case "resume":
      worker.attach(req.tables)
      return reply(worker.expand())
    case "finish":
      worker.attach(req.tables)
      worker.finish(req.from, req.to)
      return reply("done")
    case "rehash":
      worker.attach(req.tables)
      worker.rehash(req.old, req.from, req.to)
      return reply("done")
  }
}

export function serveSearch(buildModel: (ref: ModelRef) => Model): void {
  const port = parentPort!
  const init = workerData as Init
  const model = buildModel(init.ref)
  const worker = new LevelWorker(model, searchOptions(model, init.options, init.index))
  worker.collectGarbage = collectGarbage
  worker.tick = () => {
    init.progress[init.index] = worker.generated
  }
  port.on("message", (req: Request) => {
    try {
      const a = answer(worker, req)
      init.progress[init.index] = worker.generated
      port.postMessage(a)
    } catch (e) {
      port.postMessage({ error: e instanceof Error ? e.message : String(e) })
    }
  })
}
