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

let applied = false

export function tuneV8(): void {
  if (applied) return
  applied = true
  setFlagsFromString("--max-inlined-bytecode-size-cumulative=2000")
}
