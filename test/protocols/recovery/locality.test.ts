/**
 * Locality of the recovery driver (spec/adr/0003-replica-recovery-driver.md, "What the model
 * sees"). Checked by functional dependence on reachable states:
 *
 * - a primary's own steps (planning, pins, completion, release, GC, snapshots, writes, a lost
 *   connection) depend only on the primary's variables: give every other node the variables of
 *   another reachable state and each step is enabled exactly as before, with the same effect on the
 *   primary and none on anyone else;
 * - the handshake's classification depends on the replica only through its report (its flushed LSN
 *   and its entry's epoch at min(flushed, committed)): change every other entry of the replica's
 *   log and the primary plans the same.
 *
 * A completion that looks at the replica's log instead of the session's progress fails the first.
 */
import { describe, expect, it } from "vitest"
import { successorsOf } from "../../../model/engine/path.js"
import { sampleReachable } from "../../support/reachable.js"
import { defineProtocol, nodes, replaceAction, type KitModel, type Protocol } from "../../../model/kit/index.js"
import { baseRecoveryRules, recoveryActions } from "../../../model/protocols/recovery/actions.js"
import recovery from "../../../model/protocols/recovery/index.js"
import { initRecovery, len, Phase, RecoveryState, View } from "../../../model/protocols/recovery/state.js"

const OWN = ["Write", "PinWal", "PinFails", "StartRebuild", "PlanRebuild", "Complete", "ReleaseSession", "Disconnect", "CollectWal", "TakeSnapshot"]
type Readable = Record<string, unknown>

/** The base model's reachable states at the defaults, sampled once per `keep` for the whole file. */
const samples = new Map<number, Uint8Array[]>()
const sampled = (keep: number) => samples.get(keep) ?? (samples.set(keep, sampleReachable(recovery.build(recovery.defaults), { keep })), samples.get(keep)!)

const nodeVariables = (model: KitModel) => model.layout.fields.filter((f) => f.scope === "node").map((f) => f.name)
const encode = (model: KitModel, state: Readable) => {
  const bytes = new Uint8Array(model.widthBytes)
  model.codec.encode(state, bytes)
  return bytes
}

/** Node p's steps among `actions` from `s`, each as its arguments and p's variables after it (checking, unless told, that nobody else's change). */
function stepsOf(model: KitModel, s: Uint8Array, p: number, actions: readonly string[], vars: readonly string[], othersMayChange = false): string[] {
  const before = model.codec.decode(s) as Readable
  const out: string[] = []
  for (const t of successorsOf(model, s)) {
    const { name, args } = t.action!
    if (!actions.includes(name) || args["p"] !== p) continue
    const after = model.codec.decode(t.state) as Readable
    if (!othersMayChange) for (const v of vars) for (let k = 0; k < (after[v] as unknown[]).length; k++) if (k !== p - 1) expect((after[v] as unknown[])[k], `${name} changes node ${k + 1}'s ${v}`).toEqual((before[v] as unknown[])[k])
    out.push(JSON.stringify([name, args, vars.map((v) => (after[v] as unknown[])[p - 1])]))
  }
  return out.sort()
}

function checkOwnSteps(protocol: Protocol, keep: number) {
  const model = protocol.build(protocol.defaults)
  const vars = nodeVariables(model)
  const states = sampled(keep)
  const fired = new Map<string, number>()
  states.forEach((s, x) => {
    const mine = model.codec.decode(s) as Readable
    const other = model.codec.decode(states[(x * 7919 + 13) % states.length]!) as Readable
    for (let p = 1; p <= model.layout.nodes; p++) {
      const mixed: Readable = { ...mine }
      for (const v of vars) mixed[v] = (other[v] as unknown[]).map((value, k) => (k === p - 1 ? (mine[v] as unknown[])[k] : value))
      const want = stepsOf(model, s, p, OWN, vars)
      expect(stepsOf(model, encode(model, mixed), p, OWN, vars), `node ${p}'s own steps on state ${x}`).toEqual(want)
      for (const step of want) fired.set(JSON.parse(step)[0], (fired.get(JSON.parse(step)[0]) ?? 0) + 1)
    }
  })
  return { states: states.length, fired }
}

describe("the recovery driver's locality", () => {
  it("a primary's own steps read only its own variables", () => {
    const { states, fired } = checkOwnSteps(recovery, 200)
    expect(states).toBeGreaterThan(1000)
    for (const name of OWN) expect(fired.get(name) ?? 0, name).toBeGreaterThan(10)
  })

  it("the handshake reads the replica only through its report", () => {
    const model = recovery.build(recovery.defaults)
    const vars = nodeVariables(model)
    const maxEpoch = recovery.defaults["maxEpoch"]!
    let compared = 0
    for (const s of sampled(200)) {
      const readable = model.codec.decode(s) as Readable
      const logs = readable["log"] as number[][]
      for (const t of successorsOf(model, s)) {
        if (t.action!.name !== "Handshake") continue
        const { p, r } = t.action!.args as { p: number; r: number }
        const checked = Math.min(logs[r - 1]!.length, (readable["committed"] as number[])[p - 1]!)
        // Another history with the same report: every entry but the checked one by another epoch.
        const altered = logs.map((log, k) => (k === r - 1 ? log.map((e, lsn) => (lsn + 1 === checked ? e : (e % maxEpoch) + 1)) : log))
        if (JSON.stringify(altered) === JSON.stringify(logs)) continue
        const alternative = encode(model, { ...readable, log: altered })
        // The primary's variables after the handshake, and the epoch the replica adopts.
        const planned = (from: Uint8Array) =>
          stepsOf(model, from, p, ["Handshake"], vars, true)
            .filter((x) => JSON.parse(x)[1].r === r)
            .map((x) => JSON.stringify([x, (model.codec.decode(successorsOf(model, from).find((u) => u.action!.name === "Handshake" && u.action!.args["p"] === p && u.action!.args["r"] === r)!.state) as Readable)["epoch"]]))
        expect(planned(alternative), `Handshake(p = ${p}, r = ${r})`).toEqual(planned(s))
        compared++
      }
    }
    expect(compared).toBeGreaterThan(50)
  })

  it("and it catches a completion that reads the replica's log instead of the session's progress", () => {
    expect(() => checkOwnSteps(peeking, 200)).toThrow(/Complete|own steps/)
  })
})

/** The base model but for a completion that asks the replica how far it is. */
const peeking = defineProtocol({
  name: "recovery-peeking",
  summary: "a mutant: completion reads the replica's log length",
  bounds: recovery.bounds as { replicas: { default: number; min: number; max: number; description: string }; maxLsn: { default: number; min: number; max: number; description: string }; maxEpoch: { default: number; min: number; max: number; description: string } },
  nodes: (b) => b.replicas + 1,
  state: RecoveryState,
  rules: baseRecoveryRules,
  actions: (b, rules) =>
    replaceAction(
      recoveryActions(b, rules),
      "Complete",
      RecoveryState.action("Complete")
        .exists("p", nodes)
        .exists("r", nodes)
        .require((s, a) => a.r !== a.p && s.sender.phase(a.p, a.r) === Phase.CatchingUp && !s.sender.invalidated(a.p, a.r), "wrong-phase", "no session to complete")
        .require((s, a) => len(s, a.r) === s.committed(a.p), "streaming", "the replica is behind")
        .then((t, a) => {
          t.sender.setPhase(a.p, a.r, Phase.None)
          t.sender.setView(a.p, a.r, View.InSync)
        })
    ),
  init: initRecovery
})
