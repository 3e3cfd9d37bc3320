/** The safety properties of RaftMongo.tla, as predicates of packed states. */
import type { StateInvariant } from "../../engine/model.js"
import type { RaftLayout } from "./layout.js"

export function raftMongoInvariants(L: RaftLayout): StateInvariant[] {
  const n = L.n
  const canRollback = (s: Uint8Array, i: number) => {
    for (let j = 0; j < n; j++) if (L.canRollbackOplog(s, i, j)) return true
    return false
  }
  return [
    {
      name: "NoTwoPrimariesInSameTerm",
      description: "no two distinct servers are Leader with the same currentTerm",
      holds(s) {
        for (let i = 0; i < n; i++) {
          if (!L.isLeader(s, i)) continue
          for (let j = i + 1; j < n; j++) if (L.isLeader(s, j) && L.term(s, i) === L.term(s, j)) return false
        }
        return true
      }
    },
    {
      name: "NeverRollbackCommitted",
      description: "no server whose last entry is in committedEntries can roll that entry back",
      holds(s) {
        for (let i = 0; i < n; i++) {
          if (L.isCommitted(s, L.lastTerm(s, i), L.len(s, i)) && canRollback(s, i)) return false
        }
        return true
      }
    },
    {
      name: "NeverRollbackBeforeCommitPoint",
      description: "no server can roll back an entry at or below its own learned commit point",
      holds(s) {
        for (let i = 0; i < n; i++) {
          const last = L.lastTerm(s, i)
          const cpTerm = L.cpTerm(s, i)
          const atOrBelow = last < cpTerm || (last === cpTerm && L.len(s, i) <= L.cpIndex(s, i))
          if (atOrBelow && canRollback(s, i)) return false
        }
        return true
      }
    }
  ]
}
