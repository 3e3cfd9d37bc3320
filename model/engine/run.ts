/** Runs one search as an Effect: picks the one-thread or the worker-pool driver and closes it. */
import { Data, Effect } from "effect"
import { diskDriver } from "./disk.js"
import { explore, localDriver, searchOptions, type ExploreOptions, type ExploreResult, type RoundDriver } from "./explorer.js"
import type { Model, ModelRef } from "./model.js"
import { spawnParallelDriver, WorkerThreads } from "./parallel.js"

export class SearchFailed extends Data.TaggedError("SearchFailed")<{ readonly message: string }> {}

/** `workerScript` locates the compiled worker entry of the registry `ref` names (used when workers > 1). */
export const runSearch = (
  workerScript: () => string,
  ref: ModelRef,
  model: Model,
  options: ExploreOptions
): Effect.Effect<ExploreResult, SearchFailed, WorkerThreads> =>
  Effect.scoped(
    Effect.gen(function* () {
      const disk = options.disk
      if (disk !== undefined && (options.workers > 1 || options.resume !== undefined || options.checkpoint !== undefined)) {
        return yield* new SearchFailed({ message: "a search on disk runs on one thread and keeps no checkpoint" })
      }
      const driver: RoundDriver =
        disk !== undefined
          ? diskDriver(model, searchOptions(model, options, 0), disk)
          : options.workers <= 1 && options.isolate !== true
          ? localDriver(model, options)
          : yield* spawnParallelDriver(workerScript, ref, model, options).pipe(Effect.mapError((e) => new SearchFailed({ message: e.message })))
      return yield* Effect.tryPromise({
        try: () => explore(model, options, driver).finally(() => driver.close()),
        catch: (e) => new SearchFailed({ message: e instanceof Error ? e.message : String(e) })
      })
    })
  )
