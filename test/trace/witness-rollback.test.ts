/**
 * The witnesses of the rollback protocol's invariants and of RaftMongo's rollback invariants: each
 * one is read out of a real counterexample (a variant that breaks the invariant, at small bounds)
 * and checked against the counterexample's last state, or its last step's two states, not
 * against its own wording alone.
 */
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeConfig } from "../../model/engine/config.js"
import { explore, localDriver, type ExploreOptions } from "../../model/engine/explorer.js"
import type { Protocol } from "../../model/kit/index.js"
import raftmongo from "../../model/protocols/raftmongo/index.js"
import rollback from "../../model/protocols/rollback/index.js"
import { renderTrace, witnessOf } from "../../model/trace/counterexample.js"

interface Entry {
  term: number
  index: number
}
/** A decoded rollback (or RaftMongo) state, as far as these tests read it. */
interface Decoded {
  committedEntries: Entry[]
  currentTerm: number[]
  state: string[]
  commitPoint: Entry[]
  log: Array<Array<{ term: number }>>
  keyVersions: Array<Array<{ term: number }>>
  rollback: Array<{ phase: string; source: number; commonPoint: number; rejoinTerm: number }>
  rollbackFiles: Entry[][]
  events: Entry[][]
  removed: Entry[][]
}

/** The first counterexample of `variant` at `config`, checking only `invariant`: its witness, and its last states decoded. */
async function counterexample(protocol: Protocol, variant: string, config: Record<string, number>, invariant: string) {
  const full = decodeConfig(protocol.bounds, config)
  if (Either.isLeft(full)) throw new Error(full.left)
  const model = protocol.build(full.right, variant)
  const options: ExploreOptions = { workers: 1, symmetry: false, deadlock: false, invariants: [invariant] }
  const r = await explore(model, options, localDriver(model, options))
  const v = r.violation!
  expect(v.invariant).toBe(invariant)
  const ctx = { protocol: protocol.name, variant, config: full.right, invariant: v.invariant, kind: v.kind }
  const decode = (k: number) => model.codec.decode(v.trace[k]!.state) as unknown as Decoded
  return { model, v, ctx, last: decode(v.trace.length - 1), before: decode(v.trace.length - 2), witness: witnessOf(model, v.trace, ctx) ?? "no witness" }
}

/** The numbers a witness's regex captured, from group 1 on. */
function numbers(re: RegExp, witness: string): number[] {
  const m = re.exec(witness)
  expect(m, witness).not.toBeNull()
  return m!.slice(1).map(Number)
}

const holds = (s: Decoded, i: number, term: number, index: number) => s.log[i - 1]!.length >= index && s.log[i - 1]![index - 1]!.term === term
const has = (set: Entry[], term: number, index: number) => set.some((e) => e.term === term && e.index === index)
const servers = (s: Decoded) => s.log.map((_, k) => k + 1)
/** The highest k such that the first k entries of i's and j's logs are equal. */
function agreement(s: Decoded, i: number, j: number): number {
  const [a, b] = [s.log[i - 1]!, s.log[j - 1]!]
  let k = 0
  while (k < Math.min(a.length, b.length) && a[k]!.term === b[k]!.term) k++
  return k
}

