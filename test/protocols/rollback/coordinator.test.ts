/** The rollback coordinator's steps on hand-built states (spec/adr/0001-deposed-primary-rollback.md). */
import { describe, expect, it } from "vitest"
import { successorsOf } from "../../../model/engine/path.js"
import rollback from "../../../model/protocols/rollback/index.js"
import type { ReadableRollbackState as RollbackState } from "../../../model/protocols/rollback/state.js"

const config = { servers: 3, maxTerm: 3, maxLogLen: 2, maxClientWriteSize: 1 }
const model = rollback.build(config, "base")

type Entry = [term: number, index: number]
type Server = {
  term?: number
  leader?: boolean
  /** Whom the server believes leads in its term (0: nobody). */
  view?: number
  cp?: [number, number]
  log?: number[]
  /** Key versions, by term; the log's when omitted. */
  keys?: number[]
  rollback?: Partial<RollbackState["rollback"][number]>
  files?: Entry[]
  pending?: Entry[]
  events?: Entry[]
  removed?: Entry[]
}

const entries = (xs: Entry[] | undefined) => (xs ?? []).map(([term, index]) => ({ term, index }))

function state(servers: Server[], committed: Entry[] = []): Uint8Array {
  const s: RollbackState = {
    committedEntries: entries(committed),
    currentTerm: servers.map((x) => x.term ?? 0),
    state: servers.map((x) => (x.leader ? "Leader" : "Follower")),
    commitPoint: servers.map((x) => ({ term: x.cp?.[0] ?? 0, index: x.cp?.[1] ?? 0 })),
    log: servers.map((x) => (x.log ?? []).map((term) => ({ term }))),
    leaderView: servers.map((x, i) => x.view ?? (x.leader ? i + 1 : 0)),
    keyVersions: servers.map((x) => (x.keys ?? x.log ?? []).map((term) => ({ term }))),
    rollback: servers.map((x, i) => ({ phase: "Idle", source: i + 1, commonPoint: 0, watermark: 0, rejoinTerm: 0, ...x.rollback })),
    rollbackFiles: servers.map((x) => entries(x.files)),
    pendingEvent: servers.map((x) => entries(x.pending)),
    events: servers.map((x) => entries(x.events)),
    removed: servers.map((x) => entries(x.removed))
  }
  const bytes = new Uint8Array(model.widthBytes)
  model.codec.encode(s, bytes)
  return bytes
}

const fire = (bytes: Uint8Array, action: string) =>
  successorsOf(model, bytes)
    .filter((s) => s.action!.name === action)
    .map((s) => ({ args: s.action!.args, state: model.codec.decode(s.state) as RollbackState }))

// Server 1 was primary of term 1 and wrote <<1, 1>>; server 2 leads term 2 with <<1, 2>>, and server 1 knows it.
const deposed = (cp: [number, number] = [0, 0], view = 2) =>
  state([{ term: 2, log: [1, 1], cp, view }, { term: 2, leader: true, log: [1, 2] }, { term: 2, log: [1] }])

describe("RollbackPlan", () => {
  it("plans against the leader the server believes in: common point, watermark, its own term as the rejoin term", () => {
    const plans = fire(deposed([1, 1]), "RollbackPlan")
    expect(plans.map((p) => p.args)).toEqual([{ i: 1, j: 2 }])
    expect(plans[0]!.state.rollback[0]).toEqual({ phase: "Planned", source: 2, commonPoint: 1, watermark: 1, rejoinTerm: 2 })
  })

  it("refuses, removing nothing, when the common point is below the watermark", () => {
    expect(fire(deposed([1, 2]), "RollbackPlan")).toEqual([])
  })

  it("does not plan while it knows no leader, even when a leader exists", () => {
    expect(fire(deposed([0, 0], 0), "RollbackPlan")).toEqual([])
  })

  it("does not plan while an earlier rollback's event is still owed", () => {
    const s = state([{ term: 2, log: [1, 1], view: 2, pending: [[1, 2]] }, { term: 2, leader: true, log: [1, 2] }, { term: 2, log: [1] }])
    expect(fire(s, "RollbackPlan")).toEqual([])
  })
})

