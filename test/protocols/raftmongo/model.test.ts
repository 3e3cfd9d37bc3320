/** raftmongo as a whole: state codec, every invariant held by the base model and broken by a variant. */
import { fc, test } from "@fast-check/vitest"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { fingerprintOf, successorsOf } from "../../../model/engine/path.js"
import raftmongo from "../../../model/protocols/raftmongo/index.js"
import type { RaftMongoState } from "../../../model/protocols/raftmongo/state.js"
import { stateSchema } from "../../../model/trace/state-schema.js"
import { check } from "../../support/check.js"

const bounds = { servers: 3, maxTerm: 3, maxLogLen: 3, maxClientWriteSize: 2 }
const model = raftmongo.build(bounds, "base")

/** Readable states within the packed bounds (the shapes a reachable state can take, and more). */
const arbState = (n: number, withinConstraint = false): fc.Arbitrary<RaftMongoState> => {
  const slack = withinConstraint ? 0 : 1
  const perServer = fc.record({
    term: fc.nat(bounds.maxTerm + slack),
    leader: fc.boolean(),
    cp: fc.record({ term: fc.nat(bounds.maxTerm), index: fc.nat(bounds.maxLogLen) }),
    log: fc.array(fc.record({ term: fc.integer({ min: 1, max: bounds.maxTerm + slack }) }), {
      maxLength: withinConstraint ? bounds.maxLogLen : bounds.maxLogLen + bounds.maxClientWriteSize
    })
  })
  const committed = fc.uniqueArray(fc.record({ term: fc.integer({ min: 1, max: bounds.maxTerm }), index: fc.integer({ min: 1, max: bounds.maxLogLen }) }), {
    selector: (e) => `${e.term},${e.index}`
  })
  return fc.record({ servers: fc.array(perServer, { minLength: n, maxLength: n }), committed }).map(({ servers, committed }) => ({
    committedEntries: [...committed].sort((a, b) => a.term - b.term || a.index - b.index),
    currentTerm: servers.map((s) => s.term),
    state: servers.map((s) => (s.leader ? "Leader" : "Follower")),
    commitPoint: servers.map((s) => s.cp),
    log: servers.map((s) => s.log)
  }))
}

const pack = (s: RaftMongoState) => {
  const bytes = new Uint8Array(model.widthBytes)
  model.codec.encode(s, bytes)
  return bytes
}

describe("raftmongo state codec", () => {
  test.prop([arbState(3)])("decode(encode(s)) = s", (s) => {
    expect(model.codec.decode(pack(s))).toEqual(s)
  })

  test.prop([arbState(3)])("ITF round trip through JSON text", (s) => {
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(stateSchema(model))(s)))
    expect(Schema.decodeUnknownSync(stateSchema(model))(json)).toEqual(s)
  })

  test.prop([arbState(3, true)])("successors keep unused bytes zero (re-encoding a successor is byte-identical)", (s) => {
    for (const next of successorsOf(model, pack(s))) {
      expect(pack(model.codec.decode(next.state) as RaftMongoState)).toEqual(next.state)
    }
  })

  test.prop([arbState(3), fc.constantFrom([0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0])])(
    "symmetric states (servers permuted) have the same canonical fingerprint",
    (s, perm) => {
      const permuted: RaftMongoState = {
        committedEntries: s.committedEntries,
        currentTerm: perm.map((k) => s.currentTerm[k]!),
        state: perm.map((k) => s.state[k]!),
        commitPoint: perm.map((k) => s.commitPoint[k]!),
        log: perm.map((k) => s.log[k]!)
      }
      expect(fingerprintOf(model, pack(permuted), true)).toEqual(fingerprintOf(model, pack(s), true))
    }
  )

  it("rejects a state that does not fit the bounds, naming the field", () => {
    const s = model.codec.decode(new Uint8Array(model.widthBytes)) as RaftMongoState
    const tooLong = { ...s, log: [Array.from({ length: 9 }, () => ({ term: 1 })), [], []] }
    expect(() => pack(tooLong)).toThrow(/^log\[1\]: length 9 is more than the 5 the bounds allow/)
  })
})

/** Each invariant with the variant that breaks it and its shortest counterexample's length. */
const broken = [
  // Two lone elections: <<init, 1 elected by {1}, 2 elected by {2}>>, both Leader in term 1.
  { variant: "elect-without-majority", invariant: "NoTwoPrimariesInSameTerm", length: 3 },
  // Raft's Figure 8: an old-term entry counted as committed, then a newer-term log supersedes it.
  { variant: "commit-by-counting", invariant: "NeverRollbackCommitted", length: 8 },
  // A server learns a commit point beyond its own log's term and then writes a divergent entry.
  { variant: "learn-commit-point-without-term-check", invariant: "NeverRollbackBeforeCommitPoint", length: 8 }
]

describe("raftmongo invariants", () => {
  it("the base model holds every invariant at MongoDB's bounds", async () => {
    const r = await check({ protocol: "raftmongo", variant: "base", config: bounds, symmetry: false })
    expect(r.violation).toBeNull()
    expect(r.stopped).toBeNull()
    expect(r.coverage.filter((c) => c.count === 0)).toEqual([])
  })

  it.each(broken)("$variant breaks $invariant with a shortest counterexample of $length states", async ({ variant, invariant, length }) => {
    const ref = { protocol: "raftmongo", variant, config: bounds, symmetry: false }
    const r = await check(ref, { invariants: [invariant] })
    expect(r.violation?.invariant).toBe(invariant)
    const trace = r.violation!.trace
    expect(trace).toHaveLength(length)
    // The trace is a real execution of the variant, checked without the search's bookkeeping.
    const vmodel = raftmongo.build(bounds, variant)
    expect(trace[0]!.state).toEqual(vmodel.initialStates()[0])
    for (let k = 1; k < trace.length; k++) {
      const options = successorsOf(vmodel, trace[k - 1]!.state)
      expect(options.some((o) => o.action!.name === trace[k]!.action!.name && Buffer.from(o.state).equals(Buffer.from(trace[k]!.state)))).toBe(true)
    }
    expect(vmodel.stateInvariants.find((i) => i.name === invariant)!.holds(trace[length - 1]!.state)).toBe(false)
    // And it is the shortest: no violation within one step less.
    const shorter = await check(ref, { invariants: [invariant], maxDepth: length - 1 })
    expect(shorter.violation).toBeNull()
    expect(shorter.stopped?.cap).toBe("max-depth")
  })
})
