/**
 * Liveness under fairness (model/engine/liveness.ts). Verdicts on the mutex example match TLC's
 * (spec/examples/Mutex.tla, TLC 2.x, 2026-12-04: at N = 3, 20 distinct states; Spec, with
 * SF(Enter(i)), satisfies WaitingEntersCritical; SpecWeakEnter, with WF(Enter(i)), violates it).
 * Every lasso the checker returns is checked here independently of it: a run of the model from an
 * initial state, closed by a real step (or stuttering), fair by the definitions of WF and SF
 * recomputed from the model's successors, and never meeting Q after P.
 */
import { describe, expect, it } from "vitest"
import { checkLiveness, LivenessGraphTooLarge, type Lasso } from "../../model/engine/liveness.js"
import { successorsOf } from "../../model/engine/path.js"
import { defineProtocol, defineState, global, uint, type KitModel, type Protocol } from "../../model/kit/index.js"
import mutex from "../../model/protocols/examples/mutex.js"

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, k) => x === b[k])

/** The model's non-stuttering steps from a state, with their action and first argument. */
const stepsFrom = (model: KitModel, state: Uint8Array) => successorsOf(model, state).filter((t) => model.constraint(t.state) && !same(t.state, state))

/** Checks a lasso against the model and the fairness, without the checker's graph. */
function expectFairLasso(model: KitModel, lasso: Lasso, q: (s: Uint8Array) => boolean) {
  const states = lasso.steps.map((s) => s.state)
  expect(same(states[0]!, Uint8Array.from({ length: model.widthBytes }, (_, k) => model.initialStates()[0]![k] ?? 0))).toBe(true)
  for (let k = 1; k < states.length; k++) {
    const step = stepsFrom(model, states[k - 1]!).find((t) => same(t.state, states[k]!) && t.action!.name === lasso.steps[k]!.action!.name)
    expect(step, `state ${k + 1} follows state ${k}`).toBeDefined()
  }
  const loop = states.slice(lasso.loop)
  // The loop's steps, the closing one included (none when it stutters).
  const loopSteps = loop.slice(1).map((s, k) => ({ from: loop[k]!, to: s, action: lasso.steps[lasso.loop + k + 1]!.action! }))
  if (lasso.back) {
    expect(stepsFrom(model, states.at(-1)!).some((t) => same(t.state, states[lasso.loop]!) && t.action!.name === lasso.back!.name)).toBe(true)
    loopSteps.push({ from: states.at(-1)!, to: states[lasso.loop]!, action: lasso.back })
  } else expect(loop).toHaveLength(1)
  // Q never holds in the loop.
  for (const s of loop) expect(q(s)).toBe(false)
  // Each fairness condition: WF met if taken in the loop or disabled in one of its states; SF if taken or disabled in all.
  const fairness = model.fairness!
  for (const [refs, strong] of [[fairness.weak, false], [fairness.strong, true]] as const) {
    for (const { family, perNode } of refs) {
      const name = model.families[family]!.name
      for (const node of perNode ? Array.from({ length: model.nodeCount! }, (_, k) => k + 1) : [0]) {
        const fits = (a: { name: string; args: Record<string, unknown> }) => a.name === name && (node === 0 || Object.values(a.args)[0] === node)
        const taken = loopSteps.some((s) => fits(s.action))
        const disabled = loop.map((s) => !stepsFrom(model, s).some((t) => fits(t.action!)))
        const ok = taken || (strong ? disabled.every(Boolean) : disabled.some(Boolean))
        expect(ok, `${strong ? "SF" : "WF"}(${name}${node ? `(${node})` : ""}) in the loop`).toBe(true)
      }
    }
  }
}

