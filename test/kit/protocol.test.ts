/**
 * defineProtocol: a variant is a diff of the base (rules, the action list, or another state
 * declaration); the checker's counts follow TLC's rules on what it builds; bad declarations and
 * bad bounds are refused with a message naming the problem.
 */
import { describe, expect, it } from "vitest"
import { explore, localDriver } from "../../model/engine/explorer.js"
import { between, defineProtocol, defineState, global, nodes, oneOf, perNode, replaceAction, uint } from "../../model/kit/index.js"
import rollback from "../../model/protocols/rollback/index.js"

const Light = oneOf("off", "on", "broken")
const State = defineState((b: { max: number }) => ({ light: perNode(Light), flips: global(uint(b.max + 1)) }))
const flip = (r: { limit: number }) =>
  State.action("Flip")
    .exists("i", nodes)
    .require((s, a) => s.light(a.i) !== Light.broken && s.flips < r.limit, "stuck", "light {i} is broken, or the flips ran out")
    .then((t, a, s) => {
      t.setLight(a.i, s.light(a.i) === Light.on ? Light.off : Light.on)
      t.flips = s.flips + 1
    })
const Break = State.action("Break")
  .exists("i", nodes)
  .then((t, a) => t.setLight(a.i, Light.broken))
const DimLight = oneOf("off", "on", "broken", "dim")
const DimState = defineState((b: { max: number }) => ({ light: perNode(DimLight), flips: global(uint(b.max + 1)) }))
const Dim = DimState.action("Dim")
  .exists("i", nodes)
  .require((s, a) => s.light(a.i) === DimLight.on, "not-on", "light {i} is not on")
  .then((t, a) => t.setLight(a.i, DimLight.dim))
const lights = defineProtocol({
  name: "lights",
  summary: "lights flip until they break",
  bounds: { n: { default: 2, min: 1, max: 4, description: "lights" }, max: { default: 3, min: 1, max: 9, description: "flips" } },
  nodes: (b) => b.n,
  state: State,
  rules: { limit: 3 },
  actions: (_b, r) => [flip(r)],
  constraint: (s, b) => s.flips <= b.max,
  invariants: (_b, r) => [State.invariant("FewFlips", "at most limit flips", (s) => s.flips <= r.limit)],
  variants: [
    { name: "more-flips", summary: "the limit is one more", rules: (r) => ({ ...r, limit: r.limit + 1 }) },
    { name: "breakable", summary: "a light can break", actions: (acts) => [...acts, Break] },
    { name: "unbreakable", summary: "no flips at all", actions: (acts) => replaceAction(acts, "Flip") },
    // A value the base lacks: a light that can also be dimmed, and a step that dims it.
    { name: "dimmable", summary: "a light can be dimmed", state: DimState, actions: (acts) => [...acts, Dim] }
  ]
})
const run = async (variant: string, config = { n: 2, max: 3 }) => {
  const model = lights.build(config, variant)
  const options = { workers: 1, symmetry: false, deadlock: false }
  return explore(model, options, localDriver(model, options))
}

describe("variants", () => {
  it("list the base first, then each variant", () => {
    expect(lights.variants.map((v) => v.name)).toEqual(["base", "more-flips", "breakable", "unbreakable", "dimmable"])
  })
  it("change rules, and the invariants see the variant's rules", async () => {
    const base = await run("base")
    expect([base.violation, base.depth]).toEqual([null, 4])
    // Four flips: over the constraint (max 3), so checked but not explored; the invariant reads limit 4.
    const more = await run("more-flips")
    expect(more.violation).toBeNull()
    expect(more.generated).toBeGreaterThan(base.generated)
  })
  it("add, drop and split actions", async () => {
    expect(lights.build({ n: 2, max: 3 }, "breakable").families.map((f) => f.name)).toEqual(["Flip", "Break"])
    expect((await run("unbreakable")).distinct).toBe(1)
    // The rollback variant that truncates the log first: its own two recovery steps in the place of
    // RollbackRecover, and neither RollbackTruncate nor RollbackAbort.
    const names = (v: string) => rollback.build(rollback.defaults, v).families.map((f) => f.name)
    const reordered = names("truncate-before-restoring-keys")
    const base = names("base")
    const k = base.indexOf("RollbackRecover")
    expect(reordered.slice(k, k + 2)).toEqual(["RollbackRecover", "RollbackRestoreKeys"])
    expect([...reordered.slice(0, k + 1), ...reordered.slice(k + 2)]).toEqual(base.filter((a) => a !== "RollbackTruncate" && a !== "RollbackAbort"))
  })
  it("may use another state declaration (a value the base lacks)", async () => {
    const model = lights.build({ n: 2, max: 3 }, "dimmable")
    const lightType = model.layout.fields.find((f) => f.name === "light")!.type as unknown as { names: string[] }
    expect(lightType.names).toEqual(["off", "on", "broken", "dim"])
    // Dimmed lights are states the base cannot reach.
    expect((await run("dimmable")).distinct).toBeGreaterThan((await run("base")).distinct)
  })
})

describe("refusals", () => {
  it.each([
    [() => lights.build({ n: 2, max: 3 }, "nope"), /lights has no variant nope \(variants: base, more-flips, breakable, unbreakable, dimmable\)/],
    [() => lights.build({ n: 2 }), /lights: bound max is missing/],
    [() => lights.build({ n: 2, max: 3 }, "base", { symmetry: true }), /lights declares no symmetry/],
    [() => defineProtocol({ name: "x", summary: "", bounds: {}, state: State as never, actions: () => [] }).build({ max: 1 } as never), /the state has node variables, so the protocol must say how many nodes there are/],
    [() => defineProtocol({ name: "x", summary: "", bounds: {}, state: State as never, actions: () => [], variants: [{ name: "base", summary: "" }] }), /variant base is declared twice \(or is named base\)/]
  ])("%#", (make, message) => {
    expect(make).toThrow(message)
  })
})

describe("counts follow TLC's rules", () => {
  it("counts each witness of an exists as a successor", async () => {
    const S = defineState(() => ({ x: global(uint(9)) }))
    const p = defineProtocol({
      name: "witness",
      summary: "",
      bounds: {},
      state: S,
      actions: () => [S.action("Inc").exists("y", between(1, 2)).then((t, _a, s) => void (t.x = s.x + 1))],
      constraint: (s) => s.x <= 3
    })
    const model = p.build({})
    const options = { workers: 1, symmetry: false, deadlock: false }
    const r = await explore(model, options, localDriver(model, options))
    expect([r.generated, r.distinct, r.depth]).toEqual([9, 4, 4])
  })
})

describe("buffers shared by every model of a thread", () => {
  it("let searches of different models run interleaved (concurrent promises) with the same results", async () => {
    const options = { workers: 1, symmetry: false, deadlock: false }
    const search = (model: ReturnType<typeof lights.build>) => explore(model, options, localDriver(model, options))
    // Each search awaits between BFS levels, so Promise.all interleaves their levels.
    const runs = [
      () => search(lights.build({ n: 3, max: 4 }, "breakable")),
      () => search(rollback.build({ ...rollback.defaults, maxTerm: 2, maxLogLen: 1 })),
      () => search(lights.build({ n: 4, max: 3 }))
    ]
    const together = await Promise.all(runs.map((r) => r()))
    const separately = []
    for (const r of runs) separately.push(await r())
    expect(together.map((x) => [x.generated, x.distinct, x.depth])).toEqual(separately.map((x) => [x.generated, x.distinct, x.depth]))
  })
})
