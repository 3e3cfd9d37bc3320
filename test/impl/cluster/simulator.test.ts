/**
 * The cluster simulator's runs are runs of the rollback model (trace validation), under every
 * fault; and the mutation check: each planted bug is caught by validation or by an invariant of
 * the implementation, whenever the bug changes what the run does.
 */
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { simulateCluster, type Bug, type ClusterOptions, type Fault } from "../../../impl/cluster/simulator.js"
import type { Protocol } from "../../../model/kit/index.js"
import rollback from "../../../model/protocols/rollback/index.js"
import { validateTrace } from "../../../model/trace/validate.js"

async function* each(lines: readonly string[]) {
  yield* lines
}
const validate = (lines: readonly string[], variant?: string) =>
  validateTrace(rollback as Protocol, rollback.traceMapping!, each(lines), "cluster", { internalSteps: 0, ...(variant ? { variant } : {}) })
const base: Omit<ClusterOptions, "seed"> = { nodes: 3, steps: 200, faults: ["crash", "persist", "partition"], maxTerm: 10, maxLogLen: 4 }

describe("cluster simulator", () => {
  it("is deterministic: the same seed gives the same run", () => {
    expect(simulateCluster({ ...base, seed: 42 }).lines).toEqual(simulateCluster({ ...base, seed: 42 }).lines)
  })

  it("every run of 300 seeds with all faults validates against the rollback model, and they cover every action", async () => {
    const seen = new Set<string>()
    for (let seed = 1; seed <= 300; seed++) {
      const run = simulateCluster({ ...base, seed })
      const r = await validate(run.lines)
      expect({ seed, rejection: r.rejection?.seq ?? null, broken: run.broken }).toEqual({ seed, rejection: null, broken: [] })
      for (const line of run.lines.slice(1)) seen.add(JSON.parse(line).action)
    }
    expect([...seen].sort()).toEqual(rollback.build(rollback.defaults, "base", { symmetry: false }).families.map((f) => f.name).sort())
  })

  test.prop([fc.integer({ min: 0, max: 2 ** 31 }), fc.subarray(["crash", "persist", "partition"] as Fault[]), fc.integer({ min: 2, max: 4 })], { numRuns: 60 })(
    "fault schedules from fast-check: every run validates and keeps the implementation's invariants",
    async (seed, faults, nodes) => {
      const run = simulateCluster({ ...base, seed, faults, nodes })
      expect((await validate(run.lines)).rejection).toBeNull()
      expect(run.broken).toEqual([])
    }
  )
})

/** Runs seeds 1..seeds with the bug planted: how many runs the bug changed, and how many of those validation or an implementation invariant caught. */
async function caught(bug: Bug, seeds: number, options: Omit<ClusterOptions, "seed"> = base, variant?: string) {
  let exercised = 0
  let detected = 0
  for (let seed = 1; seed <= seeds; seed++) {
    const run = simulateCluster({ ...options, seed, bugs: [bug] })
    if (!run.exercised.has(bug)) continue
    exercised++
    if (!(await validate(run.lines, variant)).accepted || run.broken.length > 0) detected++
  }
  return { exercised, detected }
}

describe("mutation check", () => {

  it.each([
    ["recover-before-persist", 300],
    ["ignore-persist-failure", 300],
    ["off-by-one-common-point", 300],
    ["restore-wrong-pre-image", 300],
    ["no-term-lock", 300],
    ["volatile-event-marker", 300]
  ] as const)("%s is caught", async (bug, seeds) => {
    const { exercised, detected } = await caught(bug, seeds)
    expect(exercised).toBeGreaterThan(0)
    expect(detected).toBeGreaterThan(0)
  })

  it("skip-watermark-guard never changes a run: no plan finds its common point below the watermark (ADR 0001, finding 3)", async () => {
    // An equivalent mutant in a sound cluster: the guard only matters when the watermark is wrong.
    expect(await caught("skip-watermark-guard", 1000)).toEqual({ exercised: 0, detected: 0 })
  })
})

describe("raft elections (--elections raft): StartElection, GrantVote one voter at a time, BecomeLeader", () => {
  const raft: Omit<ClusterOptions, "seed"> = { ...base, elections: "raft" }

  it("every run of 150 seeds validates against the variant raft-elections, with elections lost as well as won", async () => {
    const count = new Map<string, number>()
    for (let seed = 1; seed <= 150; seed++) {
      const run = simulateCluster({ ...raft, seed })
      const r = await validate(run.lines, "raft-elections")
      expect({ seed, rejection: r.rejection?.seq ?? null, broken: run.broken }).toEqual({ seed, rejection: null, broken: [] })
      for (const line of run.lines.slice(1)) {
        const action = JSON.parse(line).action as string
        count.set(action, (count.get(action) ?? 0) + 1)
      }
    }
    expect(count.get("BecomePrimaryByMagic")).toBeUndefined()
    expect(count.get("GrantVote")).toBeGreaterThan(count.get("BecomeLeader")!)
    // Some candidates never win: their term moved on, or they started again.
    expect(count.get("StartElection")).toBeGreaterThan(count.get("BecomeLeader")!)
    expect(count.get("RollbackTruncate")).toBeGreaterThan(0)
  })

  it("is not a run of the base model, whose elections are BecomePrimaryByMagic", async () => {
    const run = simulateCluster({ ...raft, seed: 1 })
    await expect(validate(run.lines)).rejects.toThrow(/unknown action "StartElection"/)
  })

  it.each([
    // A locked node is mid-rollback, its log ahead of most candidates': few runs reach one with a vote to give.
    ["no-term-lock", 2000],
    ["vote-twice-in-a-term", 300]
  ] as const)("%s is caught", async (bug, seeds) => {
    const { exercised, detected } = await caught(bug, seeds, raft, "raft-elections")
    expect(exercised).toBeGreaterThan(0)
    expect(detected).toBe(exercised)
  })
})
