/**
 * The verdict line of `check` for each way a search can stop early: it names the cap and its
 * limit in the user's terms, and the states left unexplored.
 */
import { describe, expect, it } from "vitest"
import type { CheckReport } from "../../model/cli/check-report.js"
import { renderReport } from "../../model/cli/render.js"

const report = (stopped: CheckReport["stopped"]): CheckReport => ({
  protocol: "counter",
  variant: "base",
  config: { limit: 3 },
  verdict: "incomplete",
  workers: 1,
  symmetry: false,
  deadlock: false,
  invariants: ["XNeverFour"],
  generated: 10,
  distinct: 4,
  depth: 3,
  seconds: 0.5,
  statesPerSecond: 20,
  complete: false,
  stopped,
  violation: null,
  collisionProbability: 0,
  coverage: { Increment: 10 },
  neverFired: [],
  seenSetBytes: 64,
  seenSetBytesPerState: 16,
  memoryBudgetBytes: 512 * 2 ** 20,
  peakRssBytes: 100 * 2 ** 20,
  resumed: null,
  checkpoint: null,
  disk: null,
  dotFile: null
})

const verdict = (r: CheckReport) => renderReport(r).split("\n").at(-1)

describe("check's verdict when the search stopped early", () => {
  it("names the cap, its limit and the states left", () => {
    expect(verdict(report({ cap: "max-depth", limit: 3, unexplored: 1234 }))).toBe(
      "verdict: NO VIOLATION FOUND, INCOMPLETE: stopped at --max-depth 3 with 1,234 states left unexplored"
    )
    expect(verdict(report({ cap: "memory", limit: 512 * 2 ** 20, unexplored: 7 }))).toBe(
      "verdict: NO VIOLATION FOUND, INCOMPLETE: the next level would pass the memory budget (--memory 512 MiB), stopped with 7 states left unexplored"
    )
    expect(verdict(report({ cap: "out-of-memory", limit: 3 * 2 ** 30, unexplored: 7 }))).toBe(
      "verdict: NO VIOLATION FOUND, INCOMPLETE: memory ran out in the next level (an allocation failed at 3,072 MiB resident), stopped with 7 states left unexplored"
    )
  })

  it("says how to go on from a checkpoint, and where a resumed search started", () => {
    const checkpointed = { ...report({ cap: "max-depth", limit: 3, unexplored: 5 }), checkpoint: { dir: "ck", everySeconds: 600 } }
    expect(renderReport(checkpointed).split("\n").at(-2)).toBe("to go on from depth 3: the same command with a larger cap and --resume ck")
    // An allocation failure writes no checkpoint at its level: nothing to point at.
    expect(renderReport({ ...checkpointed, stopped: { cap: "out-of-memory", limit: 2 ** 30, unexplored: 5 } })).not.toMatch(/--resume/)
    const resumed = { ...report(null), verdict: "ok" as const, resumed: { dir: "ck", depth: 2, distinct: 1500, generated: 9000, seconds: 61.4 } }
    expect(renderReport(resumed)).toMatch(/\nresumed from ck at depth 2 \(1,500 distinct states, 61 s of search before\); the counts are the whole search's/)
  })
})
