/** The rollback protocol's invariants (spec/adr/0001-deposed-primary-rollback.md names each one). */
import type { StateInvariant, StepInvariant } from "../../engine/model.js"
import { raftMongoInvariants } from "../raftmongo/invariants.js"
import { EMITTED, IDLE, PLANNED, type RollbackLayout } from "./layout.js"

export function rollbackStateInvariants(L: RollbackLayout): StateInvariant[] {
  return raftMongoInvariants(L).filter((i) => i.name === "NoTwoPrimariesInSameTerm")
}

export function rollbackStepInvariants(L: RollbackLayout): StepInvariant[] {
  const n = L.n
  /** Does server i's log hold the entry (term, index)? */
  const holds = (s: Uint8Array, i: number, term: number, index: number) => L.len(s, i) >= index && L.logTerm(s, i, index) === term
  return [
    {
      name: "NeverRollbackCommitted",
      description: "no step removes an entry of committedEntries from any log",
      holds(before, after) {
        for (let i = 0; i < n; i++) {
          for (let index = 1; index <= L.len(before, i); index++) {
            const term = L.logTerm(before, i, index)
            if (L.isCommitted(before, term, index) && !holds(after, i, term, index)) return false
          }
        }
        return true
      }
    },
    {
      name: "RollbackNeverSilent",
      description: "every entry a step removes from a log was in that server's rollback files before the step",
      holds(before, after) {
        for (let i = 0; i < n; i++) {
          for (let index = 1; index <= L.len(before, i); index++) {
            const term = L.logTerm(before, i, index)
            if (!holds(after, i, term, index) && !L.inRollbackFiles(before, i, term, index)) return false
          }
        }
        return true
      }
    },
    {
      name: "RefuseBelowWatermark",
      description: "a step that shortens a log during a rollback keeps it at or above the watermark the plan saw",
      holds(before, after) {
        for (let i = 0; i < n; i++) {
          if (L.phase(before, i) !== IDLE && L.len(after, i) < L.len(before, i) && L.len(after, i) < L.watermark(before, i)) return false
        }
        return true
      }
    },
    {
      name: "CommonPointIsAgreementPoint",
      description: "a plan's common point is the highest index where the two logs' prefixes agree",
      holds(before, after) {
        for (let i = 0; i < n; i++) {
          if (L.phase(before, i) === IDLE && L.phase(after, i) === PLANNED) {
            if (L.commonPoint(after, i) !== L.agreementPoint(before, i, L.source(after, i))) return false
          }
        }
        return true
      }
    },
    {
      name: "RejoinedLogIsPrefixOfPrimary",
      description: "when a coordinator finishes while its primary still leads in the rejoin term, its log is a prefix of the primary's",
      holds(before, after) {
        for (let i = 0; i < n; i++) {
          if (L.phase(before, i) !== EMITTED || L.phase(after, i) !== IDLE) continue
          const j = L.source(before, i)
          if (L.isLeader(before, j) && L.term(before, j) === L.rejoinTerm(before, i) && !L.isPrefix(after, i, j)) return false
        }
        return true
      }
    },
    {
      name: "CommitPointMonotonic",
      description: "no step lowers a server's learned commit point (ordered by term, then index)",
      holds(before, after) {
        for (let i = 0; i < n; i++) {
          const tb = L.cpTerm(before, i)
          const ta = L.cpTerm(after, i)
          if (ta < tb || (ta === tb && L.cpIndex(after, i) < L.cpIndex(before, i))) return false
        }
        return true
      }
    }
  ]
}