describe("views", () => {
  it("a heartbeat from a leader teaches the leader and its term; a bare term update clears the view", () => {
    const s = state([{ term: 1, log: [1] }, { term: 2, leader: true, log: [1, 2] }, { term: 2, log: [1] }])
    const learned = fire(s, "LearnLeaderThroughHeartbeat").filter((o) => o.args.i === 1)
    expect(learned.map((o) => [o.args, o.state.leaderView[0], o.state.currentTerm[0]])).toEqual([[{ i: 1, j: 2 }, 2, 2]])
    const bumped = fire(state([{ term: 1, log: [1], view: 3 }, { term: 2, log: [1] }, { term: 1, leader: true, log: [1] }]), "UpdateTermThroughHeartbeat")
    expect(bumped.filter((o) => o.args.i === 1).map((o) => o.state.leaderView[0])).toEqual([0])
  })

  it("an election: the winner knows it leads, its voters know no leader yet", () => {
    const s = state([{ term: 1, log: [1] }, { term: 1, log: [1], view: 3 }, { term: 1, log: [1], view: 3 }])
    const won = fire(s, "BecomePrimaryByMagic").find((o) => o.args.i === 1 && [...(o.args.ayeVoters as Set<number>)].join() === "1,2")!
    expect(won.state.leaderView).toEqual([1, 0, 3])
  })
})

