/**
 * The parallel search's workers run in-process, one after another per phase: every table and
 * growth path of parallel.ts and level-worker.ts, deterministic and observable from a test.
 */
import { explore, searchOptions, type ExploreOptions, type ExploreResult } from "../../model/engine/explorer.js"
import { LevelWorker } from "../../model/engine/level-worker.js"
import type { Model } from "../../model/engine/model.js"
import { parallelDriver, type Tuning, type WorkerHandle } from "../../model/engine/parallel.js"
import type { Reply, Request } from "../../model/engine/search-worker.js"

export async function exploreInProcess(
  model: Model,
  options: ExploreOptions,
  tuning: Tuning
): Promise<{ result: ExploreResult; workers: LevelWorker[] }> {
  const workers = Array.from({ length: options.workers }, (_, k) => new LevelWorker(model, searchOptions(model, options, k)))
  const handles: WorkerHandle[] = workers.map((w) => {
    const reply = (status: "done" | "paused"): Reply => ({
      status,
      generated: w.generated,
      coverage: Array.from(w.coverage),
      maxFanout: w.fanout(),
      violation: w.violation
    })
    return {
      request: async <A>(req: unknown): Promise<A> => {
        const r = req as Request
        if (r.type === "records") return { records: w.records.chunks, shift: w.records.shift, levelEnds: w.levelEnds } as A
        w.attach(r.tables)
        switch (r.type) {
          case "seed":
            return reply(w.seed()) as A
          case "expand":
            w.beginRound(r.successorLength)
            return reply(w.expand()) as A
          case "resume":
            return reply(w.expand()) as A
          case "finish":
            w.finish(r.from, r.to)
            return reply("done") as A
          case "rehash":
            w.rehash(r.old, r.from, r.to)
            return reply("done") as A
        }
      },
      terminate: async () => {}
    }
  })
  const result = await explore(model, options, parallelDriver(handles, new Float64Array(options.workers), model, tuning))
  return { result, workers }
}
