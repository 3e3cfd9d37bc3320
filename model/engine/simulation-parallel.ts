/**
 * `check --simulate --workers N`: the runs are cut into blocks handed out in run order to N worker
 * threads (simulation-worker.ts). A worker takes the next block as soon as it is free; once some
 * block holds a violating run, no later block is started, and the blocks before it are finished.
 * The result adds the blocks in run order up to the first violating run (simulation.ts's
 * `combine`), so it is the sequential simulation's for any worker count.
 */
import { Effect } from "effect"
import type { Model, ModelRef } from "./model.js"
import { WorkerThreads, WorkerFailed } from "./parallel.js"
import { combine, type ChunkResult, type SimulationOptions, type SimulationResult } from "./simulation.js"
import type { SimulationWorkerInit, WalkRequest } from "./simulation-worker.js"

export interface ParallelSimulationOptions extends SimulationOptions {
  readonly workers: number
  /** The invariants by name, for the workers to select (undefined: all). */
  readonly invariantNames: readonly string[] | undefined
}

/** Blocks small enough to share the runs out evenly, large enough that a message is rare. */
const blockSize = (runs: number, workers: number) => Math.max(1, Math.min(1024, Math.ceil(runs / (workers * 16))))

export const simulateParallel = (workerScript: () => string, ref: ModelRef, model: Model, options: ParallelSimulationOptions): Effect.Effect<SimulationResult, WorkerFailed, WorkerThreads> =>
  Effect.scoped(
    Effect.gen(function* () {
      const started = performance.now()
      const threads = yield* WorkerThreads
      const script = yield* Effect.try({ try: workerScript, catch: (e) => new WorkerFailed({ message: (e as Error).message }) })
      const init: SimulationWorkerInit = { kind: "simulate", ref, depth: options.depth, seed: options.seed, deadlock: options.deadlock, invariants: options.invariantNames }
      const handles = yield* Effect.forEach(Array.from({ length: options.workers }), () => threads.spawn(script, init))
      const size = blockSize(options.runs, options.workers)
      const blocks = Math.ceil(options.runs / size)
      const results: ChunkResult[] = []
      let next = 0
      let firstViolating = Infinity
      let runsDone = 0
      let stepsDone = 0
      let lastProgress = started
      const serve = (h: (typeof handles)[number]) =>
        Effect.gen(function* () {
          for (;;) {
            const b = next++
            if (b >= blocks || b > firstViolating) return
            const request: WalkRequest = { first: b * size, count: Math.min(size, options.runs - b * size) }
            const r = yield* Effect.tryPromise({ try: () => h.request<ChunkResult>(request), catch: (e) => new WorkerFailed({ message: (e as Error).message }) })
            results[b] = r
            if (r.violation !== null) firstViolating = Math.min(firstViolating, b)
            runsDone += r.runs
            stepsDone += r.steps
            const now = performance.now()
            if (options.onProgress && now - lastProgress >= 1000) {
              lastProgress = now
              options.onProgress({ runs: runsDone, steps: stepsDone, seconds: (now - started) / 1000 })
            }
          }
        })
      yield* Effect.forEach(handles, serve, { concurrency: "unbounded", discard: true })
      const inOrder = results.slice(0, Math.min(blocks, firstViolating + 1))
      return combine(model, inOrder, (performance.now() - started) / 1000, options)
    })
  )
