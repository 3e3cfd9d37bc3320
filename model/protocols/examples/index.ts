/** The example protocols: bounds and readable states around the models in counter.ts and mutex.ts. */
import { Schema } from "effect"
import { defineConfig } from "../../engine/config.js"
import type { Protocol } from "../../engine/model.js"
import { ItfInt, ItfNodeMap } from "../../trace/itf.js"
import { buildCounter, counterVariants } from "./counter.js"
import { buildMutex, mutexVariants, PC } from "./mutex.js"

export const counter: Protocol<{ limit: number }> = {
  name: "counter",
  summary: "DESIGN.md's worked example of TLC's counts (x grows by 1 or 2 up to a limit)",
  config: defineConfig({ limit: { default: 3, min: 0, max: 250, description: "state constraint: x <= limit" } }),
  stateSchema: Schema.Struct({ x: ItfInt }),
  variants: counterVariants,
  symmetric: false,
  build: (cfg, variant) => buildCounter(cfg, variant)
}

export const mutex: Protocol<{ processes: number }> = {
  name: "mutex",
  summary: "a lock-based mutual exclusion of N processes (a small example with hand-derived counts)",
  config: defineConfig({ processes: { default: 2, min: 1, max: 6, description: "number of processes" } }),
  stateSchema: Schema.Struct({ pc: ItfNodeMap(Schema.Literal(...PC)), lock: Schema.Boolean }),
  variants: mutexVariants,
  symmetric: true,
  build: (cfg, variant) => buildMutex(cfg, variant)
}
