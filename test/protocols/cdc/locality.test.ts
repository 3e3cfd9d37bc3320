/**
 * Locality of the cdc model (spec/adr/0004-change-stream-rollback.md, "What the model sees"),
 * checked by functional dependence on reachable states:
 *
 * - each consumer step reads of the copies only what a real consumer is sent or can ask for: the
 *   stream request's answer reads the active's failover log and high seqno; a snapshot marker, the
 *   source's high seqno and where its snapshots end; a mutation, the source's storage; the
 *   mitigation's observation, each copy's persisted seqno, UUID, whether it is up and whether the
 *   cluster map still lists it. Give every other copy variable another state's values and the step
 *   is enabled exactly as before, with the same effect, and changes no copy;
 * - the copies' steps never read the consumer: give the consumer another state's variables and
 *   each copy step is enabled as before with the same effect on the copies (a crash of the
 *   stream's source closes the stream: the connection breaks, the one write they make there).
 *
 * A mitigation that asks a copy for more than observe-seqno reports fails the first.
 */
import { describe, expect, it } from "vitest"
import { successorsOf } from "../../../model/engine/path.js"
import { sampleReachable } from "../../support/reachable.js"
import { defineProtocol, replaceAction, type KitModel, type Protocol } from "../../../model/kit/index.js"
import { baseCdcRules, cdcActions } from "../../../model/protocols/cdc/actions.js"
import cdc from "../../../model/protocols/cdc/index.js"
import { branchOf, CdcState, initCdc, type CdcBounds } from "../../../model/protocols/cdc/state.js"
import { cdcInvariants } from "../../../model/protocols/cdc/invariants.js"

type Readable = Record<string, unknown>

/** What each consumer step may read of the copies (besides `active`, the cluster map's active, which is global). */
const CONSUMER_READS: Record<string, readonly string[]> = {
  OpenStream: ["role", "failoverLog", "high"],
  SnapshotMarker: ["high", "ends"],
  Receive: ["stored"],
  Apply: [],
  SaveCheckpoint: [],
  ConnectionLost: [],
  ConsumerRestart: [],
  Observe: ["role", "failedOver", "failoverLog", "persisted"]
}
const COPY_STEPS = ["Write", "ReplicaHandshake", "ReplicaMarker", "ReplicaReceive", "Persist", "Crash", "Restart", "Failover"]

const samples = new Map<Protocol, Uint8Array[]>()
const sampled = (protocol: Protocol) => samples.get(protocol) ?? (samples.set(protocol, sampleReachable(protocol.build(protocol.defaults), { keep: 150 })), samples.get(protocol)!)

const encode = (model: KitModel, state: Readable) => {
  const bytes = new Uint8Array(model.widthBytes)
  model.codec.encode(state, bytes)
  return bytes
}
const copyVariables = (model: KitModel) => model.layout.fields.filter((f) => f.scope === "node").map((f) => f.name)
const consumerVariables = (model: KitModel) => model.layout.fields.filter((f) => f.scope === "global" && f.name !== "active" && f.name !== "branches").map((f) => f.name)
const pick = (state: Readable, names: readonly string[]) => Object.fromEntries(names.map((n) => [n, state[n]]))

/** The steps named `actions` from `s`: each as its arguments and the listed variables after it. */
function steps(model: KitModel, s: Uint8Array, actions: readonly string[], after: readonly string[]): string[] {
  return successorsOf(model, s)
    .filter((t) => actions.includes(t.action!.name))
    .map((t) => JSON.stringify([t.action!.name, t.action!.args, pick(model.codec.decode(t.state) as Readable, after)]))
    .sort()
}

