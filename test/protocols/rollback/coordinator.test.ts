/** The rollback coordinator's steps on hand-built states (spec/adr/0001-deposed-primary-rollback.md). */
import { describe, expect, it } from "vitest"
import { successorsOf } from "../../../model/engine/path.js"
import rollback from "../../../model/protocols/rollback/index.js"
import type { ReadableRollbackState as RollbackState } from "../../../model/protocols/rollback/state.js"

const config = { servers: 3, maxTerm: 3, maxLogLen: 2, maxClientWriteSize: 1 }
const model = rollback.build(config, "base")

type Server = { term?: number; leader?: boolean; cp?: [number, number]; log?: number[]; rollback?: Partial<RollbackState["rollback"][number]>; files?: Array<[number, number]> }

function state(servers: Server[], committed: Array<[number, number]> = []): Uint8Array {
  const s: RollbackState = {
    committedEntries: committed.map(([term, index]) => ({ term, index })),
    currentTerm: servers.map((x) => x.term ?? 0),
    state: servers.map((x) => (x.leader ? "Leader" : "Follower")),
    commitPoint: servers.map((x) => ({ term: x.cp?.[0] ?? 0, index: x.cp?.[1] ?? 0 })),
    log: servers.map((x) => (x.log ?? []).map((term) => ({ term }))),
    rollback: servers.map((x, i) => ({ phase: "Idle", source: i + 1, commonPoint: 0, watermark: 0, rejoinTerm: 0, ...x.rollback })),
    rollbackFiles: servers.map((x) => (x.files ?? []).map(([term, index]) => ({ term, index })))
  }
  const bytes = new Uint8Array(model.widthBytes)
  model.codec.encode(s, bytes)
  return bytes
}

const fire = (bytes: Uint8Array, action: string) =>
  successorsOf(model, bytes)
    .filter((s) => s.action!.name === action)
    .map((s) => ({ args: s.action!.args, state: model.codec.decode(s.state) as RollbackState }))

// Server 1 was primary of term 1 and wrote <<1, 1>>; server 2 leads term 2 with <<1, 2>>.
const deposed = (cp: [number, number] = [0, 0]) => state([{ term: 2, log: [1, 1], cp }, { term: 2, leader: true, log: [1, 2] }, { term: 2, log: [1] }])

describe("RollbackPlan", () => {
  it("plans against the primary: common point where the logs last agree, watermark, rejoin term", () => {
    const plans = fire(deposed([1, 1]), "RollbackPlan")
    expect(plans.map((p) => p.args)).toEqual([{ i: 1, j: 2 }])
    expect(plans[0]!.state.rollback[0]).toEqual({ phase: "Planned", source: 2, commonPoint: 1, watermark: 1, rejoinTerm: 2 })
  })

  it("refuses, removing nothing, when the common point is below the watermark", () => {
    expect(fire(deposed([1, 2]), "RollbackPlan")).toEqual([])
  })

  it("does not plan against a follower or a primary of an older term", () => {
    const s = state([{ term: 3, log: [1, 1] }, { term: 2, leader: true, log: [1, 2] }, { term: 2, log: [2] }])
    expect(fire(s, "RollbackPlan")).toEqual([])
  })
})

describe("persist, recover, emit, rejoin, crash", () => {
  const planned = (phase: RollbackState["rollback"][number]["phase"], term = 2, files: Array<[number, number]> = []) =>
    state(
      [
        { term, log: [1, 1], rollback: { phase, source: 2, commonPoint: 1, watermark: 1, rejoinTerm: 2 }, files },
        { term: 2, leader: true, log: [1, 2] },
        { term: 2, log: [1] }
      ],
      [[1, 1]]
    )

  it("RollbackPersist saves the divergent tail to the rollback files", () => {
    const [out] = fire(planned("Planned"), "RollbackPersist")
    expect(out!.state.rollbackFiles[0]).toEqual([{ term: 1, index: 2 }])
    expect(out!.state.rollback[0]!.phase).toBe("Persisted")
    expect(out!.state.log[0]).toEqual([{ term: 1 }, { term: 1 }])
  })

  it("RollbackPersistFails aborts and drops nothing", () => {
    const [out] = fire(planned("Planned"), "RollbackPersistFails")
    expect(out!.state.rollback[0]!.phase).toBe("Idle")
    expect(out!.state.log[0]).toHaveLength(2)
  })

  it("RollbackRecover truncates to the common point only after persisting, and only while the plan is current", () => {
    expect(fire(planned("Planned"), "RollbackRecover")).toEqual([])
    const [out] = fire(planned("Persisted", 2, [[1, 2]]), "RollbackRecover")
    expect(out!.state.log[0]).toEqual([{ term: 1 }])
    expect(out!.state.rollback[0]!.phase).toBe("Recovered")
    // A newer term seen since the plan makes it stale.
    expect(fire(planned("Persisted", 3, [[1, 2]]), "RollbackRecover")).toEqual([])
  })

  it("RollbackEmitEvent, then RollbackRejoin under the rejoin term", () => {
    const [emitted] = fire(planned("Recovered"), "RollbackEmitEvent")
    expect(emitted!.state.rollback[0]!.phase).toBe("Emitted")
    const [rejoined] = fire(planned("Emitted"), "RollbackRejoin")
    expect(rejoined!.state.rollback[0]).toEqual({ phase: "Idle", source: 1, commonPoint: 0, watermark: 0, rejoinTerm: 0 })
    expect(rejoined!.state.currentTerm[0]).toBe(2)
  })

  it("Crash loses the coordinator's progress and keeps log, commit point and files", () => {
    const [out] = fire(planned("Persisted", 2, [[1, 2]]), "Crash")
    expect(out!.state.rollback[0]!.phase).toBe("Idle")
    expect(out!.state.rollbackFiles[0]).toEqual([{ term: 1, index: 2 }])
    expect(out!.state.log[0]).toHaveLength(2)
  })

  it("a busy server neither appends nor campaigns", () => {
    const busy = planned("Persisted", 2, [[1, 2]])
    expect(fire(busy, "AppendOplog").filter((o) => o.args.i === 1)).toEqual([])
    expect(fire(busy, "BecomePrimaryByMagic").filter((o) => o.args.i === 1)).toEqual([])
  })
})
