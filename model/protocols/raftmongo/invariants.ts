/** The safety properties of RaftMongo.tla, as predicates of typed states. */
import type { StateView } from "../../kit/index.js"
import { canRollbackOplog, isLeader, lastTerm, len, RaftState, type raftMongoVariables, type RaftView } from "./state.js"

/** A RaftMongo state as invariants read it (the ghost history too). */
type RaftStateView = StateView<ReturnType<typeof raftMongoVariables>>

/** A server j against whose log server i can roll back its last entry (CanRollbackOplog(i, j)), or 0. */
function rollbackSource(s: RaftView, i: number): number {
  for (let j = 1; j <= s.nodeCount; j++) if (canRollbackOplog(s, i, j)) return j
  return 0
}

/** The first two servers that lead in the same term, or null. */
function twoLeaders(s: RaftView): [number, number] | null {
  for (let i = 1; i <= s.nodeCount; i++) {
    if (!isLeader(s, i)) continue
    for (let j = i + 1; j <= s.nodeCount; j++) if (isLeader(s, j) && s.currentTerm(i) === s.currentTerm(j)) return [i, j]
  }
  return null
}

export const NoTwoPrimariesInSameTerm = RaftState.invariant(
  "NoTwoPrimariesInSameTerm",
  "no two distinct servers are Leader with the same currentTerm",
  (s) => twoLeaders(s) === null,
  (s) => {
    const [i, j] = twoLeaders(s)!
    return `servers ${i} and ${j} are both Leader in term ${s.currentTerm(i)}`
  }
)

/** The first server that can roll back its last entry, committed, as i * 256 + j (j: the server it can roll back against), or 0. */
function committedRollback(s: RaftStateView): number {
  for (let i = 1; i <= s.nodeCount; i++) {
    if (!s.committedEntries.has({ term: lastTerm(s, i), index: len(s, i) })) continue
    const j = rollbackSource(s, i)
    if (j !== 0) return i * 256 + j
  }
  return 0
}

/** The first server that can roll back its last entry, at or below its learned commit point, as i * 256 + j, or 0. */
function rollbackBeforeCommitPoint(s: RaftView): number {
  for (let i = 1; i <= s.nodeCount; i++) {
    const last = lastTerm(s, i)
    const point = s.commitPoint.term(i)
    const atOrBelow = last < point || (last === point && len(s, i) <= s.commitPoint.index(i))
    if (!atOrBelow) continue
    const j = rollbackSource(s, i)
    if (j !== 0) return i * 256 + j
  }
  return 0
}

/** "server 2 can roll back its last entry [term 1, index 2], <why it must not>, against server 3's log" */
function rollbackOf(s: RaftView, found: number, why: string): string {
  const [i, j] = [Math.floor(found / 256), found % 256]
  return `server ${i} can roll back its last entry [term ${lastTerm(s, i)}, index ${len(s, i)}], ${why}, against server ${j}'s log`
}

export const raftMongoInvariants = [
  NoTwoPrimariesInSameTerm,
  RaftState.invariant(
    "NeverRollbackCommitted",
    "no server whose last entry is in committedEntries can roll that entry back",
    (s) => committedRollback(s) === 0,
    (s) => rollbackOf(s, committedRollback(s), "committed")
  ),
  RaftState.invariant(
    "NeverRollbackBeforeCommitPoint",
    "no server can roll back an entry at or below its own learned commit point",
    (s) => rollbackBeforeCommitPoint(s) === 0,
    (s) => {
      const found = rollbackBeforeCommitPoint(s)
      const i = Math.floor(found / 256)
      return rollbackOf(s, found, `at or below its commit point [term ${s.commitPoint.term(i)}, index ${s.commitPoint.index(i)}]`)
    }
  )
]
