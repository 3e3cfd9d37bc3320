/**
 * Actions that explain why they are not enabled (for trace diagnostics) must agree with their
 * own expansion: for a node, an explanation exactly when no instance at that node is enabled.
 */
import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import type { Model } from "../../model/engine/model.js"
import { successorsOf } from "../../model/engine/path.js"
import raftmongo from "../../model/protocols/raftmongo/index.js"
import rollback from "../../model/protocols/rollback/index.js"

const config = { servers: 3, maxTerm: 3, maxLogLen: 3, maxClientWriteSize: 1 }

/** States along a random run of the model. */
function statesOf(model: Model, seed: number): Uint8Array[] {
  const states: Uint8Array[] = [model.initialStates()[0]!]
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 0) / 4294967296
  for (let k = 0; k < 25; k++) {
    const next = successorsOf(model, states[states.length - 1]!).filter((s) => model.constraint(s.state))
    if (next.length === 0) break
    states.push(next[Math.floor(random() * next.length)]!.state)
  }
  return states
}

describe.each([
  ["raftmongo", raftmongo.build(config, "base")],
  ["rollback", rollback.build(config, "base")]
] as const)("%s", (_, model) => {
  test.prop([fc.integer()], { numRuns: 30 })("explain(state, {node}) is null exactly when an instance at that node is enabled", (seed) => {
    for (const state of statesOf(model, seed)) {
      const steps = successorsOf(model, state)
      for (const family of model.families) {
        if (!family.explain) continue
        const first = family.params[0]!
        for (let id = 1; id <= config.servers; id++) {
          const enabled = steps.some((s) => s.action!.name === family.name && s.action!.args[first] === id)
          const why = family.explain(state, { [first]: id })
          expect({ action: family.name, node: id, enabled, why: why === null ? null : "reason" }).toEqual({
            action: family.name,
            node: id,
            enabled,
            why: enabled ? null : "reason"
          })
        }
      }
    }
  })
})
