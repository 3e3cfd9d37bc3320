/** RaftMongo's actions and invariants on hand-built states, read against RaftMongo.tla. */
import { describe, expect, it } from "vitest"
import { successorsOf } from "../../../model/engine/path.js"
import raftmongo from "../../../model/protocols/raftmongo/index.js"
import type { RaftMongoState } from "../../../model/protocols/raftmongo/state.js"

const config = { servers: 3, maxTerm: 3, maxLogLen: 3, maxClientWriteSize: 2 }
const model = raftmongo.build(config, "base")

type Server = { term?: number; leader?: boolean; cp?: [number, number]; log?: number[] }

/** A state from per-server descriptions (defaults: term 0, Follower, commit point [0, 0], empty log). */
function state(servers: Server[], committed: Array<[number, number]> = []): Uint8Array {
  const s: RaftMongoState = {
    committedEntries: committed.map(([term, index]) => ({ term, index })),
    currentTerm: servers.map((x) => x.term ?? 0),
    state: servers.map((x) => (x.leader ? "Leader" : "Follower")),
    commitPoint: servers.map((x) => ({ term: x.cp?.[0] ?? 0, index: x.cp?.[1] ?? 0 })),
    log: servers.map((x) => (x.log ?? []).map((term) => ({ term })))
  }
  const bytes = new Uint8Array(model.widthBytes)
  model.codec.encode(s, bytes)
  return bytes
}

/** The successors of one action, as readable states with their arguments. */
function fire(bytes: Uint8Array, action: string) {
  return successorsOf(model, bytes)
    .filter((s) => s.action!.name === action)
    .map((s) => ({ args: s.action!.args, state: model.codec.decode(s.state) as RaftMongoState }))
}

const invariant = (name: string) => model.stateInvariants.find((i) => i.name === name)!

describe("AppendOplog(i, j)", () => {
  it("appends every prefix of j's missing entries, one successor per lastAppended", () => {
    const out = fire(state([{ log: [1, 1] }, {}, { log: [2] }]), "AppendOplog")
    const fromOne = out.filter((o) => o.args.i === 2 && o.args.j === 1)
    expect(fromOne.map((o) => o.state.log[1])).toEqual([[{ term: 1 }], [{ term: 1 }, { term: 1 }]])
    expect(fromOne.map((o) => o.args.lastAppended)).toEqual([1, 2])
  })
  it("needs CanSyncFrom (last entry agrees) and a Follower recipient", () => {
    // Server 3's log <<2>> disagrees with server 1 at index 1; server 1 is a leader.
    const out = fire(state([{ log: [1, 1], leader: true }, { log: [2, 2] }, { log: [1] }]), "AppendOplog")
    expect(out.map((o) => [o.args.i, o.args.j])).toEqual([[3, 1]])
  })
})

describe("RollbackOplog(i, j)", () => {
  it("drops one entry when i's last term is older and i's log diverges or is longer", () => {
    const out = fire(state([{ log: [1, 1] }, { log: [2] }, {}]), "RollbackOplog")
    expect(out.map((o) => [o.args.i, o.args.j])).toEqual([[1, 2]])
    expect(out[0]!.state.log[0]).toEqual([{ term: 1 }])
  })
  it("does not roll back a prefix of a newer log", () => {
    expect(fire(state([{ log: [1] }, { log: [1, 2] }, {}]), "RollbackOplog")).toEqual([])
  })
})

describe("BecomePrimaryByMagic(i, ayeVoters)", () => {
  it("has one successor per majority of up-to-date voters with no higher term", () => {
    const out = fire(state([{}, {}, {}]), "BecomePrimaryByMagic")
    // Each of 3 candidates, with each of the 4 majorities of 3 servers.
    expect(out).toHaveLength(12)
    const elected = out.find((o) => o.args.i === 1 && [...(o.args.ayeVoters as Set<number>)].join() === "1,2")!
    expect(elected.state.state).toEqual(["Leader", "Follower", "Follower"])
    expect(elected.state.currentTerm).toEqual([1, 1, 0])
  })
  it("keeps the candidate's role when it is not among the voters, but gives it the new term", () => {
    const out = fire(state([{}, { leader: true, term: 0 }, {}]), "BecomePrimaryByMagic")
    const o = out.find((x) => x.args.i === 1 && [...(x.args.ayeVoters as Set<number>)].join() === "2,3")!
    expect(o.state.state).toEqual(["Follower", "Follower", "Follower"])
    expect(o.state.currentTerm).toEqual([1, 1, 1])
  })
  it("excludes voters that are ahead or have a higher term", () => {
    const out = fire(state([{ log: [1] }, { log: [1, 1] }, { term: 2 }]), "BecomePrimaryByMagic")
    expect(out.filter((o) => o.args.i === 1)).toEqual([])
  })
})

describe("Stepdown, ClientWrite, UpdateTermThroughHeartbeat", () => {
  it("Stepdown turns a leader into a follower", () => {
    const out = fire(state([{ leader: true, term: 1 }, {}, {}]), "Stepdown")
    expect(out.map((o) => o.state.state[0])).toEqual(["Follower"])
  })
  it("ClientWrite appends 1..MaxClientWriteSize entries of the leader's term", () => {
    const out = fire(state([{ leader: true, term: 2, log: [1] }, {}, {}]), "ClientWrite")
    expect(out.map((o) => o.state.log[0]!.map((e) => e.term))).toEqual([
      [1, 2],
      [1, 2, 2]
    ])
  })
  it("UpdateTermThroughHeartbeat adopts a higher term and steps down", () => {
    const out = fire(state([{ leader: true, term: 1 }, { term: 2 }, { term: 2 }]), "UpdateTermThroughHeartbeat")
    expect(out.map((o) => [o.args.i, o.args.j])).toEqual([
      [1, 2],
      [1, 3]
    ])
    expect(out[0]!.state.currentTerm[0]).toBe(2)
    expect(out[0]!.state.state[0]).toBe("Follower")
  })
})

