/**
 * The search on N worker threads. Each round: every worker expands its frontier (phase 1), the
 * coordinator hands each worker the states the others generated for it (phase 2), and the workers
 * close the level. Shared memory carries the states; messages carry only array references.
 */
import { Worker } from "node:worker_threads"
import { Context, Data, Effect, Layer } from "effect"
import type { ExploreOptions, RoundDriver } from "./explorer.js"
import type { ModelRef } from "./model.js"
import type { RecordSet } from "./path.js"
import type { ShardStats, ViolationRecord } from "./shard.js"
import type { BoxView, Request, SeenView } from "./shard-worker.js"

export class WorkerFailed extends Data.TaggedError("WorkerFailed")<{ readonly message: string }> {}

/** A worker thread that answers one request with one message. */
export interface WorkerHandle {
  request<A>(message: unknown): Promise<A>
  terminate(): Promise<void>
}

/** node:worker_threads as an Effect service (a scoped worker is terminated with its scope). */
export class WorkerThreads extends Context.Tag("replcheck/WorkerThreads")<
  WorkerThreads,
  { readonly spawn: (script: string, data: unknown) => Effect.Effect<WorkerHandle, WorkerFailed, import("effect").Scope.Scope> }
>() {
  static readonly layer = Layer.succeed(WorkerThreads, {
    spawn: (script, data) =>
      Effect.acquireRelease(
        Effect.try({
          try: () => startWorker(script, data),
          catch: (e) => new WorkerFailed({ message: `cannot start worker ${script}: ${String(e)}` })
        }),
        (w) => Effect.promise(() => w.terminate())
      )
  })
}

function startWorker(script: string, data: unknown): WorkerHandle {
  const worker = new Worker(script, { workerData: data })
  let pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null
  let failure: Error | null = null
  const fail = (e: Error) => {
    failure = e
    pending?.reject(e)
    pending = null
  }
  worker.on("message", (msg: { error?: string }) => {
    const p = pending
    pending = null
    if (msg && typeof msg.error === "string") p?.reject(new Error(msg.error))
    else p?.resolve(msg)
  })
  worker.on("error", (e) => fail(e))
  worker.on("exit", (code) => fail(new Error(`worker exited with code ${code}`)))
  return {
    request: <A>(message: unknown) =>
      new Promise<A>((resolve, reject) => {
        if (failure) return reject(failure)
        pending = { resolve: resolve as (v: unknown) => void, reject }
        worker.postMessage(message)
      }),
    terminate: async () => {
      worker.removeAllListeners("exit")
      await worker.terminate()
    }
  }
}

interface Summary {
  readonly stats: ShardStats
  readonly seen: SeenView
  readonly violation: ViolationRecord | null
}

/** A round driver over N workers already spawned with `workerData(ref, options, k, progress)`. */
export function parallelDriver(workers: readonly WorkerHandle[], progress: Float64Array): RoundDriver {
  let summaries: Summary[] = []
  let timer: NodeJS.Timeout | undefined
  const all = <A>(msg: Request | ((k: number) => Request)) =>
    Promise.all(workers.map((w, k) => w.request<A>(typeof msg === "function" ? msg(k) : msg)))
  return {
    seed: async () => {
      summaries = await all<Summary>({ type: "seed" })
      return summaries.map((s) => s.stats)
    },
    round: async (successorLength) => {
      const seen = summaries.map((s) => s.seen)
      const out = await all<{ boxes: BoxView[] }>({ type: "expand", seen, successorLength })
      summaries = await all<Summary>((k) => ({
        type: "absorb",
        inboxes: out.filter((_, from) => from !== k).map((o) => o.boxes[k]!)
      }))
      return summaries.map((s) => s.stats)
    },
    violations: async () => summaries.flatMap((s) => (s.violation ? [s.violation] : [])),
    records: () => all<RecordSet>({ type: "records" }),
    close: async () => {
      if (timer) clearInterval(timer)
    },
    live: () => {
      let generated = 0
      let distinct = 0
      let queue = 0
      for (let k = 0; k < workers.length; k++) {
        generated += progress[3 * k]!
        distinct += progress[3 * k + 1]!
        queue += progress[3 * k + 2]!
      }
      return [generated, distinct, queue]
    },
    attachTicker: (fn) => {
      timer = setInterval(fn, 1000)
      timer.unref()
    }
  }
}

/** Spawns N workers for a model and returns their driver; the workers live as long as the scope. */
export const spawnParallelDriver = (workerScript: () => string, ref: ModelRef, options: ExploreOptions) =>
  Effect.gen(function* () {
    const threads = yield* WorkerThreads
    const script = yield* Effect.try({ try: workerScript, catch: (e) => new WorkerFailed({ message: (e as Error).message }) })
    const progress = new Float64Array(new SharedArrayBuffer(8 * 3 * options.workers))
    const plain = { ...options, onProgress: undefined }
    const workers: WorkerHandle[] = []
    for (let index = 0; index < options.workers; index++) {
      workers.push(yield* threads.spawn(script, { ref, options: plain, index, progress }))
    }
    return parallelDriver(workers, progress)
  })
