/**
 * The segmented hash tables (model/engine/seen-set.ts): with segments of a few slots, every probe
 * of the seen set and the level maps runs across segment boundaries and wraps from the last,
 * shorter segment to the first; counts, coverage and the counterexample must be those of the
 * default segments, in the sequential and in the parallel search.
 */
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { explore, localDriver, type ExploreOptions } from "../../model/engine/explorer.js"
import { allocSlots, forEachOccupied, LevelIndex, probeHas } from "../../model/engine/seen-set.js"
import raftmongo from "../../model/protocols/raftmongo/index.js"
import rollback from "../../model/protocols/rollback/index.js"
import { exploreInProcess } from "../support/in-process.js"
import { searchSummary } from "../support/summary.js"

// Fingerprints never have a zero high word (it marks empty slots), so neither do these pairs.
const nonZero = fc.integer().filter((h) => h !== 0)

describe("segmented hash tables", () => {
  it("a table's segments: full ones of 2^shift slots, then the remainder", () => {
    const t = allocSlots(10, 3, 2, false)
    expect(t.segments.map((s) => s.length)).toEqual([12, 12, 6])
    expect(allocSlots(8, 2, 2, false).segments.map((s) => s.length)).toEqual([8, 8])
    expect(allocSlots(5, 2, 22, false).segments.map((s) => s.length)).toEqual([10])
  })

  it("forEachOccupied visits the occupied slots of a range, in order, across segments", () => {
    const t = allocSlots(10, 2, 2, false)
    for (const s of [0, 3, 4, 7, 9]) t.segments[s >> 2]![2 * (s & 3)] = 100 + s
    const seen: number[] = []
    forEachOccupied(t, 2, 10, (seg, i) => seen.push(seg[i]!))
    expect(seen).toEqual([103, 104, 107, 109])
  })

  it("a probe that runs off the last, shorter segment wraps to the first", () => {
    const t = allocSlots(5, 2, 1, false)
    // The largest high word's home slot is the last one (4); fill it so the probe must wrap.
    t.segments[2]![0] = -1
    t.segments[2]![1] = 1
    t.segments[0]![0] = -1
    t.segments[0]![1] = 2
    expect(probeHas(t, -1, 2)).toBe(true)
    expect(probeHas(t, -1, 3)).toBe(false)
  })

  test.prop([fc.uniqueArray(fc.tuple(nonZero, fc.integer()), { maxLength: 2000, selector: ([h, l]) => `${h},${l}` }), fc.integer({ min: 0, max: 5 })])(
    "a level index of tiny segments finds each entry's position",
    (pairs, shift) => {
      const index = new LevelIndex(4, shift)
      pairs.forEach(([h, l], p) => {
        expect(index.find(h, l)).toBe(-1)
        index.insert(h, l, p)
      })
      pairs.forEach(([h, l], p) => expect(index.find(h, l)).toBe(p))
    }
  )

  it.each([
    ["raftmongo (counterexample)", raftmongo.build({ servers: 3, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 2 }, "commit-by-counting")],
    ["raftmongo (holds)", raftmongo.build({ servers: 3, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 2 }, "base")],
    ["rollback (holds)", rollback.build({ servers: 3, maxTerm: 2, maxLogLen: 1, maxClientWriteSize: 1 }, "base")]
  ])("%s: segments of 1, 2 and 8 slots give the default segments' results, sequential and parallel", async (_, model) => {
    const options: ExploreOptions = { workers: 1, symmetry: false, deadlock: false }
    const reference = searchSummary(await explore(model, options, localDriver(model, options)))
    for (const segmentShift of [0, 1, 3]) {
      // A depth cap one past the reference's: a table that loses states re-explores them forever.
      const small = { ...options, segmentShift, maxDepth: reference.depth + 1 }
      expect(searchSummary(await explore(model, small, localDriver(model, small))), `sequential, 2^${segmentShift} slots`).toEqual(reference)
      const parallel = { ...small, workers: 3 }
      const { result } = await exploreInProcess(model, parallel, { initialCapacity: 16, fanoutFloor: 4, chunkShift: 2, segmentShift })
      expect(searchSummary(result), `parallel, 2^${segmentShift} slots`).toEqual(reference)
    }
  })
})
