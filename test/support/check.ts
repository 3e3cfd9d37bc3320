/** Runs a search the way the CLI does (worker threads when asked), for tests. */
import { Effect } from "effect"
import type { ExploreOptions, ExploreResult } from "../../model/engine/explorer.js"
import { WorkerThreads } from "../../model/engine/parallel.js"
import { runSearch } from "../../model/engine/run.js"
import type { ModelRef } from "../../model/engine/model.js"
import { buildModel, workerScript } from "../../model/protocols/index.js"

export async function check(ref: ModelRef, options: Partial<ExploreOptions> = {}): Promise<ExploreResult> {
  const model = buildModel(ref)
  const full: ExploreOptions = { workers: 1, symmetry: ref.symmetry, deadlock: false, ...options }
  return Effect.runPromise(runSearch(workerScript, ref, model, full).pipe(Effect.provide(WorkerThreads.layer)))
}
