/** The parallel search's shared tables: growth pauses and redone states must not change any result. */
import { describe, expect, it } from "vitest"
import { explore, localDriver, type ExploreOptions } from "../../model/engine/explorer.js"
import raftmongo from "../../model/protocols/raftmongo/index.js"
import { exploreInProcess } from "../support/in-process.js"

const config = { servers: 3, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 2 }

describe("parallel search tables", () => {
  it.each([
    ["tiny tables and no assumed fan-out", { initialCapacity: 16, fanoutFloor: 0 }],
    ["small tables", { initialCapacity: 64, fanoutFloor: 4 }],
    ["default tables", { initialCapacity: 4096, fanoutFloor: 64 }]
  ])("%s: same counts, coverage and counterexample as the sequential search", async (_, tuning) => {
    for (const variant of ["base", "commit-by-counting"]) {
      const model = raftmongo.build(config, variant)
      const options: ExploreOptions = { workers: 3, symmetry: false, deadlock: false }
      const sequential = await explore(model, options, localDriver(model, options))
      const { result } = await exploreInProcess(model, options, tuning)
      expect([result.generated, result.distinct, result.depth]).toEqual([sequential.generated, sequential.distinct, sequential.depth])
      expect(result.coverage).toEqual(sequential.coverage)
      expect(result.violation?.trace.map((s) => Array.from(s.state))).toEqual(sequential.violation?.trace.map((s) => Array.from(s.state)))
    }
  })

  it("redoes a state whose expansion found a full table, counting it once", async () => {
    const model = raftmongo.build(config, "base")
    const options: ExploreOptions = { workers: 2, symmetry: false, deadlock: false }
    const sequential = await explore(model, options, localDriver(model, options))
    // With no assumed fan-out, the first state with many new successors overflows its table.
    const { result, workers } = await exploreInProcess(model, options, { initialCapacity: 16, fanoutFloor: 0 })
    expect(workers.reduce((a, w) => a + w.aborts, 0)).toBeGreaterThan(0)
    expect([result.generated, result.distinct]).toEqual([sequential.generated, sequential.distinct])
  })
})
