/**
 * Actions: every choice that passes every guard is one successor, in the order of the chain's
 * loops; the arguments come out in the order traces show them; and the explanation of a disabled
 * action is the deepest guard that failed, produced by rerunning the same chain.
 */
import { describe, expect, it } from "vitest"
import { successorsOf } from "../../model/engine/path.js"
import { between, defineProtocol, defineState, extendAction, global, nodes, nodeSets, perNode, subsetsOf, uint, countNodes } from "../../model/kit/index.js"

const State = defineState(() => ({ x: perNode(uint(9)), total: global(uint(255)) }))

const Bump = State.action("Bump")
  .exists("i", nodes)
  .require((s, a) => s.x(a.i) < 3, "too-big", (s, a) => `node ${a.i} is at ${s.x(a.i)}`)
  .exists("by", between((s, a) => s.x(a.i) + 1, 3), ["nothing-left", "node {i} has nowhere to go"])
  .then((t, a) => t.setX(a.i, a.by))
const Vote = State.action("Vote")
  .exists("i", nodes)
  .let("allowed", (s) => {
    let m = 0
    for (let j = 1; j <= s.nodeCount; j++) if (s.x(j) > 0) m |= 1 << (j - 1)
    return m
  })
  .exists("voters", subsetsOf((_s, a) => a.allowed), ["nobody", "no node may vote"])
  .require((_s, a) => countNodes(a.voters) >= 2, "too-few", (_s, _a, given) => (given.has("voters") ? "those are too few voters" : "no two nodes may vote"))
  .showArgs("voters", "i")
  .then((t, a) => void (t.total = (t.total + a.voters) & 255))
const Sweep = State.action("Sweep")
  .exists("mask", nodeSets)
  .require((_s, a) => a.mask === 0b101, "not-that-one", "only {1, 3}")
  .then((t) => void (t.total = 99))

const protocol = defineProtocol({
  name: "toy",
  summary: "a toy for the action tests",
  bounds: { n: { default: 3, min: 1, max: 4, description: "nodes" } },
  nodes: (b) => b.n,
  state: State,
  actions: () => [Bump, Vote, Sweep]
})
const model = protocol.build({ n: 3 })
const layout = model.layout
const stateOf = (x: number[]) => {
  const b = new Uint8Array(model.widthBytes)
  layout.encode({ x, total: 0 }, b)
  return b
}
const steps = (x: number[]) => successorsOf(model, stateOf(x)).map((s) => `${s.action!.name}${JSON.stringify(s.action!.args, (_, v) => (v instanceof Set ? [...v] : v))}`)

describe("successors", () => {
  it("are every passing choice, in the chain's loop order, with arguments in the shown order", () => {
    expect(steps([0, 2, 3])).toEqual([
      'Bump{"i":1,"by":1}',
      'Bump{"i":1,"by":2}',
      'Bump{"i":1,"by":3}',
      'Bump{"i":2,"by":3}',
      // subsetsOf ascends over the submasks of {2, 3}, and traces show voters first.
      'Vote{"voters":[2,3],"i":1}',
      'Vote{"voters":[2,3],"i":2}',
      'Vote{"voters":[2,3],"i":3}',
      'Sweep{"mask":[1,3]}'
    ])
  })

  it("declare what each parameter is", () => {
    expect(model.families.map((f) => [f.name, f.params, f.paramKinds])).toEqual([
      ["Bump", ["i", "by"], ["node", "int"]],
      ["Vote", ["voters", "i"], ["nodeSet", "node"]],
      ["Sweep", ["mask"], ["nodeSet"]]
    ])
  })
})

