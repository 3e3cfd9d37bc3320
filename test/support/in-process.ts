/**
 * The parallel search's workers run in-process, one after another per phase: every table and
 * growth path of parallel.ts and level-worker.ts, deterministic and observable from a test.
 */
import { explore, searchOptions, type ExploreOptions, type ExploreResult } from "../../model/engine/explorer.js"
import { LevelWorker } from "../../model/engine/level-worker.js"
import type { Model } from "../../model/engine/model.js"
import { parallelDriver, type Tuning, type WorkerHandle } from "../../model/engine/parallel.js"
import { answer, type Request } from "../../model/engine/search-worker.js"

export async function exploreInProcess(
  model: Model,
  options: ExploreOptions,
  tuning: Tuning
): Promise<{ result: ExploreResult; workers: LevelWorker[] }> {
  const workers = Array.from({ length: options.workers }, (_, k) => new LevelWorker(model, searchOptions(model, options, k)))
  const handles: WorkerHandle[] = workers.map((w) => ({
    request: async <A>(req: unknown): Promise<A> => answer(w, req as Request) as A,
    terminate: async () => {}
  }))
  const result = await explore(model, options, parallelDriver(handles, new Float64Array(options.workers), model, tuning))
  return { result, workers }
}
