/**
 * Random simulation with invariants (model/engine/simulation.ts): it finds the violations the
 * exhaustive search finds, its traces (as walked and shortened) are runs of the model ending in a
 * violating state, a seed reproduces a run alone, and on a correct model it reports nothing and
 * counts every step it took.
 */
import { Either } from "effect"
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { decodeConfig } from "../../model/engine/config.js"
import { explore, localDriver, type ExploreOptions } from "../../model/engine/explorer.js"
import type { Model } from "../../model/engine/model.js"
import { successorsOf, type TraceStep } from "../../model/engine/path.js"
import { combine, simulate, walkRuns, type ChunkResult, type SimulationOptions } from "../../model/engine/simulation.js"
import cdc from "../../model/protocols/cdc/index.js"
import raftmongo from "../../model/protocols/raftmongo/index.js"
import { defineProtocol, defineState, global, uint } from "../../model/kit/index.js"

/** A protocol's model at its default bounds, with `config` over them. */
const build = (protocol: typeof raftmongo | typeof cdc, config: Record<string, number>, variant: string): Model => {
  const full = decodeConfig(protocol.bounds, config)
  if (Either.isLeft(full)) throw new Error(full.left)
  return protocol.build(full.right, variant)
}

const invariantsOf = (model: Model) => ({ stateInvariants: model.stateInvariants, stepInvariants: model.stepInvariants, deadlock: false })

/** Each step is a successor of the state before it, and the last state breaks `invariant`. */
function expectRunEndingIn(model: Model, trace: readonly TraceStep[], invariant: string) {
  expect(model.initialStates().some((s) => Buffer.from(s).equals(Buffer.from(trace[0]!.state)))).toBe(true)
  for (let k = 1; k < trace.length; k++) {
    const step = trace[k]!
    const found = successorsOf(model, trace[k - 1]!.state).some(
      (s) => s.action!.name === step.action!.name && JSON.stringify(s.action!.args) === JSON.stringify(step.action!.args) && Buffer.from(s.state).equals(Buffer.from(step.state))
    )
    expect(found, `step ${k} (${step.action!.name})`).toBe(true)
  }
  const last = trace[trace.length - 1]!.state
  const before = trace[trace.length - 2]?.state
  const state = model.stateInvariants.find((i) => i.name === invariant)
  const step = model.stepInvariants.find((i) => i.name === invariant)
  expect(state ? state.holds(last) : step!.holds(before!, last)).toBe(false)
}

