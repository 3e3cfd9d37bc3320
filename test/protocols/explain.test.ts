/**
 * Every built-in protocol's explanations agree with its own expansion: for each action and each
 * value of its first parameter, an explanation exactly when no instance with that value is
 * enabled; with every argument of an enabled instance given, none; and an explanation always
 * has a code and a message.
 */
import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import type { Model } from "../../model/engine/model.js"
import { successorsOf } from "../../model/engine/path.js"
import { builtInProtocols } from "../../model/protocols/index.js"

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

const plain = (v: unknown) => (v instanceof Set ? [...v] : v)

describe.each(builtInProtocols)("$name", (protocol) => {
  const model = protocol.build(protocol.defaults)
  test.prop([fc.integer()], { numRuns: 25 })("explain is null exactly when an instance with those arguments is enabled", (seed) => {
    for (const state of statesOf(model, seed)) {
      const steps = successorsOf(model, state)
      for (const family of model.families) {
        const first = family.params[0]
        const mine = steps.filter((s) => s.action!.name === family.name)
        // Every argument of an enabled instance given: enabled.
        for (const s of mine.slice(0, 3)) {
          const args = Object.fromEntries(Object.entries(s.action!.args).map(([k, v]) => [k, plain(v)]))
          expect({ action: family.name, args, why: family.explain!(state, args) }).toEqual({ action: family.name, args, why: null })
        }
        const free = family.explain!(state, {})
        expect({ action: family.name, enabled: mine.length > 0, why: free === null ? null : "reason" }).toEqual({ action: family.name, enabled: mine.length > 0, why: mine.length > 0 ? null : "reason" })
        if (first === undefined || family.paramKinds?.[0] === "nodeSet") continue
        for (let value = 0; value <= model.layout.nodes + 2; value++) {
          const enabled = mine.some((s) => s.action!.args[first] === value)
          const why = family.explain!(state, { [first]: value })
          expect({ action: family.name, [first]: value, enabled, why: why === null ? null : "reason" }).toEqual({ action: family.name, [first]: value, enabled, why: enabled ? null : "reason" })
          if (why !== null) expect(why.code.length * why.message.length).toBeGreaterThan(0)
        }
      }
    }
  })
})