describe("liveness: mutex's WaitingEntersCritical", () => {
  it.each([2, 3, 4])("holds under SF(Enter(i)) with %i processes (TLC agrees at 3)", (processes) => {
    const r = checkLiveness((mutex as Protocol).build({ processes }) as KitModel)
    expect(r.properties).toEqual([expect.objectContaining({ name: "WaitingEntersCritical", holds: true, lasso: null })])
    if (processes === 3) expect(r.states).toBe(20)
  })

  it.each([
    ["weak-enter", 2],
    ["weak-enter", 3],
    ["exit-keeps-lock", 2],
    ["exit-keeps-lock", 3]
  ])("fails in %s with %i processes, with a fair lasso in which the process never enters (TLC agrees on weak-enter at 3)", (variant, processes) => {
    const model = (mutex as Protocol).build({ processes }, variant) as KitModel
    const [p] = checkLiveness(model).properties
    expect(p!.holds).toBe(false)
    const lasso = p!.lasso!
    expect(lasso.node).not.toBeNull()
    const node = lasso.node!
    const pcOf = (s: Uint8Array) => (model.codec.decode(s) as { pc: string[] }).pc[node - 1]
    expectFairLasso(model, lasso, (s) => pcOf(s) === "critical")
    // The process is waiting when the loop starts (P, and never Q after it).
    expect(pcOf(lasso.steps[lasso.loop]!.state)).toBe("waiting")
  })

  it("exit-keeps-lock's lasso ends stuttering: nothing fair is enabled with the lock kept", () => {
    const model = (mutex as Protocol).build({ processes: 2 }, "exit-keeps-lock") as KitModel
    const lasso = checkLiveness(model).properties[0]!.lasso!
    expect(lasso.back).toBeNull()
    expect(lasso.loop).toBe(lasso.steps.length - 1)
  })
})

/** A counter that climbs to 3 unless Reset sends it back from 2 to 0. */
const State = defineState(() => ({ x: global(uint(3)) }))
const climb = (fairness: { weak?: string[]; strong?: string[] }, withReset: boolean) =>
  defineProtocol({
    name: "climb",
    summary: "x climbs to 3; Reset sends it back from 2",
    bounds: {},
    state: State,
    actions: () => [
      State.action("Inc").require((s) => s.x < 3, "top", "x is 3").then((t, _a, s) => void (t.x = s.x + 1)),
      ...(withReset ? [State.action("Reset").require((s) => s.x === 2, "not-two", "x is not 2").then((t) => void (t.x = 0))] : [])
    ],
    liveness: () => [State.eventually("ReachesTop", "x eventually reaches 3", (s) => s.x === 3), State.leadsTo("TwoLeadsToTop", "x = 2 ~> x = 3", (s) => s.x === 2, (s) => s.x === 3)],
    fairness: () => fairness
  }).build({}) as KitModel

describe("liveness: eventually, leads-to and fairness on a hand-made model", () => {
  it("without fairness a behavior may stop anywhere: both fail, stuttering in the first state that lacks Q", () => {
    const r = checkLiveness(climb({}, false))
    expect(r.fairness).toEqual([])
    for (const p of r.properties) expect(p.lasso!.back).toBeNull()
    expect(r.properties.map((p) => p.lasso!.steps.length)).toEqual([1, 3])
  })

  it("WF(Inc) makes both hold when nothing sends x back", () => {
    expect(checkLiveness(climb({ weak: ["Inc"] }, false)).properties.map((p) => p.holds)).toEqual([true, true])
  })

  it("with Reset, x can cycle 0 -> 1 -> 2 -> 0 for ever under WF and SF of Inc, and of Reset", () => {
    for (const fairness of [{ weak: ["Inc"] }, { strong: ["Inc"] }, { weak: ["Inc", "Reset"] }]) {
      const model = climb(fairness, true)
      const r = checkLiveness(model)
      expect(r.properties.map((p) => p.holds)).toEqual([false, false])
      for (const p of r.properties) {
        expectFairLasso(model, p.lasso!, (s) => s[0] === 3)
        const l = p.lasso!
        const loopActions = [...l.steps.slice(l.loop + 1).map((s) => s.action!.name), l.back?.name]
        expect(loopActions).toContain("Reset")
      }
    }
  })

  it("names the property and the fairness it cannot resolve", () => {
    expect(() => checkLiveness(climb({ weak: ["Inc"] }, false), { properties: ["Nope"] })).toThrow(/unknown temporal property Nope \(climb declares: ReachesTop, TwoLeadsToTop\)/)
    expect(() => climb({ weak: ["Jump"] }, false)).toThrow(/fairness names Jump, which is no action \(actions: Inc\)/)
    expect(() => climb({ weak: ["Inc(i)"] }, false)).toThrow(/Inc's first argument is not a node named i/)
  })

  it("refuses a graph past its limit", () => {
    expect(() => checkLiveness((mutex as Protocol).build({ processes: 4 }) as KitModel, { limit: 10 })).toThrow(LivenessGraphTooLarge)
  })
})
