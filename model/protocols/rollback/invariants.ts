/**
 * The rollback protocol's invariants (spec/adr/0001-deposed-primary-rollback.md names each one).
 * They speak of data: entries of logs, the key versions a store serves, the entries operator
 * events name, and the ghost history of what was committed and what was removed.
 *
 * The loops over every [term, index] are written out in each invariant's own function on purpose:
 * they run on every state, and a shared helper taking a callback made the default search about
 * 20% slower (21.4-22.4 s against 17.8 s, 2 workers).
 *
 * Sets of entries are walked member by member (`collect`, into a scratch array: no callback, no
 * allocation), never over every [term, index] the bounds allow: the same invariants then check a
 * trace validated without bounds, where terms and indexes have no ceiling.
 *
 * That function finds the first offender and returns it as a number (0 when none: a server), or,
 * when the offender is an entry, records it in `found` and returns whether there is one, so that
 * `holds` allocates nothing; the witness, run only on a counterexample, calls it again and reads
 * the offender.
 */
import { unchanged } from "../../kit/index.js"
import { NoTwoPrimariesInSameTerm } from "../raftmongo/invariants.js"
import { isMajority, len, logTerm, Role } from "../raftmongo/state.js"
import { holdsEntry, Phase, RollbackState, type RollbackStateView } from "./state.js"

/** Highest k such that the first k entries of both logs are equal (the definition, not a shortcut). */
function agreementPoint(s: RollbackStateView, i: number, j: number): number {
  const m = Math.min(len(s, i), len(s, j))
  let k = 0
  while (k < m && logTerm(s, i, k + 1) === logTerm(s, j, k + 1)) k++
  return k
}

/** Is server i's log (in `s`) a prefix of server j's? */
function isPrefix(s: RollbackStateView, i: number, j: number): boolean {
  return len(s, i) <= len(s, j) && agreementPoint(s, i, j) === len(s, i)
}

/** Are server i's key versions the first entries of its log, term for term (all of them when `whole`)? */
function keyVersionsFollowLog(s: RollbackStateView, i: number, whole: boolean): boolean {
  const n = s.keyVersions.length(i)
  if (n > len(s, i) || (whole && n !== len(s, i))) return false
  for (let k = 1; k <= n; k++) if (s.keyVersions.term(i, k) !== logTerm(s, i, k)) return false
  return true
}

/** Does server i start to serve writes in this step: its log grows, or it becomes a leader? */
const startsServing = (before: RollbackStateView, after: RollbackStateView, i: number) =>
  len(after, i) > len(before, i) || (after.state(i) === Role.Leader && before.state(i) !== Role.Leader)

/** The offending server (0 for the cluster) and entry that the last search which found one found. */
const found = { server: 0, term: 0, index: 0 }
/** Records an offender; true, so that a search can end with `&& offender(...)`. */
function offender(i: number, term: number, index: number): true {
  found.server = i
  found.term = term
  found.index = index
  return true
}

/** "entry [term 1, index 2]" */
const entryAt = (term: number, index: number) => `entry [term ${term}, index ${index}]`
/** "[term 1, index 2]": server i's learned commit point. */
const commitPointOf = (s: RollbackStateView, i: number) => `[term ${s.commitPoint.term(i)}, index ${s.commitPoint.index(i)}]`
/** "server 2", "servers 1 and 3", "servers 1, 2 and 4": the servers of a (non-empty) bitmask. */
function serverList(mask: number): string {
  const ids: number[] = []
  for (let i = 1; 1 << (i - 1) <= mask; i++) if (mask & (1 << (i - 1))) ids.push(i)
  if (ids.length === 1) return `server ${ids[0]}`
  return `servers ${ids.slice(0, -1).join(", ")} and ${ids[ids.length - 1]}`
}

/** The servers whose log holds entry (term, index), as a bitmask. */
function holders(s: RollbackStateView, term: number, index: number): number {
  let mask = 0
  for (let i = 1; i <= s.nodeCount; i++) if (holdsEntry(s, i, term, index)) mask |= 1 << (i - 1)
  return mask
}

/** Scratch for `collect`: entries as term, index, term, index, ... */
const entries: number[] = []

/** Is there a committed entry that a majority of the logs does not hold? (It is `found`.) */
function entryOffMajority(s: RollbackStateView): boolean {
  const n = s.committedEntries.collect(entries)
  for (let k = 0; k < 2 * n; k += 2) if (!isMajority(s, holders(s, entries[k]!, entries[k + 1]!))) return offender(0, entries[k]!, entries[k + 1]!)
  return false
}

/** Did the step remove from a server's log an entry at or below its learned commit point's index? (It is `found`.) */
function knownCommittedRemoved(before: RollbackStateView, after: RollbackStateView): boolean {
  for (let i = 1; i <= before.nodeCount; i++) {
    // A log the step left alone lost nothing.
    if (unchanged(before, after, "log", i)) continue
    const upTo = Math.min(before.commitPoint.index(i), len(before, i))
    for (let index = 1; index <= upTo; index++) {
      const term = logTerm(before, i, index)
      if (!holdsEntry(after, i, term, index)) return offender(i, term, index)
    }
  }
  return false
}

