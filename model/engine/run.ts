/** Runs one search as an Effect: picks the one-thread or the worker-pool driver and closes it. */
import { Data, Effect } from "effect"
import { diskDriver } from "./disk.js"
import { explore, localDriver, searchOptions, type ExploreOptions, type ExploreResult, type RoundDriver } from "./explorer.js"
import type { Model, ModelRef } from "./model.js"
import { spawnParallelDriver, WorkerThreads } from "./parallel.js"

/** A search that ended in an error; `files` when it was the search on disk's files (a full disk, say), not a bug. */
export class SearchFailed extends Data.TaggedError("SearchFailed")<{ readonly message: string; readonly files?: boolean }> {}

/** Does the error come from the file system (an errno code such as ENOSPC)? */
const isFileError = (e: unknown) => e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string"

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
      const failed = (e: unknown) =>
        disk !== undefined && isFileError(e)
          ? new SearchFailed({ message: `the search on disk under ${disk.dir} failed: ${(e as Error).message}`, files: true })
          : new SearchFailed({ message: e instanceof Error ? e.message : String(e) })
      const driver: RoundDriver =
        disk !== undefined
          ? yield* Effect.try({ try: () => diskDriver(model, searchOptions(model, options, 0), disk), catch: failed })
          : options.workers <= 1 && options.isolate !== true
            ? localDriver(model, options)
            : yield* spawnParallelDriver(workerScript, ref, model, options).pipe(Effect.mapError((e) => new SearchFailed({ message: e.message })))
      return yield* Effect.tryPromise({
        try: () => explore(model, options, driver).finally(() => driver.close()),
        catch: failed
      })
    })
  )
