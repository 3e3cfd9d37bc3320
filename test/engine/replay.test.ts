/** Counterexamples are replayed through the model; a model that is not deterministic is reported. */
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { explore, localDriver, type ExploreOptions } from "../../model/engine/explorer.js"
import type { Model } from "../../model/engine/model.js"
import { successorsOf } from "../../model/engine/path.js"
import counter from "../../model/protocols/examples/counter.js"
import raftmongo from "../../model/protocols/raftmongo/index.js"

const options: ExploreOptions = { workers: 1, symmetry: false, deadlock: false }

describe("counterexample replay", () => {
  test.prop(
    [
      fc.record({
        servers: fc.integer({ min: 2, max: 3 }),
        maxTerm: fc.integer({ min: 1, max: 3 }),
        maxLogLen: fc.integer({ min: 1, max: 2 }),
        maxClientWriteSize: fc.integer({ min: 1, max: 2 })
      }),
      fc.constantFrom("elect-without-majority", "commit-by-counting", "learn-commit-point-without-term-check"),
      fc.boolean()
    ],
    { numRuns: 20 }
  )("every counterexample is a run of the model that ends in a violating state", async (config, variant, symmetry) => {
    const model = raftmongo.build(config, variant)
    const r = await explore(model, { ...options, symmetry }, localDriver(model, { ...options, symmetry }))
    if (r.violation === null) return
    const trace = r.violation.trace
    expect(trace[0]!.state).toEqual(model.initialStates()[0])
    for (let k = 1; k < trace.length; k++) {
      const step = trace[k]!
      const found = successorsOf(model, trace[k - 1]!.state).some(
        (s) => s.action!.name === step.action!.name && Buffer.from(s.state).equals(Buffer.from(step.state))
      )
      expect(found).toBe(true)
    }
    const invariant = model.stateInvariants.find((i) => i.name === r.violation!.invariant)!
    expect(invariant.holds(trace[trace.length - 1]!.state)).toBe(false)
  })

  it("fails with a clear message when the model is not deterministic", async () => {
    // A counter whose Add2 action reads a global that changes between the search and the replay.
    const base = counter.build({ limit: 3 }, "base")
    let bump = 2
    const flaky: Model = {
      ...base,
      families: [
        base.families[0]!,
        {
          name: "Add2",
          params: [],
          expand(s, out) {
            out.next()[0] = s[0]! + bump
            out.emit()
          },
          describe: () => ({})
        }
      ]
    }
    const driver = localDriver(flaky, options)
    const run = explore(flaky, { ...options, onProgress: undefined }, {
      ...driver,
      records: async () => {
        bump = 1
        return driver.records()
      }
    })
    await expect(run).rejects.toThrow(/replay diverged at state \d+: .*not deterministic/)
  })
})