describe("persist, recover, truncate, emit, rejoin, crash, resume", () => {
  const planned = (phase: RollbackState["rollback"][number]["phase"], more: Partial<Server> = {}, committed: Entry[] = [[1, 1]]) =>
    state(
      [
        { term: 2, view: 2, log: [1, 1], cp: [1, 1], rollback: { phase, source: 2, commonPoint: 1, watermark: 1, rejoinTerm: 2 }, ...more },
        { term: 2, leader: true, log: [1, 2] },
        { term: 2, log: [1] }
      ],
      committed
    )

  it("RollbackPersist saves the divergent tail to the rollback files and marks its event pending", () => {
    const [out] = fire(planned("Planned"), "RollbackPersist")
    expect(out!.state.rollbackFiles[0]).toEqual([{ term: 1, index: 2 }])
    expect(out!.state.pendingEvent[0]).toEqual([{ term: 1, index: 2 }])
    expect(out!.state.rollback[0]!.phase).toBe("Persisted")
    expect(out!.state.log[0]).toEqual([{ term: 1 }, { term: 1 }])
  })

  it("RollbackPersistFails aborts and drops nothing", () => {
    const [out] = fire(planned("Planned"), "RollbackPersistFails")
    expect(out!.state.rollback[0]!.phase).toBe("Idle")
    expect(out!.state.log[0]).toHaveLength(2)
  })

  it("RollbackRecover restores the key versions (not the log) only after persisting, and only while the server's own view is the plan's", () => {
    expect(fire(planned("Planned"), "RollbackRecover")).toEqual([])
    const [out] = fire(planned("Persisted", { files: [[1, 2]], pending: [[1, 2]] }), "RollbackRecover")
    expect(out!.state.keyVersions[0]).toEqual([{ term: 1 }])
    expect(out!.state.log[0]).toEqual([{ term: 1 }, { term: 1 }])
    expect(out!.state.rollback[0]!.phase).toBe("KeysRestored")
    // The server has moved to term 3 (or knows no leader): the plan is stale, whatever the others hold.
    expect(fire(planned("Persisted", { term: 3, view: 0, files: [[1, 2]] }), "RollbackRecover")).toEqual([])
    expect(fire(planned("Persisted", { view: 0, files: [[1, 2]] }), "RollbackRecover")).toEqual([])
  })

  it("under the term lock the server neither takes a new term nor votes", () => {
    const locked = planned("KeysRestored", { keys: [1], files: [[1, 2]], pending: [[1, 2]] })
    expect(fire(locked, "UpdateTermThroughHeartbeat").filter((o) => o.args.i === 1)).toEqual([])
    expect(fire(locked, "LearnLeaderThroughHeartbeat").filter((o) => o.args.i === 1)).toEqual([])
    expect(fire(locked, "BecomePrimaryByMagic").filter((o) => (o.args.ayeVoters as Set<number>).has(1))).toEqual([])
  })

  it("RollbackTruncate removes the tail when its re-check passes; RollbackAbort, when it fails, removes nothing", () => {
    const [out] = fire(planned("KeysRestored", { keys: [1], files: [[1, 2]], pending: [[1, 2]] }), "RollbackTruncate")
    expect(out!.state.log[0]).toEqual([{ term: 1 }])
    expect(out!.state.removed[0]).toEqual([{ term: 1, index: 2 }])
    expect(out!.state.rollback[0]!.phase).toBe("Recovered")
    // The server learned a commit point above the common point since the plan.
    const moved = planned("KeysRestored", { cp: [1, 2], keys: [1], files: [[1, 2]], pending: [[1, 2]] })
    expect(fire(moved, "RollbackTruncate")).toEqual([])
    const [aborted] = fire(moved, "RollbackAbort")
    expect(aborted!.state.log[0]).toHaveLength(2)
    expect(aborted!.state.keyVersions[0]).toEqual([{ term: 1 }, { term: 1 }])
    expect(aborted!.state.pendingEvent[0]).toEqual([])
    expect(aborted!.state.rollback[0]!.phase).toBe("Idle")
  })

  it("RollbackEmitEvent names the pending entries, then RollbackRejoin finishes", () => {
    const [emitted] = fire(planned("Recovered", { log: [1], keys: [1], pending: [[1, 2]], removed: [[1, 2]] }), "RollbackEmitEvent")
    expect(emitted!.state.events[0]).toEqual([{ term: 1, index: 2 }])
    expect(emitted!.state.pendingEvent[0]).toEqual([])
    expect(emitted!.state.rollback[0]!.phase).toBe("Emitted")
    const [rejoined] = fire(planned("Emitted", { log: [1] }), "RollbackRejoin")
    expect(rejoined!.state.rollback[0]).toEqual({ phase: "Idle", source: 1, commonPoint: 0, watermark: 0, rejoinTerm: 0 })
  })

  it("Crash loses the coordinator's progress, keeps log, files and the event marker, and replays the log into the key versions", () => {
    const [out] = fire(planned("KeysRestored", { keys: [1], files: [[1, 2]], pending: [[1, 2]] }), "Crash")
    expect(out!.state.rollback[0]!.phase).toBe("Idle")
    expect(out!.state.rollbackFiles[0]).toEqual([{ term: 1, index: 2 }])
    expect(out!.state.pendingEvent[0]).toEqual([{ term: 1, index: 2 }])
    expect(out!.state.log[0]).toHaveLength(2)
    expect(out!.state.keyVersions[0]).toEqual([{ term: 1 }, { term: 1 }])
  })

  it("RollbackResume emits the event for pending entries the log lost, and drops those it still holds", () => {
    const lost = state([{ term: 2, view: 2, log: [1], pending: [[1, 2]], removed: [[1, 2]] }, { term: 2, leader: true, log: [1, 2] }, { term: 2, log: [1] }])
    const [out] = fire(lost, "RollbackResume")
    expect(out!.state.events[0]).toEqual([{ term: 1, index: 2 }])
    expect(out!.state.pendingEvent[0]).toEqual([])
    const kept = state([{ term: 2, view: 2, log: [1, 1], pending: [[1, 2]] }, { term: 2, leader: true, log: [1, 2] }, { term: 2, log: [1] }])
    const [none] = fire(kept, "RollbackResume")
    expect(none!.state.events[0]).toEqual([])
    expect(none!.state.pendingEvent[0]).toEqual([])
  })

  it("a busy server, or one that owes an event, neither appends nor campaigns", () => {
    for (const busy of [planned("Persisted", { files: [[1, 2]] }), state([{ term: 2, log: [1], pending: [[1, 2]] }, { term: 2, leader: true, log: [1, 2] }, { term: 2, log: [1] }])]) {
      expect(fire(busy, "AppendOplog").filter((o) => o.args.i === 1)).toEqual([])
      expect(fire(busy, "BecomePrimaryByMagic").filter((o) => o.args.i === 1)).toEqual([])
    }
  })

  it("appending applies the entries to the key versions", () => {
    const s = state([{ term: 2, view: 2, log: [1] }, { term: 2, leader: true, log: [1, 2] }, { term: 2, log: [1] }])
    const [out] = fire(s, "AppendOplog").filter((o) => o.args.i === 1)
    expect(out!.state.keyVersions[0]).toEqual([{ term: 1 }, { term: 2 }])
  })
})