describe("check --simulate", () => {
  it.each([
    ["raftmongo", "elect-without-majority", {}],
    ["raftmongo", "commit-by-counting", {}],
    ["cdc", "checkpoint-before-apply", {}]
  ] as const)("finds what the exhaustive search finds: %s %s", async (name, variant, config) => {
    const model = build(name === "cdc" ? cdc : raftmongo, config, variant)
    const options: ExploreOptions = { workers: 1, symmetry: false, deadlock: false }
    const exhaustive = await explore(model, options, localDriver(model, options))
    expect(exhaustive.violation).not.toBeNull()
    const r = simulate(model, { runs: 20_000, depth: 60, seed: 1, ...invariantsOf(model) })
    expect(r.violation).not.toBeNull()
    const v = r.violation!
    expect(v.invariant).toBe(exhaustive.violation!.invariant)
    expectRunEndingIn(model, v.trace, v.invariant)
    expectRunEndingIn(model, v.shortened, v.invariant)
    // No walk reaches it in fewer steps than the shortest counterexample.
    expect(v.shortened.length).toBeGreaterThanOrEqual(exhaustive.violation!.trace.length)
    expect(v.shortened.length).toBeLessThanOrEqual(v.trace.length)
    expect(r.runs).toBe(v.run + 1)
    expect(v.seed).toBe(1 + v.run)
  })

  it("a violating run's seed walks it again alone, and a seed gives the same result every time", () => {
    const model = build(raftmongo, {}, "commit-by-counting")
    const options: SimulationOptions = { runs: 5_000, depth: 40, seed: 7, ...invariantsOf(model) }
    const first = simulate(model, options)
    const again = simulate(model, options)
    expect(again.violation!.trace).toEqual(first.violation!.trace)
    expect(again.coverage).toEqual(first.coverage)
    expect(first.violation!.run).toBeGreaterThan(0)
    const alone = simulate(model, { ...options, runs: 1, seed: first.violation!.seed })
    expect(alone.violation!.trace).toEqual(first.violation!.trace)
    expect(alone.violation!.run).toBe(0)
  })

  test.prop([fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 6 }), fc.constantFrom("base", "commit-by-counting")], { numRuns: 15 })(
    "cut into blocks walked separately and added in run order, the runs give the simulation's result",
    (sizes, variant) => {
      const model = build(raftmongo, {}, variant)
      const options = { depth: 30, seed: 11, ...invariantsOf(model) }
      const runs = sizes.reduce((a, b) => a + b, 0)
      const whole = simulate(model, { ...options, runs })
      const blocks: ChunkResult[] = []
      let first = 0
      for (const size of sizes) {
        const block = walkRuns(model, options, first, size)
        blocks.push(block)
        first += size
        if (block.violation) break
      }
      const { seconds: _a, ...together } = combine(model, blocks, 0, options)
      const { seconds: _b, ...alone } = whole
      expect(together).toEqual(alone)
    }
  )

  it("drops steps that the violation does not need", () => {
    const model = build(raftmongo, {}, "elect-without-majority")
    // Over seeds 1..20, at least one walk carries a step the violation does not need.
    const shortened = Array.from({ length: 20 }, (_, k) => simulate(model, { runs: 100, depth: 30, seed: k + 1, ...invariantsOf(model) }).violation!).filter((v) => v.shortened.length < v.trace.length)
    expect(shortened.length).toBeGreaterThan(0)
  })

  it("on the correct model reports no violation, takes every action, and counts every step", () => {
    const model = build(raftmongo, { servers: 3, maxTerm: 3, maxLogLen: 3, maxClientWriteSize: 2 }, "base")
    const r = simulate(model, { runs: 300, depth: 50, seed: 3, ...invariantsOf(model) })
    expect(r.violation).toBeNull()
    expect(r.runs).toBe(300)
    expect(r.coverage.reduce((sum, c) => sum + c.count, 0)).toBe(r.steps)
    expect(r.coverage.filter((c) => c.count === 0)).toEqual([])
    expect(r.longest).toBeLessThanOrEqual(50)
    expect(r.generated).toBeGreaterThan(r.steps)
  })

  it("a walk with nothing enabled is a deadlock when asked for, and ends early otherwise", () => {
    // x climbs by 1 to 3 and stops there: every walk deadlocks after three steps.
    const State = defineState(() => ({ x: global(uint(7)) }))
    const climb = defineProtocol({
      name: "climb",
      summary: "x climbs to 3 and stops",
      bounds: {},
      state: State,
      actions: () => [State.action("Climb").require((st) => st.x < 3, "top", "x is 3").then((t, _a, st) => void (t.x = st.x + 1))],
      invariants: () => [],
      base: "x' = x + 1 while x < 3"
    }).build({}, "base")
    const deadlocked = simulate(climb, { runs: 5, depth: 10, seed: 1, stateInvariants: [], stepInvariants: [], deadlock: true })
    expect(deadlocked.violation).toMatchObject({ invariant: "deadlock", kind: "deadlock", run: 0 })
    expect(deadlocked.violation!.trace.map((t) => t.action?.name ?? "init")).toEqual(["init", "Climb", "Climb", "Climb"])
    const free = simulate(climb, { runs: 5, depth: 10, seed: 1, stateInvariants: [], stepInvariants: [], deadlock: false })
    expect(free.violation).toBeNull()
    expect(free).toMatchObject({ runs: 5, steps: 15, endedEarly: 5, longest: 3 })
  })
})