/** Does a server start to serve in the step with an entry removed from its log that no event of its names? (It is `found`.) */
function unannouncedRemoval(before: RollbackStateView, after: RollbackStateView): boolean {
  for (let i = 1; i <= before.nodeCount; i++) {
    if (!startsServing(before, after, i)) continue
    const n = before.removed.collect(i, entries)
    for (let k = 0; k < 2 * n; k += 2) if (!before.events.has(i, { term: entries[k]!, index: entries[k + 1]! })) return offender(i, entries[k]!, entries[k + 1]!)
  }
  return false
}

/** Does an operator event of a server name an entry that was not removed from its log? (It is `found`.) */
function eventOfKeptEntry(s: RollbackStateView): boolean {
  for (let i = 1; i <= s.nodeCount; i++) {
    const n = s.events.collect(i, entries)
    for (let k = 0; k < 2 * n; k += 2) if (!s.removed.has(i, { term: entries[k]!, index: entries[k + 1]! })) return offender(i, entries[k]!, entries[k + 1]!)
  }
  return false
}

/** The first server whose key versions do not follow its log, or 0. */
function keyVersionsOffLog(s: RollbackStateView): number {
  for (let i = 1; i <= s.nodeCount; i++) if (!keyVersionsFollowLog(s, i, s.rollback.phase(i) === Phase.Idle)) return i
  return 0
}

/** Did the step remove from a log an entry that was not in the server's rollback files? (It is `found`.) */
function removedUnsaved(before: RollbackStateView, after: RollbackStateView): boolean {
  for (let i = 1; i <= before.nodeCount; i++) {
    // A log the step left alone lost nothing.
    if (unchanged(before, after, "log", i)) continue
    for (let index = 1; index <= len(before, i); index++) {
      const term = logTerm(before, i, index)
      if (!holdsEntry(after, i, term, index) && !before.rollbackFiles.has(i, { term, index })) return offender(i, term, index)
    }
  }
  return false
}

/** Did the step remove a committed entry from a server's log? (It is `found`.) */
function committedRemoved(before: RollbackStateView, after: RollbackStateView): boolean {
  for (let i = 1; i <= before.nodeCount; i++) {
    // A log the step left alone lost nothing.
    if (unchanged(before, after, "log", i)) continue
    for (let index = 1; index <= len(before, i); index++) {
      const term = logTerm(before, i, index)
      if (before.committedEntries.has({ term, index }) && !holdsEntry(after, i, term, index)) return offender(i, term, index)
    }
  }
  return false
}

/** The first server whose new plan's common point is not the agreement point with its source, or 0. */
function wrongCommonPoint(before: RollbackStateView, after: RollbackStateView): number {
  for (let i = 1; i <= before.nodeCount; i++) {
    if (before.rollback.phase(i) === Phase.Idle && after.rollback.phase(i) === Phase.Planned) {
      if (after.rollback.commonPoint(i) !== agreementPoint(before, i, after.rollback.source(i))) return i
    }
  }
  return 0
}

/** The first coordinator that finishes, its source leading in the rejoin term, with a log not a prefix of the source's, or 0. */
function rejoinedOffPrimary(before: RollbackStateView, after: RollbackStateView): number {
  for (let i = 1; i <= before.nodeCount; i++) {
    if (before.rollback.phase(i) !== Phase.Emitted || after.rollback.phase(i) !== Phase.Idle) continue
    const j = before.rollback.source(i)
    if (before.state(j) === Role.Leader && before.currentTerm(j) === before.rollback.rejoinTerm(i) && !isPrefix(after, i, j)) return i
  }
  return 0
}

/** The first server whose learned commit point the step lowers, or 0. */
function commitPointLowered(before: RollbackStateView, after: RollbackStateView): number {
  for (let i = 1; i <= before.nodeCount; i++) {
    const tb = before.commitPoint.term(i)
    const ta = after.commitPoint.term(i)
    if (ta < tb || (ta === tb && after.commitPoint.index(i) < before.commitPoint.index(i))) return i
  }
  return 0
}