function checkConsumerSteps(protocol: Protocol) {
  const model = protocol.build(protocol.defaults)
  const copies = copyVariables(model)
  const states = sampled(cdc)
  const fired = new Map<string, number>()
  states.forEach((s, x) => {
    const mine = model.codec.decode(s) as Readable
    const other = model.codec.decode(states[(x * 7919 + 13) % states.length]!) as Readable
    for (const [name, reads] of Object.entries(CONSUMER_READS)) {
      const mixed: Readable = { ...mine }
      for (const v of copies) if (!reads.includes(v)) mixed[v] = other[v]
      const want = steps(model, s, [name], [...consumerVariables(model), ...copies])
      // The same consumer effect, and the copies as they were in each state.
      const strip = (list: string[], copiesBefore: Readable) =>
        list.map((step) => {
          const [n, args, vars] = JSON.parse(step) as [string, unknown, Readable]
          for (const v of copies) expect(vars[v], `${n} changes the copies' ${v}`).toEqual(copiesBefore[v])
          return JSON.stringify([n, args, pick(vars, consumerVariables(model))])
        })
      const got = strip(steps(model, encode(model, mixed), [name], [...consumerVariables(model), ...copies]), mixed)
      expect(got, `${name} on state ${x} with other copy variables`).toEqual(strip(want, mine))
      if (want.length > 0) fired.set(name, (fired.get(name) ?? 0) + 1)
    }
  })
  return { states: states.length, fired }
}

describe("the cdc model's locality", () => {
  it("the consumer's steps read of the copies only what it is sent or observes", () => {
    const { states, fired } = checkConsumerSteps(cdc)
    expect(states).toBeGreaterThan(1000)
    for (const name of Object.keys(CONSUMER_READS)) expect(fired.get(name) ?? 0, name).toBeGreaterThan(10)
  })

  it("the copies' steps never read the consumer", () => {
    const model = cdc.build(cdc.defaults)
    const copies = copyVariables(model)
    const consumer = consumerVariables(model)
    const states = sampled(cdc)
    let compared = 0
    states.forEach((s, x) => {
      const mine = model.codec.decode(s) as Readable
      const other = model.codec.decode(states[(x * 104729 + 7) % states.length]!) as Readable
      const mixed: Readable = { ...mine, ...pick(other, consumer) }
      const ofCopies = (from: Uint8Array) => steps(model, from, COPY_STEPS, [...copies, "active", "branches"])
      expect(ofCopies(encode(model, mixed)), `copy steps on state ${x} with another consumer`).toEqual(ofCopies(s))
      for (const t of successorsOf(model, encode(model, mixed))) {
        if (!COPY_STEPS.includes(t.action!.name)) continue
        const after = model.codec.decode(t.state) as Readable
        for (const v of consumer) if (v !== "stream") expect(after[v], `${t.action!.name} changes the consumer's ${v}`).toEqual(mixed[v])
        compared++
      }
    })
    expect(compared).toBeGreaterThan(1000)
  })

  it("and it catches a mitigation that reads each copy's persisted snapshot, which observe-seqno does not report", () => {
    expect(() => checkConsumerSteps(peeking)).toThrow(/Observe/)
  })
})

/** The base model but for an observation that asks each copy where its persisted snapshot started. */
const peeking = defineProtocol({
  name: "cdc-peeking",
  summary: "a mutant: the mitigation reads each copy's persisted snapshot",
  bounds: cdc.bounds as Record<keyof CdcBounds, { default: number; min: number; max: number; description: string }>,
  nodes: (b) => b.replicas + 1,
  state: CdcState,
  rules: baseCdcRules,
  actions: (b, rules) =>
    replaceAction(
      cdcActions(b, rules),
      "Observe",
      CdcState.action("Observe")
        .let("safe", (s) => {
          let min = b.maxSeqno
          for (let c = 1; c <= s.nodeCount; c++) min = Math.min(min, s.persisted(c) === s.persistedSnapshot.end(c) ? s.persisted(c) : s.persistedSnapshot.start(c) - 1)
          return Math.max(min, 0)
        })
        .require((s, a) => a.safe > s.persistView || branchOf(s, 1) !== s.persistViewBranch, "no-news", "nothing new")
        .then((t, a, s) => {
          t.persistView = a.safe
          t.persistViewBranch = branchOf(s, 1)
        })
    ),
  init: initCdc,
  invariants: (b) => cdcInvariants(b.maxSeqno, b.keys)
})