describe("explanations", () => {
  const explain = (name: string, x: number[], args: Record<string, unknown>) => model.families.find((f) => f.name === name)!.explain!(stateOf(x), args)
  it("are null exactly when some instance with these arguments is enabled", () => {
    expect(explain("Bump", [0, 2, 3], {})).toBeNull()
    expect(explain("Bump", [0, 2, 3], { i: 2, by: 3 })).toBeNull()
  })
  it("name the guard that failed, with its arguments", () => {
    expect(explain("Bump", [0, 2, 3], { i: 3 })).toEqual({ code: "too-big", message: "node 3 is at 3" })
  })
  it("report the deepest failure over all choices", () => {
    // Node 1 fails the first guard; nodes 2 and 3 get further (an empty domain of `by`, at x = 3).
    expect(explain("Bump", [3, 3, 3], {})).toEqual({ code: "too-big", message: "node 1 is at 3" })
    expect(explain("Bump", [9, 2, 9], { by: 2 })).toEqual({ code: "not-a-choice", message: "by = 2 is not among its possible values here" })
  })
  it("say when a domain is empty, in the action's own words", () => {
    expect(explain("Vote", [0, 0, 0], { i: 1 })).toEqual({ code: "too-few", message: "no two nodes may vote" })
    expect(explain("Vote", [0, 1, 1], { i: 1, voters: [1] })).toEqual({ code: "not-a-choice", message: "voters = {1} is not among its possible values here" })
    expect(explain("Vote", [1, 1, 0], { i: 1, voters: [1] })).toEqual({ code: "too-few", message: "those are too few voters" })
  })
  it("take node sets as arrays of ids", () => {
    expect(explain("Sweep", [0, 0, 0], { mask: [1, 3] })).toBeNull()
    expect(explain("Sweep", [0, 0, 0], { mask: [2] })).toEqual({ code: "not-that-one", message: "only {1, 3}" })
  })
})

describe("extendAction", () => {
  // Bump extended as another protocol would reuse it: only even targets, and the total counts bumps.
  const extended = extendAction([Bump, Vote, Sweep], "Bump", {
    require: [[(_s, a) => a.by % 2 === 0, "odd", "node {i} would go to an odd value"]],
    then: (t) => void (t.total = t.total + 1)
  })
  const toy = defineProtocol({
    name: "toy-extended",
    summary: "",
    bounds: { n: { default: 3, min: 1, max: 4, description: "nodes" } },
    nodes: (b) => b.n,
    state: State,
    actions: () => extended
  })
  const m = toy.build({ n: 3 })
  const start = (x: number[]) => {
    const b = new Uint8Array(m.widthBytes)
    m.layout.encode({ x, total: 0 }, b)
    return b
  }
  it("keeps the action's place and its own guards and effect, and adds the new ones after them", () => {
    expect(m.families.map((f) => f.name)).toEqual(["Bump", "Vote", "Sweep"])
    const bumps = successorsOf(m, start([0, 2, 3])).filter((s) => s.action!.name === "Bump")
    expect(bumps.map((s) => [s.action!.args, m.codec.decode(s.state)])).toEqual([[{ i: 1, by: 2 }, { x: [2, 2, 3], total: 1 }]])
  })
  it("explains a failure of an added guard by its own code and message", () => {
    const explainBump = m.families.find((f) => f.name === "Bump")!.explain!
    expect(explainBump(start([0, 2, 3]), { i: 1, by: 2 })).toBeNull()
    expect(explainBump(start([0, 2, 3]), { i: 1, by: 3 })).toEqual({ code: "odd", message: "node 1 would go to an odd value" })
    expect(explainBump(start([2, 3, 3]), { i: 1 })).toEqual({ code: "odd", message: "node 1 would go to an odd value" })
    // The action's own guard still comes first.
    expect(explainBump(start([0, 2, 3]), { i: 3 })).toEqual({ code: "too-big", message: "node 3 is at 3" })
  })
  it("refuses an action the list does not have", () => {
    expect(() => extendAction([Bump], "Nope", {})).toThrow(/no action Nope \(actions: Bump\)/)
  })
})

describe("declaration errors", () => {
  it("refuses more than four parameters, and showArgs that does not name each once", () => {
    const five = State.action("Five").exists("a", nodes).exists("b", nodes).exists("c", nodes).exists("d", nodes).exists("e", nodes)
    expect(() => five.then(() => {})).toThrow(/at most 4 choices/)
    expect(() => State.action("X").exists("a", nodes).exists("b", nodes).showArgs("a").then(() => {})).toThrow(/showArgs must name each choice once/)
  })
  it("refuses two actions of one name", () => {
    const p = defineProtocol({ name: "twice", summary: "", bounds: {}, nodes: () => 1, state: State, actions: () => [Bump, Bump] })
    expect(() => p.build({})).toThrow(/two actions are named Bump/)
  })
})
