/**
 * V8 settings for the search, applied once per process (worker threads share them).
 *
 * Why: model code is many small functions (state accessors, guards, helpers) that only run fast
 * once V8 inlines them into each action's generated loop. V8's default budget of inlined bytecode
 * per optimised function (920 bytes) is tuned for web pages and runs out inside the larger
 * actions. At 2000 bytes RaftMongo's one-worker search ran about 8% faster on this project's
 * machine; larger budgets made the optimised code bigger and slower to compile, which cost more
 * than it gave when two worker threads compile at once on two cores (bench/RESULTS.md,
 * 2026-12-01). The flag only changes how much V8 inlines.
 */
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"

let applied = false

export function tuneV8(): void {
  if (applied) return
  applied = true
  setFlagsFromString("--max-inlined-bytecode-size-cumulative=2000")
}

let collector: (() => void) | null | undefined

/**
 * Runs a full garbage collection now, in this thread. The parallel search calls it where it has
 * dropped a shared table (an old seen set after growth, a replaced level map), in the coordinator
 * and in each worker.
 *
 * Why: shared memory is freed only once every thread's handle on it has been collected, and
 * V8 does not count the shared memory behind a handle towards the collections a thread
 * schedules for itself; workers allocate almost nothing, so they collected rarely and held the
 * old tables. Measured (raftmongo, 8.7M distinct states, 2 workers): peak RSS 1.05 GB without,
 * 0.68 GB with a collection per level, which is the 1-worker figure. A collection costs a few
 * milliseconds here: the tables live outside the JS heap. The hook is V8's own `gc`, exposed by
 * the --expose-gc flag (set at run time, so the process needs no command-line flag).
 */
export function collectGarbage(): void {
  if (collector === undefined) {
    setFlagsFromString("--expose-gc")
    // Threads started after the flag have the global; this one gets it in a fresh context.
    const global = (globalThis as { gc?: () => void }).gc
    collector = global ?? (runInNewContext("gc") as (() => void) | undefined) ?? null
  }
  collector?.()
}