export const rollbackInvariants = () => [
  NoTwoPrimariesInSameTerm,
  RollbackState.invariant(
    "CommittedStaysOnMajority",
    "every committed entry is held by a majority of the servers' logs (cluster durability)",
    (s) => !entryOffMajority(s),
    (s) => {
      entryOffMajority(s)
      const { term, index } = found
      const mask = holders(s, term, index)
      const who = mask === 0 ? `no server of ${s.nodeCount} holds it` : `only ${serverList(mask)} of ${s.nodeCount} ${(mask & (mask - 1)) === 0 ? "holds" : "hold"} it`
      return `${entryAt(term, index)} is committed, but ${who}`
    }
  ),
  RollbackState.stepInvariant(
    "NeverTruncateKnownCommitted",
    "no step removes from a server's log an entry at or below that server's learned commit point",
    (before, after) => !knownCommittedRemoved(before, after),
    (before, after) => {
      knownCommittedRemoved(before, after)
      const i = found.server
      return `server ${i} removed ${entryAt(found.term, found.index)} from its log, at or below its commit point ${commitPointOf(before, i)}`
    }
  ),
  RollbackState.stepInvariant(
    "EveryRemovedEntryAnnounced",
    "a server appends to its log or becomes a leader only when every entry removed from its log is named by an operator event it emitted",
    (before, after) => !unannouncedRemoval(before, after),
    (before, after) => {
      unannouncedRemoval(before, after)
      const i = found.server
      const serves = len(after, i) > len(before, i) ? "appended to its log" : "became Leader"
      return `server ${i} ${serves} though no event of its names removed ${entryAt(found.term, found.index)}`
    }
  ),
  RollbackState.invariant(
    "EventsNameRemovedEntries",
    "every entry an operator event of a server names was removed from that server's log",
    (s) => !eventOfKeptEntry(s),
    (s) => {
      eventOfKeptEntry(s)
      return `an event of server ${found.server} names ${entryAt(found.term, found.index)}, never removed from its log`
    }
  ),
  RollbackState.invariant(
    "KeyVersionsMatchLog",
    "a server's key versions are the writes of the first entries of its log (never a write the log lost), and all of them when no rollback is in progress",
    (s) => keyVersionsOffLog(s) === 0,
    (s) => {
      const i = keyVersionsOffLog(s)
      const n = s.keyVersions.length(i)
      const versions = `${n} key version${n === 1 ? "" : "s"}`
      const entries = `${len(s, i)} entr${len(s, i) === 1 ? "y" : "ies"}`
      if (n > len(s, i)) return `server ${i} serves ${versions} but its log holds ${entries}`
      for (let k = 1; k <= n; k++) {
        if (s.keyVersions.term(i, k) !== logTerm(s, i, k)) return `server ${i} serves a key version of term ${s.keyVersions.term(i, k)} at index ${k}, where its log has term ${logTerm(s, i, k)}`
      }
      return `server ${i}, not rolling back, serves ${versions} but its log holds ${entries}`
    }
  ),
  RollbackState.stepInvariant(
    "RollbackFileBeforeTruncate",
    "every entry a step removes from a log was in that server's rollback files before the step",
    (before, after) => !removedUnsaved(before, after),
    (before, after) => {
      removedUnsaved(before, after)
      return `server ${found.server} removed ${entryAt(found.term, found.index)} from its log, not in its rollback files`
    }
  ),
  RollbackState.stepInvariant(
    "NeverRollbackCommitted",
    "no step removes a committed entry from any server's log (stronger than Raft promises: see CommittedStaysOnMajority)",
    (before, after) => !committedRemoved(before, after),
    (before, after) => {
      committedRemoved(before, after)
      return `server ${found.server} removed ${entryAt(found.term, found.index)}, committed, from its log`
    }
  ),
  RollbackState.stepInvariant(
    "CommonPointIsAgreementPoint",
    "a plan's common point is the highest index where the server's log and its source's agree on the whole prefix",
    (before, after) => wrongCommonPoint(before, after) === 0,
    (before, after) => {
      const i = wrongCommonPoint(before, after)
      const j = after.rollback.source(i)
      return `server ${i} planned with common point ${after.rollback.commonPoint(i)}, but its log and source server ${j}'s agree up to index ${agreementPoint(before, i, j)}`
    }
  ),
  RollbackState.stepInvariant(
    "RejoinedLogIsPrefixOfPrimary",
    "when a coordinator finishes while its source still leads in the rejoin term, its log is a prefix of the source's",
    (before, after) => rejoinedOffPrimary(before, after) === 0,
    (before, after) => {
      const i = rejoinedOffPrimary(before, after)
      const j = before.rollback.source(i)
      // Not a prefix: the log holds an entry past the agreement point, which the source's lacks.
      const index = agreementPoint(after, i, j) + 1
      return `server ${i} rejoined with ${entryAt(logTerm(after, i, index), index)}, which its source, server ${j}, Leader in term ${before.currentTerm(j)}, lacks`
    }
  ),
  RollbackState.stepInvariant(
    "CommitPointMonotonic",
    "no step lowers a server's learned commit point (ordered by term, then index)",
    (before, after) => commitPointLowered(before, after) === 0,
    (before, after) => {
      const i = commitPointLowered(before, after)
      return `server ${i}'s commit point went back from ${commitPointOf(before, i)} to ${commitPointOf(after, i)}`
    }
  )
]
