/** Runs a search the way the CLI does (worker threads when asked), for tests. */
import { Effect } from "effect"
import type { ExploreOptions, ExploreResult } from "../../model/engine/explorer.js"
import type { ModelRef } from "../../model/engine/model.js"
import { WorkerThreads } from "../../model/engine/parallel.js"
import { runSearch } from "../../model/engine/run.js"
import { builtInProtocol } from "../../model/protocols/index.js"
import { workerScript } from "../../model/protocols/load.js"

export async function check(ref: ModelRef, options: Partial<ExploreOptions> = {}): Promise<ExploreResult> {
  const protocol = builtInProtocol(ref.protocol)
  if (!protocol) throw new RangeError(`no protocol ${ref.protocol}`)
  const model = protocol.build({ ...protocol.defaults, ...ref.config }, ref.variant, { symmetry: ref.symmetry })
  const full: ExploreOptions = { workers: 1, symmetry: ref.symmetry, deadlock: false, ...options }
  return Effect.runPromise(runSearch(workerScript, ref, model, full).pipe(Effect.provide(WorkerThreads.layer)))
}
