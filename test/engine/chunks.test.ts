/**
 * The chunked tables (model/engine/rows.ts): with chunks of a few rows, every level store and the
 * edge records cross many chunk boundaries; counts, coverage and the counterexample must be the
 * same as with the default chunks, in the sequential and in the parallel search.
 */
import { describe, expect, it } from "vitest"
import { explore, localDriver, type ExploreOptions } from "../../model/engine/explorer.js"
import { chunkShiftFor, Rows } from "../../model/engine/rows.js"
import raftmongo from "../../model/protocols/raftmongo/index.js"
import sidecar from "../../model/protocols/sidecar/index.js"
import { exploreInProcess } from "../support/in-process.js"
import { searchSummary } from "../support/summary.js"


describe("chunked level stores and edge records", () => {
  it("a row's chunk and offset, and chunks that shrink for wide rows", () => {
    const rows = new Rows(3, 2, false)
    rows.reserve(9)
    expect(rows.chunks.length).toBe(3)
    expect(rows.capacity).toBe(12)
    expect([rows.chunks.indexOf(rows.chunk(9)), rows.offset(9)]).toEqual([2, 3])
    // A chunk stays under 256 MiB: 2^16 rows of 2^12 words would be 1 GiB.
    expect(chunkShiftFor(2 ** 12, 16)).toBe(14)
    expect(chunkShiftFor(35, 16)).toBe(16)
  })

  it.each([
    ["raftmongo", raftmongo.build({ servers: 3, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 2 }, "commit-by-counting")],
    ["sidecar", sidecar.build({ writers: 2, sweeps: 2, tables: 2 }, "no-heal-first")],
    ["sidecar (holds)", sidecar.build({ writers: 2, sweeps: 2, tables: 2 }, "base")]
  ])("%s: chunks of 1, 2 and 8 rows give the default chunks' results, sequential and parallel", async (_, model) => {
    const options: ExploreOptions = { workers: 1, symmetry: false, deadlock: false }
    const reference = searchSummary(await explore(model, options, localDriver(model, options)))
    for (const chunkShift of [0, 1, 3]) {
      const small = { ...options, chunkShift }
      expect(searchSummary(await explore(model, small, localDriver(model, small))), `sequential, 2^${chunkShift} rows`).toEqual(reference)
      const parallel = { ...small, workers: 3 }
      const { result } = await exploreInProcess(model, parallel, { initialCapacity: 16, fanoutFloor: 4, chunkShift })
      expect(searchSummary(result), `parallel, 2^${chunkShift} rows`).toEqual(reference)
    }
  })
})
