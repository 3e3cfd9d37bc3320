/**
 * V8 settings for the search, applied once per process (worker threads share them).
 *
 * Why: model code is many small functions (state accessors, guards, helpers) that only run fast
 * once V8 inlines them into each action's generated loop. V8's default budget of inlined bytecode
 * per optimised function (920 bytes) is tuned for web pages and runs out inside the larger
 * actions; with a larger one RaftMongo's search ran 8-10% faster on this project's machine
 * (bench/RESULTS.md, 2026-12-01). The flag only changes how much V8 inlines.
 */
import { setFlagsFromString } from "node:v8"

let applied = false

export function tuneV8(): void {
  if (applied) return
  applied = true
  setFlagsFromString("--max-inlined-bytecode-size-cumulative=6000")
}
