/** The safety properties of RaftMongo.tla, as predicates of typed states. */
import { canRollbackOplog, isLeader, lastTerm, len, RaftState, type RaftView } from "./state.js"

const canRollback = (s: RaftView, i: number) => {
  for (let j = 1; j <= s.nodeCount; j++) if (canRollbackOplog(s, i, j)) return true
  return false
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

export const raftMongoInvariants = [
  NoTwoPrimariesInSameTerm,
  RaftState.invariant("NeverRollbackCommitted", "no server whose last entry is in committedEntries can roll that entry back", (s) => {
    for (let i = 1; i <= s.nodeCount; i++) {
      if (s.committedEntries.has({ term: lastTerm(s, i), index: len(s, i) }) && canRollback(s, i)) return false
    }
    return true
  }),
  RaftState.invariant("NeverRollbackBeforeCommitPoint", "no server can roll back an entry at or below its own learned commit point", (s) => {
    for (let i = 1; i <= s.nodeCount; i++) {
      const last = lastTerm(s, i)
      const point = s.commitPoint.term(i)
      const atOrBelow = last < point || (last === point && len(s, i) <= s.commitPoint.index(i))
      if (atOrBelow && canRollback(s, i)) return false
    }
    return true
  })
]
