/**
 * Locality of the rollback coordinator (spec/adr/0001-deposed-primary-rollback.md, "What a server
 * knows"): each coordinator step of server i depends only on i's own variables, and RollbackPlan(i,
 * j) also on the log i fetches from j. Checked by functional dependence on reachable states: give
 * every other server the variables of some other reachable state (keeping i's, and j's log for a
 * plan) and the step must be enabled exactly as before, with the same effect on i and no effect on
 * anyone else. A guard that peeks at another server's role, term or view fails this.
 */
import { describe, expect, it } from "vitest"
import { successorsOf } from "../../../model/engine/path.js"
import { sampleReachable } from "../../support/reachable.js"
import { defineProtocol, type KitModel, type Protocol } from "../../../model/kit/index.js"
import { baseRules, raftMongoActions, type Rules } from "../../../model/protocols/raftmongo/actions.js"
import { raftMongoBounds, withinRaftBounds } from "../../../model/protocols/raftmongo/index.js"
import { isLeader } from "../../../model/protocols/raftmongo/state.js"
import { baseCoordinator, coordinatorActions, replicationActions, replicationRules, viewIsPlans } from "../../../model/protocols/rollback/actions.js"
import rollback from "../../../model/protocols/rollback/index.js"
import { resetCoordinator, RollbackState, type RollbackView } from "../../../model/protocols/rollback/state.js"

const COORDINATOR = ["RollbackPlan", "RollbackPersist", "RollbackPersistFails", "RollbackRecover", "RollbackTruncate", "RollbackAbort", "RollbackEmitEvent", "RollbackRejoin", "Crash", "RollbackResume"]
type Readable = Record<string, unknown>

/** The node variables of a readable state (arrays with one element per server). */
const nodeVariables = (model: KitModel) => model.layout.fields.filter((f) => f.scope === "node").map((f) => f.name)

/** Server i's steps of the coordinator from `s`, each as its arguments and i's variables after it. */
function localSteps(model: KitModel, s: Uint8Array, i: number, vars: readonly string[]): Map<string, string[]> {
  const before = model.codec.decode(s) as Readable
  const out = new Map<string, string[]>(COORDINATOR.map((n) => [n, []]))
  for (const t of successorsOf(model, s)) {
    const name = t.action!.name
    if (!out.has(name) || t.action!.args["i"] !== i) continue
    const after = model.codec.decode(t.state) as Readable
    // Nobody else's variables change.
    for (const v of vars) for (let k = 0; k < (after[v] as unknown[]).length; k++) if (k !== i - 1) expect((after[v] as unknown[])[k]).toEqual((before[v] as unknown[])[k])
    out.get(name)!.push(JSON.stringify([t.action!.args, vars.map((v) => (after[v] as unknown[])[i - 1])]))
  }
  for (const steps of out.values()) steps.sort()
  return out
}

function check(servers: number, config: Record<string, number>, cap: number, keep: number, protocol: Protocol = rollback) {
  const model = protocol.build({ ...protocol.defaults, servers, ...config })
  const vars = nodeVariables(model)
  // The mutant has the same state declaration, so the base model's states serve it too.
  const states = sample(`${servers} ${JSON.stringify(config)}`, () => sampleReachable(rollback.build({ ...rollback.defaults, servers, ...config }), { keep, cap, actions: COORDINATOR, bySymmetry: true }))
  const fired = new Map<string, number>()
  let enabled = 0
  for (let x = 0; x < states.length; x++) {
    const s = states[x]!
    const mine = model.codec.decode(s) as Readable
    const other = model.codec.decode(states[(x * 7919 + 13) % states.length]!) as Readable
    /** Every other server's variables from `other`: i's own from `s`, and j's log when j > 0. */
    const mixed = (i: number, j: number) => {
      const m: Readable = { ...other }
      for (const v of vars) {
        const values = [...(other[v] as unknown[])]
        values[i - 1] = (mine[v] as unknown[])[i - 1]
        if (j > 0 && v === "log") values[j - 1] = (mine[v] as unknown[])[j - 1]
        m[v] = values
      }
      const bytes = new Uint8Array(model.widthBytes)
      model.codec.encode(m, bytes)
      return bytes
    }
    for (let i = 1; i <= servers; i++) {
      const want = localSteps(model, s, i, vars)
      const got = localSteps(model, mixed(i, 0), i, vars)
      for (const name of COORDINATOR) {
        if (name === "RollbackPlan") continue
        expect(got.get(name), `${name}(i = ${i}) on state ${x}`).toEqual(want.get(name))
        if (want.get(name)!.length > 0) (enabled++, fired.set(name, (fired.get(name) ?? 0) + 1))
      }
      for (let j = 1; j <= servers; j++) {
        if (j === i) continue
        const plans = (m: Map<string, string[]>) => m.get("RollbackPlan")!.filter((t) => JSON.parse(t)[0].j === j)
        expect(plans(localSteps(model, mixed(i, j), i, vars)), `RollbackPlan(i = ${i}, j = ${j}) on state ${x}`).toEqual(plans(want))
        if (plans(want).length > 0) (enabled++, fired.set("RollbackPlan", (fired.get("RollbackPlan") ?? 0) + 1))
      }
    }
  }
  return { states: states.length, enabled, fired: Object.fromEntries(fired) }
}

const samples = new Map<string, Uint8Array[]>()
const sample = (key: string, make: () => Uint8Array[]) => samples.get(key) ?? (samples.set(key, make()), samples.get(key)!)

describe("every coordinator step reads only its server's variables (and a plan its source's log)", () => {
  it("at 3 servers (defaults)", () => {
    const r = check(3, {}, 60_000, 150)
    expect(r.states).toBeGreaterThan(1000)
    // Every step was compared where it is enabled, or the comparison would prove little.
    for (const name of COORDINATOR) expect(r.fired[name] ?? 0, name).toBeGreaterThan(4)
  })
  it("at 5 servers (MaxTerm 2, MaxLogLen 1)", () => {
    const r = check(5, { maxTerm: 2, maxLogLen: 1 }, 15_000, 30)
    expect(r.states).toBeGreaterThan(30)
    for (const name of COORDINATOR.filter((n) => n !== "RollbackAbort")) expect(r.fired[name] ?? 0, name).toBeGreaterThan(4)
  })
  it("and it catches a step that reads another server's state (the first model's check that the source really leads)", () => {
    expect(() => check(3, {}, 60_000, 150, peeking)).toThrow(/RollbackRecover|RollbackAbort/)
  })
})

/** The base model with the plan's check also reading whether the source really leads in the plan's term. */
const peeking = defineProtocol({
  name: "rollback-peeking",
  summary: "a mutant: the check of the plan reads the source's role and term",
  bounds: raftMongoBounds({ servers: 3, maxTerm: 3, maxLogLen: 2, maxClientWriteSize: 1 }),
  nodes: (b) => b.servers,
  state: RollbackState,
  rules: {
    replication: { ...(baseRules as Rules<RollbackView>), learnOnlyHigher: true },
    coordinator: {
      ...baseCoordinator,
      planStillCurrent: (s: RollbackView, i: number) => viewIsPlans(s, i) && isLeader(s, s.rollback.source(i)) && s.currentTerm(s.rollback.source(i)) === s.rollback.rejoinTerm(i)
    }
  },
  actions: (b, r) => [...replicationActions(raftMongoActions(b, replicationRules(r.replication, r.coordinator)) as never, r.coordinator), ...coordinatorActions(r.coordinator)],
  init: (s) => {
    for (let i = 1; i <= s.nodeCount; i++) resetCoordinator(s as never, i)
  },
  constraint: withinRaftBounds
})
