/**
 * RaftMongo's variables (the TLA+ spec's, one to one) and the helper operators of RaftMongo.tla,
 * read off typed views. Protocols built on RaftMongo (rollback) extend these variables.
 */
import { countNodes, defineState, ghost, global, oneOf, perNode, range, record, seqOf, setOf, uint, type PreView, type ReadableOf } from "../../kit/index.js"

export interface RaftBounds {
  readonly servers: number
  readonly maxTerm: number
  readonly maxLogLen: number
  readonly maxClientWriteSize: number
}

/** The longest a log can grow in a successor: MaxLogLen, then one ClientWrite beyond it. */
export const logCapacity = (b: RaftBounds) => b.maxLogLen + b.maxClientWriteSize

/** An entry of a log, as committedEntries and rollback files name it: [term, index]. */
export const entry = (b: RaftBounds) => record({ term: range(1, b.maxTerm), index: range(1, b.maxLogLen) })

/**
 * The variables of RaftMongo.tla. Terms reach MaxTerm + 1 in a successor outside the state
 * constraint (an election in term MaxTerm), logs MaxLogLen + MaxClientWriteSize.
 */
/** A server's role (RaftMongo's `state`). */
export const Role = oneOf("Follower", "Leader")

export const raftMongoVariables = (b: RaftBounds) => ({
  /** History: every [term, index] some leader has committed (read by invariants only). */
  committedEntries: ghost(global(setOf(entry(b)))),
  currentTerm: perNode(uint(b.maxTerm + 1)),
  state: perNode(Role),
  commitPoint: perNode(record({ term: uint(b.maxTerm + 1), index: uint(logCapacity(b)) })),
  log: perNode(seqOf(record({ term: uint(b.maxTerm + 1) }), logCapacity(b)))
})

export const RaftState = defineState(raftMongoVariables)
/** A readable RaftMongo state (the TLA+ variables' values). */
export type RaftMongoState = ReadableOf<typeof RaftState>

/** What RaftMongo's operators read: any state with RaftMongo's variables (rollback's too). */
export type RaftView = PreView<ReturnType<typeof raftMongoVariables>>

// The operators of RaftMongo.tla.

/** Len(log[i]) */
export const len = (s: RaftView, i: number): number => s.log.length(i)
/** LogTerm(i, index): the term of entry `index` of i's log, 0 for index 0 (GetTerm). */
export const logTerm = (s: RaftView, i: number, index: number): number => (index === 0 ? 0 : s.log.term(i, index))
/** LastTerm(log[i]) */
export const lastTerm = (s: RaftView, i: number): number => logTerm(s, i, s.log.length(i))
export const isLeader = (s: RaftView, i: number): boolean => s.state(i) === Role.Leader

/** CanSyncFrom(i, j): j's log extends i's. */
export function canSyncFrom(s: RaftView, i: number, j: number): boolean {
  const li = len(s, i)
  return li < len(s, j) && lastTerm(s, i) === logTerm(s, j, li)
}

/** NotBehind(me, j): me's log is at least as up to date as j's. */
export function notBehind(s: RaftView, me: number, j: number): boolean {
  const a = lastTerm(s, me)
  const b = lastTerm(s, j)
  return a > b || (a === b && len(s, me) >= len(s, j))
}

/** Agree(me, index): the servers whose log holds me's entry at `index`, as a bitmask. */
export function agree(s: RaftView, me: number, index: number): number {
  const t = logTerm(s, me, index)
  let mask = 0
  for (let k = 1; k <= s.nodeCount; k++) if (len(s, k) >= index && logTerm(s, k, index) === t) mask |= 1 << (k - 1)
  return mask
}

/** CommitPointLessThan(i, j) */
export function commitPointLessThan(s: RaftView, i: number, j: number): boolean {
  const ti = s.commitPoint.term(i)
  const tj = s.commitPoint.term(j)
  return ti < tj || (ti === tj && s.commitPoint.index(i) < s.commitPoint.index(j))
}

/** CanRollbackOplog(i, j): i's last entry is not in j's log, and j's last term is newer. */
export function canRollbackOplog(s: RaftView, i: number, j: number): boolean {
  const li = len(s, i)
  if (li === 0) return false
  const ti = lastTerm(s, i)
  return ti < lastTerm(s, j) && (li > len(s, j) || ti !== logTerm(s, j, li))
}

/** log[i] = log[j] */
export function logsEqual(s: RaftView, i: number, j: number): boolean {
  const li = len(s, i)
  if (li !== len(s, j)) return false
  for (let k = 1; k <= li; k++) if (logTerm(s, i, k) !== logTerm(s, j, k)) return false
  return true
}

/** IsMajority(servers), for a bitmask of servers. */
export const isMajority = (s: RaftView, mask: number): boolean => countNodes(mask) * 2 > s.nodeCount
