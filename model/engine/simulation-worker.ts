/**
 * The body of a simulation worker thread (model/protocols/worker.ts starts it for `check
 * --simulate --workers N`): it builds the coordinator's model and walks the blocks of runs it is
 * sent (simulation.ts's walkRuns), answering each with the block's statistics and its first
 * violating run. Plain code, no Effect.
 */
import { parentPort, workerData } from "node:worker_threads"
import { selectInvariants } from "./explorer.js"
import type { Model, ModelRef } from "./model.js"
import { walkRuns } from "./simulation.js"

export interface SimulationWorkerInit {
  readonly kind: "simulate"
  readonly ref: ModelRef
  readonly depth: number
  readonly seed: number
  readonly deadlock: boolean
  /** The invariants to check, by name; undefined: all of the model's. */
  readonly invariants: readonly string[] | undefined
}

export interface WalkRequest {
  readonly first: number
  readonly count: number
}

export function serveSimulation(buildModel: (ref: ModelRef) => Model): void {
  const port = parentPort!
  const init = workerData as SimulationWorkerInit
  const model = buildModel(init.ref)
  const options = { depth: init.depth, seed: init.seed, deadlock: init.deadlock, ...selectInvariants(model, init.invariants) }
  port.on("message", (req: WalkRequest) => {
    try {
      port.postMessage(walkRuns(model, options, req.first, req.count))
    } catch (e) {
      port.postMessage({ error: e instanceof Error ? e.message : String(e) })
    }
  })
}
