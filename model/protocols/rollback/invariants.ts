/** The rollback protocol's invariants (spec/adr/0001-deposed-primary-rollback.md names each one). */
import { NoTwoPrimariesInSameTerm } from "../raftmongo/invariants.js"
import { len, logTerm, Role } from "../raftmongo/state.js"
import { Phase, RollbackState, type RollbackStateView } from "./state.js"

/** Does server i's log hold the entry (term, index)? */
const holds = (s: RollbackStateView, i: number, term: number, index: number) => len(s, i) >= index && logTerm(s, i, index) === term

/** Highest k such that the first k entries of both logs are equal (the definition, not a shortcut). */
function agreementPoint(s: RollbackStateView, i: number, j: number): number {
  const m = Math.min(len(s, i), len(s, j))
  let k = 0
  while (k < m && logTerm(s, i, k + 1) === logTerm(s, j, k + 1)) k++
  return k
}

/** Is server i's log (in `s`) a prefix of server j's (in `t`)? */
function isPrefix(s: RollbackStateView, i: number, j: number): boolean {
  return len(s, i) <= len(s, j) && agreementPoint(s, i, j) === len(s, i)
}

export const rollbackInvariants = [
  NoTwoPrimariesInSameTerm,
  RollbackState.stepInvariant("NeverRollbackCommitted", "no step removes an entry of committedEntries from any log", (before, after) => {
    for (let i = 1; i <= before.nodeCount; i++) {
      for (let index = 1; index <= len(before, i); index++) {
        const term = logTerm(before, i, index)
        if (before.committedEntries.has({ term, index }) && !holds(after, i, term, index)) return false
      }
    }
    return true
  }),
  RollbackState.stepInvariant("RollbackNeverSilent", "every entry a step removes from a log was in that server's rollback files before the step", (before, after) => {
    for (let i = 1; i <= before.nodeCount; i++) {
      for (let index = 1; index <= len(before, i); index++) {
        const term = logTerm(before, i, index)
        if (!holds(after, i, term, index) && !before.rollbackFiles.has(i, { term, index })) return false
      }
    }
    return true
  }),
  RollbackState.stepInvariant("RefuseBelowWatermark", "a step that shortens a log during a rollback keeps it at or above the watermark the plan saw", (before, after) => {
    for (let i = 1; i <= before.nodeCount; i++) {
      if (before.rollback.phase(i) !== Phase.Idle && len(after, i) < len(before, i) && len(after, i) < before.rollback.watermark(i)) return false
    }
    return true
  }),
  RollbackState.stepInvariant("CommonPointIsAgreementPoint", "a plan's common point is the highest index where the two logs' prefixes agree", (before, after) => {
    for (let i = 1; i <= before.nodeCount; i++) {
      if (before.rollback.phase(i) === Phase.Idle && after.rollback.phase(i) === Phase.Planned) {
        if (after.rollback.commonPoint(i) !== agreementPoint(before, i, after.rollback.source(i))) return false
      }
    }
    return true
  }),
  RollbackState.stepInvariant(
    "RejoinedLogIsPrefixOfPrimary",
    "when a coordinator finishes while its primary still leads in the rejoin term, its log is a prefix of the primary's",
    (before, after) => {
      for (let i = 1; i <= before.nodeCount; i++) {
        if (before.rollback.phase(i) !== Phase.Emitted || after.rollback.phase(i) !== Phase.Idle) continue
        const j = before.rollback.source(i)
        if (before.state(j) === Role.Leader && before.currentTerm(j) === before.rollback.rejoinTerm(i) && !isPrefix(after, i, j)) return false
      }
      return true
    }
  ),
  RollbackState.stepInvariant("CommitPointMonotonic", "no step lowers a server's learned commit point (ordered by term, then index)", (before, after) => {
    for (let i = 1; i <= before.nodeCount; i++) {
      const tb = before.commitPoint.term(i)
      const ta = after.commitPoint.term(i)
      if (ta < tb || (ta === tb && after.commitPoint.index(i) < before.commitPoint.index(i))) return false
    }
    return true
  })
]
