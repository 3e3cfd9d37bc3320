/**
 * Count semantics (README, "Count semantics") on tiny models whose numbers are derived by hand,
 * with 1 and 2 workers. The worked example is the `counter` protocol: x starts at 0 and grows by 1
 * or 2 under the constraint x <= 3, so the states 0..3 are 4 distinct; each of them has 2
 * successors plus the initial state makes 9 generated (4 and 5 fall outside the constraint and
 * are generated, not explored); depth 3 (0, then 1 and 2, then 3). TLC 2.20 reports the same.
 */
import { describe, expect, it } from "vitest"
import type { ModelRef } from "../../model/engine/model.js"
import { check } from "../support/check.js"

const counter = (variant = "base"): ModelRef => ({ protocol: "counter", variant, config: { limit: 3 }, symmetry: false })
const mutex = (variant = "base", symmetry = false): ModelRef => ({ protocol: "mutex", variant, config: { processes: 2 }, symmetry })

describe.each([1, 2])("with %i worker(s)", (workers) => {
  it("counts the worked example like TLC: 9 generated, 4 distinct, depth 3", async () => {
    const r = await check(counter(), { workers, invariants: [] })
    expect([r.generated, r.distinct, r.depth, r.violation]).toEqual([9, 4, 3, null])
  })

  it("counts each existential witness as a generated successor: 9 generated, 4 distinct, depth 4", async () => {
    const r = await check(counter("witness"), { workers, invariants: [] })
    expect([r.generated, r.distinct, r.depth]).toEqual([9, 4, 4])
  })

  it("checks invariants on successors outside the constraint (x = 4 violates x # 4)", async () => {
    const r = await check(counter(), { workers })
    expect(r.violation?.invariant).toBe("XNeverFour")
    // 0 -> 2 -> 4 is the shortest path to x = 4.
    expect(r.violation?.trace.map((s) => s.state[0])).toEqual([0, 2, 4])
  })

  it("counts the 2-process mutex: 15 generated, 8 distinct, depth 4", async () => {
    // States (pc0, pc1) with the lock held iff someone is critical: ii wi iw ww ci ic cw wc.
    // Successors: ii 2, wi 2, iw 2, ww 2, ci 2, ic 2, cw 1, wc 1 = 14, plus the initial state.
    const r = await check(mutex(), { workers })
    expect([r.generated, r.distinct, r.depth, r.violation]).toEqual([15, 8, 4, null])
    expect(r.coverage).toEqual([
      { action: "Request", count: 6 },
      { action: "Enter", count: 4 },
      { action: "Exit", count: 4 }
    ])
  })

  it("counts orbits under symmetry: 10 generated, 5 distinct, depth 4", async () => {
    // Orbits {ii} {wi,iw} {ww} {ci,ic} {cw,wc}; explored representatives generate 2+2+2+2+1.
    const r = await check(mutex("base", true), { workers })
    expect([r.generated, r.distinct, r.depth]).toEqual([10, 5, 4])
  })

  it("finds the shortest MutualExclusion violation of no-lock (5 states)", async () => {
    const r = await check(mutex("no-lock"), { workers })
    expect(r.violation?.invariant).toBe("MutualExclusion")
    expect(r.violation?.trace.length).toBe(5)
    expect(r.violation?.trace.slice(1).map((s) => s.action?.name)).toEqual(["Request", "Request", "Enter", "Enter"])
  })

  it("checks step invariants: exit-keeps-lock breaks ExitReleasesLock in 4 states", async () => {
    const r = await check(mutex("exit-keeps-lock"), { workers })
    expect(r.violation).toMatchObject({ kind: "step", invariant: "ExitReleasesLock" })
    expect(r.violation?.trace.map((s) => s.action?.name ?? "init")).toEqual(["init", "Request", "Enter", "Exit"])
  })

  it("finds deadlocks only when asked: exit-keeps-lock deadlocks after 6 states", async () => {
    const off = await check(mutex("exit-keeps-lock"), { workers, invariants: [] })
    expect(off.violation).toBeNull()
    const on = await check(mutex("exit-keeps-lock"), { workers, invariants: [], deadlock: true })
    expect(on.violation?.kind).toBe("deadlock")
    // ii -> wi -> ci -> (Request) cw -> (Exit, lock kept) iw -> (Request) ww: nobody can enter.
    expect(on.violation?.trace.length).toBe(6)
    const last = on.violation!.trace[5]!.state
    expect([last[0], last[1], last[2]]).toEqual([1, 1, 1])
  })

  it("reports caps instead of stopping silently", async () => {
    const depth = await check(mutex(), { workers, maxDepth: 2 })
    expect(depth.stopped).toEqual({ cap: "max-depth", limit: 2, unexplored: 2 })
    expect([depth.distinct, depth.depth]).toEqual([3, 2])
    const states = await check(mutex(), { workers, maxStates: 3 })
    expect(states.stopped).toMatchObject({ cap: "max-states", limit: 3 })
  })
})