describe("rollback invariant witnesses", () => {
  it("CommittedStaysOnMajority names a committed entry and the minority that holds it", async () => {
    const { model, v, ctx, last, witness } = await counterexample(rollback as Protocol, "vote-without-log-check", { maxTerm: 2, maxLogLen: 1 }, "CommittedStaysOnMajority")
    const m = /^entry \[term (\d+), index (\d+)\] is committed, but (?:no server|only servers? ([\d, and]+)) of (\d) holds? it$/.exec(witness)
    expect(m, witness).not.toBeNull()
    const [term, index, count] = [Number(m![1]), Number(m![2]), Number(m![4])]
    const named = (m![3] ?? "").match(/\d+/g)?.map(Number) ?? []
    expect(has(last.committedEntries, term, index)).toBe(true)
    expect(count).toBe(last.log.length)
    expect(servers(last).filter((i) => holds(last, i, term, index))).toEqual(named)
    expect(named.length * 2).toBeLessThanOrEqual(count)
    expect(renderTrace(model, v.trace, ctx)).toContain(`\nViolated: CommittedStaysOnMajority\n  because ${witness}\n`)
  })

  it("NeverTruncateKnownCommitted names the server, the removed entry and the commit point it knew", async () => {
    const { before, last, witness } = await counterexample(rollback as Protocol, "learn-without-term-check-and-no-watermark-guard", { maxLogLen: 1 }, "NeverTruncateKnownCommitted")
    const [i, term, index, pointTerm, pointIndex] = numbers(/^server (\d) removed entry \[term (\d+), index (\d+)\] from its log, at or below its commit point \[term (\d+), index (\d+)\]$/, witness)
    expect(holds(before, i!, term!, index!)).toBe(true)
    expect(holds(last, i!, term!, index!)).toBe(false)
    expect(before.commitPoint[i! - 1]).toEqual({ term: pointTerm, index: pointIndex })
    expect(index).toBeLessThanOrEqual(pointIndex!)
  })

  it("EveryRemovedEntryAnnounced names the server that serves again and the removed entry no event names", async () => {
    const { before, last, witness } = await counterexample(rollback as Protocol, "volatile-event-marker", { maxLogLen: 1 }, "EveryRemovedEntryAnnounced")
    const m = /^server (\d) (appended to its log|became Leader) though no event of its names removed entry \[term (\d+), index (\d+)\]$/.exec(witness)
    expect(m, witness).not.toBeNull()
    const [i, term, index] = [Number(m![1]), Number(m![3]), Number(m![4])]
    if (m![2] === "appended to its log") expect(last.log[i - 1]!.length).toBeGreaterThan(before.log[i - 1]!.length)
    else expect([before.state[i - 1], last.state[i - 1]]).toEqual(["Follower", "Leader"])
    expect(has(before.removed[i - 1]!, term, index)).toBe(true)
    expect(has(before.events[i - 1]!, term, index)).toBe(false)
  })

  it("EventsNameRemovedEntries names the server and the entry its event names but its log kept", async () => {
    const { last, witness } = await counterexample(rollback as Protocol, "resume-names-kept-entries", { maxLogLen: 1 }, "EventsNameRemovedEntries")
    const [i, term, index] = numbers(/^an event of server (\d) names entry \[term (\d+), index (\d+)\], never removed from its log$/, witness)
    expect(has(last.events[i! - 1]!, term!, index!)).toBe(true)
    expect(has(last.removed[i! - 1]!, term!, index!)).toBe(false)
  })

  it("KeyVersionsMatchLog names the server and how many key versions it serves for how many log entries", async () => {
    // More key versions than entries (mid-rollback), and fewer than entries while idle.
    for (const variant of ["truncate-before-restoring-keys", "no-replay-on-restart"]) {
      const { last, witness } = await counterexample(rollback as Protocol, variant, { maxLogLen: 1 }, "KeyVersionsMatchLog")
      const m = /^server (\d)(, not rolling back,)? serves (\d+) key versions? but its log holds (\d+) entr(?:y|ies)$/.exec(witness)
      expect(m, witness).not.toBeNull()
      const [i, n, entries] = [Number(m![1]), Number(m![3]), Number(m![4])]
      expect(last.keyVersions[i - 1]).toHaveLength(n)
      expect(last.log[i - 1]).toHaveLength(entries)
      if (m![2]) expect([last.rollback[i - 1]!.phase, n === entries]).toEqual(["Idle", false])
      else expect(n).toBeGreaterThan(entries)
    }
  })

  it("KeyVersionsMatchLog names a key version whose term is not its log entry's (a state edited from a real one)", async () => {
    const { model, last } = await counterexample(rollback as Protocol, "no-replay-on-restart", { maxLogLen: 1 }, "KeyVersionsMatchLog")
    // Every server idle, serving its log's writes, but server 2 serves one of the wrong term.
    const edited: Decoded = {
      ...last,
      log: [[{ term: 1 }], [{ term: 1 }], []],
      keyVersions: [[{ term: 1 }], [{ term: 2 }], []],
      rollback: last.rollback.map((r, k) => ({ ...r, phase: "Idle", source: k + 1, commonPoint: 0, watermark: 0, rejoinTerm: 0 }))
    }
    const bytes = new Uint8Array(model.widthBytes)
    model.codec.encode(edited as unknown as Record<string, unknown>, bytes)
    const inv = model.stateInvariants.find((i) => i.name === "KeyVersionsMatchLog")!
    expect(inv.holds(bytes)).toBe(false)
    expect(inv.witness!(bytes)).toBe("server 2 serves a key version of term 2 at index 1, where its log has term 1")
  })

  it("RollbackFileBeforeTruncate names the server and the entry it removed without saving it", async () => {
    const { before, last, witness } = await counterexample(rollback as Protocol, "recover-before-persist", { maxLogLen: 1 }, "RollbackFileBeforeTruncate")
    const [i, term, index] = numbers(/^server (\d) removed entry \[term (\d+), index (\d+)\] from its log, not in its rollback files$/, witness)
    expect(holds(before, i!, term!, index!)).toBe(true)
    expect(holds(last, i!, term!, index!)).toBe(false)
    expect(has(before.rollbackFiles[i! - 1]!, term!, index!)).toBe(false)
  })

  it("NeverRollbackCommitted names the server and the committed entry it removed", async () => {
    const { model, v, ctx, before, last, witness } = await counterexample(rollback as Protocol, "vote-without-log-check", { maxTerm: 2, maxLogLen: 1 }, "NeverRollbackCommitted")
    const [i, term, index] = numbers(/^server (\d) removed entry \[term (\d+), index (\d+)\], committed, from its log$/, witness)
    expect(has(before.committedEntries, term!, index!)).toBe(true)
    expect(holds(before, i!, term!, index!)).toBe(true)
    expect(holds(last, i!, term!, index!)).toBe(false)
    expect(renderTrace(model, v.trace, ctx)).toMatch(/\nViolated: NeverRollbackCommitted\n {2}because server \d removed entry \[term \d+, index \d+\], committed, from its log\n$/)
  })

  it("CommonPointIsAgreementPoint names the planned common point and where the two logs really agree", async () => {
    const { before, last, witness } = await counterexample(rollback as Protocol, "common-point-by-length", {}, "CommonPointIsAgreementPoint")
    const [i, point, j, agreed] = numbers(/^server (\d) planned with common point (\d+), but its log and source server (\d)'s agree up to index (\d+)$/, witness)
    expect([before.rollback[i! - 1]!.phase, last.rollback[i! - 1]!.phase]).toEqual(["Idle", "Planned"])
    expect(last.rollback[i! - 1]).toMatchObject({ commonPoint: point, source: j })
    expect(agreement(before, i!, j!)).toBe(agreed)
    expect(point).not.toBe(agreed)
  })

  it("RejoinedLogIsPrefixOfPrimary names the rejoined server's entry that its leading source lacks", async () => {
    const { before, last, witness } = await counterexample(rollback as Protocol, "common-point-by-length", { maxTerm: 2 }, "RejoinedLogIsPrefixOfPrimary")
    const [i, term, index, j, leaderTerm] = numbers(/^server (\d) rejoined with entry \[term (\d+), index (\d+)\], which its source, server (\d), Leader in term (\d+), lacks$/, witness)
    expect([before.rollback[i! - 1]!.phase, last.rollback[i! - 1]!.phase]).toEqual(["Emitted", "Idle"])
    expect(before.rollback[i! - 1]).toMatchObject({ source: j, rejoinTerm: leaderTerm })
    expect({ state: before.state[j! - 1], term: before.currentTerm[j! - 1] }).toEqual({ state: "Leader", term: leaderTerm })
    expect(holds(last, i!, term!, index!)).toBe(true)
    expect(holds(last, j!, term!, index!)).toBe(false)
  })

  it("CommitPointMonotonic names the server and its commit point before and after the step", async () => {
    for (const [variant, config] of [
      ["recover-forgets-commit-point", { maxTerm: 2 }],
      ["raftmongo-commit-point-learning", { maxTerm: 2, maxLogLen: 3 }]
    ] as const) {
      const { before, last, witness } = await counterexample(rollback as Protocol, variant, config, "CommitPointMonotonic")
      const [i, t1, k1, t2, k2] = numbers(/^server (\d)'s commit point went back from \[term (\d+), index (\d+)\] to \[term (\d+), index (\d+)\]$/, witness)
      expect(before.commitPoint[i! - 1]).toEqual({ term: t1, index: k1 })
      expect(last.commitPoint[i! - 1]).toEqual({ term: t2, index: k2 })
      expect(t2! < t1! || (t2 === t1 && k2! < k1!)).toBe(true)
    }
  })
})

describe("raftmongo rollback invariant witnesses", () => {
  /** CanRollbackOplog(i, j) on a decoded state: i's last entry is not in j's log, and j's last term is newer. */
  function canRollBack(s: Decoded, i: number, j: number, term: number, index: number) {
    const lastOf = (k: number) => s.log[k - 1]!.at(-1)?.term ?? 0
    expect(s.log[i - 1]).toHaveLength(index)
    expect(lastOf(i)).toBe(term)
    expect(lastOf(j)).toBeGreaterThan(term)
    expect(holds(s, j, term, index)).toBe(false)
  }

  it("NeverRollbackCommitted names the server, its committed last entry and the log it can roll back against", async () => {
    const { model, v, ctx, last, witness } = await counterexample(raftmongo as Protocol, "commit-by-counting", {}, "NeverRollbackCommitted")
    const [i, term, index, j] = numbers(/^server (\d) can roll back its last entry \[term (\d+), index (\d+)\], committed, against server (\d)'s log$/, witness)
    canRollBack(last, i!, j!, term!, index!)
    expect(has(last.committedEntries, term!, index!)).toBe(true)
    expect(renderTrace(model, v.trace, ctx)).toContain(`\nViolated: NeverRollbackCommitted\n  because ${witness}\n`)
  })

  it("NeverRollbackBeforeCommitPoint names the server, its last entry, its commit point and the log it can roll back against", async () => {
    const { last, witness } = await counterexample(raftmongo as Protocol, "learn-commit-point-without-term-check", {}, "NeverRollbackBeforeCommitPoint")
    const [i, term, index, pointTerm, pointIndex, j] = numbers(
      /^server (\d) can roll back its last entry \[term (\d+), index (\d+)\], at or below its commit point \[term (\d+), index (\d+)\], against server (\d)'s log$/,
      witness
    )
    canRollBack(last, i!, j!, term!, index!)
    expect(last.commitPoint[i! - 1]).toEqual({ term: pointTerm, index: pointIndex })
    expect(term! < pointTerm! || (term === pointTerm && index! <= pointIndex!)).toBe(true)
  })
})
