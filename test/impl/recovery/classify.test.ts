/**
 * The recovery driver's gap classification, a function of the primary's own retained history and
 * the replica's handshake report only: the outcomes and their boundaries, and the case that LSNs
 * alone get wrong (a diverged history at an equal LSN).
 */
import { describe, expect, it } from "vitest"
import { classifyGap, rebuildSource, type RetainedHistory } from "../../../impl/recovery/types.js"

/** A primary whose log holds these entry epochs, its WAL recycled up to `tail`. */
const history = (epochs: readonly number[], committed: number, tail = 0, snapshot = 0): RetainedHistory => ({
  head: epochs.length,
  tail,
  committed,
  snapshot,
  epochAt: (lsn) => (lsn >= tail && lsn >= 1 && lsn <= epochs.length ? epochs[lsn - 1]! : null)
})

describe("classifyGap", () => {
  it.each([
    ["equal LSNs, the same entry", [1, 2], 2, 0, { flushed: 2, epochAtCheck: 2 }, "ZeroGap"],
    ["equal LSNs, another epoch's entry: diverged", [1, 2], 2, 0, { flushed: 2, epochAtCheck: 1 }, "NeedsRebuild"],
    ["ahead, agreeing at the committed LSN", [1, 1, 1], 2, 0, { flushed: 3, epochAtCheck: 1 }, "Truncate"],
    ["ahead, diverged at or below the committed LSN", [1, 2, 2], 2, 0, { flushed: 3, epochAtCheck: 1 }, "NeedsRebuild"],
    ["behind, its next entry retained", [1, 1, 1], 3, 1, { flushed: 1, epochAtCheck: 1 }, "CatchUp"],
    ["behind, its next entry recycled", [1, 1, 1], 3, 2, { flushed: 1, epochAtCheck: 1 }, "NeedsRebuild"],
    ["empty replica, nothing recycled", [1, 1], 2, 0, { flushed: 0, epochAtCheck: 0 }, "CatchUp"],
    ["empty replica, nothing committed", [1], 0, 0, { flushed: 0, epochAtCheck: 0 }, "ZeroGap"]
  ] as const)("%s: %s", (_, epochs, committed, tail, report, outcome) => {
    expect(classifyGap(history(epochs, committed, tail), report, true)).toBe(outcome)
  })

  it("from LSNs alone (Phase 06), a diverged replica at the committed LSN is a zero gap", () => {
    expect(classifyGap(history([1, 2], 2), { flushed: 2, epochAtCheck: 1 }, false)).toBe("ZeroGap")
    expect(classifyGap(history([1, 2, 2], 2), { flushed: 3, epochAtCheck: 1 }, false)).toBe("Truncate")
  })
})

describe("rebuildSource", () => {
  it("a trusted snapshot whose tail is retained, else a full base at the committed LSN", () => {
    expect(rebuildSource(history([1, 1, 1], 3, 2, 2))).toEqual({ source: "SnapshotTail", lsn: 2 })
    expect(rebuildSource(history([1, 1, 1], 3, 3, 2))).toEqual({ source: "FullBase", lsn: 3 })
    expect(rebuildSource(history([1, 1, 1], 3, 0, 0))).toEqual({ source: "FullBase", lsn: 3 })
  })
})