describe("AdvanceCommitPoint", () => {
  it("commits an entry of the leader's term acknowledged by a majority that has it", () => {
    const s = state([{ leader: true, term: 1, log: [1, 1] }, { term: 1, log: [1] }, { term: 1 }])
    const out = fire(s, "AdvanceCommitPoint")
    // Index 1: Agree = {1, 2}; majorities {1,2}. Index 2: Agree = {1}: none.
    expect(out.map((o) => [o.args.committedIndex, [...(o.args.acknowledgers as Set<number>)]])).toEqual([[1, [1, 2]]])
    expect(out[0]!.state.commitPoint[0]).toEqual({ term: 1, index: 1 })
    expect(out[0]!.state.committedEntries).toEqual([{ term: 1, index: 1 }])
  })
  it("never commits an entry of an earlier term directly", () => {
    const s = state([{ leader: true, term: 2, log: [1] }, { term: 2, log: [1] }, { term: 2, log: [1] }])
    expect(fire(s, "AdvanceCommitPoint")).toEqual([])
  })
  it("commits the earlier entries too when it commits one of its own term", () => {
    const s = state([{ leader: true, term: 2, log: [1, 2] }, { term: 2, log: [1, 2] }, { term: 2 }])
    const out = fire(s, "AdvanceCommitPoint")
    expect(out[0]!.state.committedEntries).toEqual([
      { term: 1, index: 1 },
      { term: 2, index: 2 }
    ])
  })
  it("with commit-by-counting, commits an earlier term's entry", () => {
    const variant = raftmongo.build(config, "commit-by-counting")
    const s = state([{ leader: true, term: 2, log: [1] }, { term: 2, log: [1] }, { term: 2, log: [1] }])
    expect(successorsOf(variant, s).some((x) => x.action!.name === "AdvanceCommitPoint")).toBe(true)
  })
})

describe("commit-point learning", () => {
  it("LearnCommitPointWithTermCheck needs the learner's last term to equal the commit point's term", () => {
    const s = state([{ log: [1], cp: [1, 1] }, { log: [1] }, { log: [2] }])
    const out = fire(s, "LearnCommitPointWithTermCheck")
    expect(out.map((o) => [o.args.i, o.args.j])).toEqual([[2, 1]])
    expect(out[0]!.state.commitPoint[1]).toEqual({ term: 1, index: 1 })
  })
  it("LearnCommitPointFromSyncSource... never goes beyond the learner's last applied entry", () => {
    // Server 2 syncs from 1 (its log is a prefix) and learns [2, 2] capped at its own last entry [1, 1].
    const s = state([{ log: [1, 2], cp: [2, 2] }, { log: [1] }, {}])
    const out = fire(s, "LearnCommitPointFromSyncSourceNeverBeyondLastApplied")
    const two = out.find((o) => o.args.i === 2)!
    expect(two.state.commitPoint[1]).toEqual({ term: 1, index: 1 })
    // Server 3 (empty log) may sync from 1 too: capped at [0, 0], a stuttering successor.
    const three = out.find((o) => o.args.i === 3)!
    expect(three.state.commitPoint[2]).toEqual({ term: 0, index: 0 })
  })
  it("LearnCommitPointFromSyncSource... takes the commit point itself when its term is not newer", () => {
    const s = state([{ log: [1, 1], cp: [1, 2] }, { log: [1, 1] }, {}])
    const two = fire(s, "LearnCommitPointFromSyncSourceNeverBeyondLastApplied").find((o) => o.args.i === 2)!
    expect(two.state.commitPoint[1]).toEqual({ term: 1, index: 2 })
  })
})

describe("invariants", () => {
  it("NoTwoPrimariesInSameTerm", () => {
    expect(invariant("NoTwoPrimariesInSameTerm").holds(state([{ leader: true, term: 1 }, { leader: true, term: 2 }, {}]))).toBe(true)
    expect(invariant("NoTwoPrimariesInSameTerm").holds(state([{ leader: true, term: 2 }, { leader: true, term: 2 }, {}]))).toBe(false)
  })
  it("NeverRollbackCommitted", () => {
    const s = (committed: Array<[number, number]>) => state([{ log: [1] }, { log: [2] }, {}], committed)
    expect(invariant("NeverRollbackCommitted").holds(s([]))).toBe(true)
    expect(invariant("NeverRollbackCommitted").holds(s([[1, 1]]))).toBe(false)
  })
  it("NeverRollbackBeforeCommitPoint", () => {
    const s = (cp: [number, number]) => state([{ log: [1, 1], cp }, { log: [2] }, {}])
    expect(invariant("NeverRollbackBeforeCommitPoint").holds(s([1, 1]))).toBe(true)
    expect(invariant("NeverRollbackBeforeCommitPoint").holds(s([1, 2]))).toBe(false)
  })
  it("the state constraint bounds every term and log length", () => {
    expect(model.constraint(state([{ term: 3, log: [1, 1, 1] }, {}, {}]))).toBe(true)
    expect(model.constraint(state([{ term: 4 }, {}, {}]))).toBe(false)
    expect(model.constraint(state([{ log: [1, 1, 1, 1] }, {}, {}]))).toBe(false)
  })
})
