/**
 * The actions of RaftMongo.tla, in the order of its `Next`. Every existential choice of the TLA+
 * action (`\E lastAppended`, `\E ayeVoters`, `\E numEntries`, `\E acknowledgers`,
 * `\E committedIndex`) is a choice of the chain, so each witness is its own successor, as TLC
 * counts them. The guards a design change is likely to touch are `Rules`, so a variant is a
 * one-line diff.
 */
import { action, between, hasNode, nodeIds, nodes, nodeSets, type Action, type NextView } from "../../kit/index.js"
import {
  agree,
  canRollbackOplog,
  canSyncFrom,
  commitPointLessThan,
  isLeader,
  isMajority,
  lastTerm,
  len,
  logsEqual,
  logTerm,
  notBehind,
  Role,
  type RaftBounds,
  type RaftView,
  type raftMongoVariables
} from "./state.js"

type RaftNext = NextView<ReturnType<typeof raftMongoVariables>>

/** Guards that variants (and protocols built on RaftMongo) may replace. */
export interface Rules<V extends RaftView = RaftView> {
  /** BecomePrimaryByMagic: may this set of voters (bitmask) elect a primary? (IsMajority) */
  readonly electionQuorum: (s: V, voters: number) => boolean
  /** BecomePrimaryByMagic: may `voter` vote for `candidate`? (NotBehind and no higher term) */
  readonly voterAccepts: (s: V, candidate: number, voter: number) => boolean
  /** Extra guard on the candidate of BecomePrimaryByMagic and the recipient of AppendOplog. */
  readonly mayChangeLog: (s: V, i: number) => boolean
  /**
   * LearnCommitPointFromSyncSourceNeverBeyondLastApplied: is it enabled only when the commit
   * point it would set is higher than the learner's? (RaftMongo: no, so it can lower it)
   */
  readonly learnOnlyHigher: boolean
  /** AdvanceCommitPoint: may the leader commit at this index? (LogTerm = currentTerm[leader]) */
  readonly commitEligible: (s: V, leader: number, index: number) => boolean
  /** LearnCommitPointWithTermCheck: the term check (LastTerm(log[i]) = commitPoint[j].term). */
  readonly learnTermCheck: (s: V, i: number, j: number) => boolean
}

export const baseRules: Rules = {
  electionQuorum: (s, voters) => isMajority(s, voters),
  voterAccepts: (s, candidate, voter) => notBehind(s, candidate, voter) && s.currentTerm(voter) <= s.currentTerm(candidate),
  mayChangeLog: () => true,
  learnOnlyHigher: false,
  commitEligible: (s, leader, index) => logTerm(s, leader, index) === s.currentTerm(leader),
  learnTermCheck: (s, i, j) => lastTerm(s, i) === s.commitPoint.term(j)
}

const term = (s: RaftView, i: number) => s.currentTerm(i)

export function raftMongoActions<V extends RaftView>(b: RaftBounds, rules: Rules<V>): Array<Action<V, RaftNext>> {
  const act = (name: string) => action<V, RaftNext>(name)
  return [
    act("AppendOplog")
      .exists("i", nodes)
      .require((s, a) => !isLeader(s, a.i), "leader", "server {i} is a leader")
      .require((s, a) => rules.mayChangeLog(s, a.i), "busy", "server {i} may not change its log now")
      .exists("j", nodes)
      .require((s, a) => canSyncFrom(s, a.i, a.j), "cannot-sync", "server {i} cannot sync from server {j} (its log does not extend server {i}'s)")
      .exists("lastAppended", between<V, { i: number; j: number }>((s, a) => len(s, a.i) + 1, (s, a) => len(s, a.j)))
      .then((t, a, s) => {
        for (let k = len(s, a.i) + 1; k <= a.lastAppended; k++) t.log.push(a.i, { term: logTerm(s, a.j, k) })
      }),
    act("RollbackOplog")
      .exists("i", nodes)
      .exists("j", nodes)
      .require((s, a) => canRollbackOplog(s, a.i, a.j), "not-diverged", "server {i}'s log has not diverged from server {j}'s")
      .then((t, a) => t.log.pop(a.i)),
    act("BecomePrimaryByMagic")
      .exists("i", nodes)
      .require((s, a) => rules.mayChangeLog(s, a.i), "busy", "server {i} may not campaign now")
      .let("eligible", (s, a) => {
        let mask = 0
        for (let j = 1; j <= s.nodeCount; j++) if (rules.voterAccepts(s, a.i, j)) mask |= 1 << (j - 1)
        return mask
      })
      .exists("ayeVoters", nodeSets)
      .require(
        (_s, a) => (a.ayeVoters & ~a.eligible) === 0,
        "vote-refused",
        (_s, a) => `server ${nodeIds(a.ayeVoters & ~a.eligible)[0]} does not vote for server ${a.i} (its log is ahead or its term is higher)`
      )
      .require((s, a) => rules.electionQuorum(s, a.ayeVoters), "no-quorum", (_s, a, given) =>
        given.has("ayeVoters") ? `servers {${nodeIds(a.ayeVoters).join(", ")}} are not a quorum` : `no quorum would vote for server ${a.i} (logs ahead or terms higher)`
      )
      .then((t, a, s) => {
        const next = term(s, a.i) + 1
        for (let k = 1; k <= s.nodeCount; k++) {
          const voter = hasNode(a.ayeVoters, k)
          if (voter) t.setState(k, k === a.i ? Role.Leader : Role.Follower)
          if (voter || k === a.i) t.setCurrentTerm(k, next)
        }
      }),
    act("Stepdown")
      .exists("i", nodes)
      .require((s, a) => isLeader(s, a.i), "not-leader", "server {i} is not a leader")
      .then((t, a) => t.setState(a.i, Role.Follower)),
    act("ClientWrite")
      .exists("i", nodes)
      .require((s, a) => isLeader(s, a.i), "not-leader", "server {i} is not a leader")
      .exists("numEntries", between(1, b.maxClientWriteSize))
      .then((t, a, s) => {
        for (let e = 0; e < a.numEntries; e++) t.log.push(a.i, { term: term(s, a.i) })
      }),
    act("UpdateTermThroughHeartbeat")
      .exists("i", nodes)
      .exists("j", nodes)
      .require((s, a) => term(s, a.j) > term(s, a.i), "term-not-higher", (s, a) => `server ${a.j}'s term ${term(s, a.j)} is not higher than server ${a.i}'s ${term(s, a.i)}`)
      .then((t, a, s) => {
        t.setCurrentTerm(a.i, term(s, a.j))
        t.setState(a.i, Role.Follower)
      }),
    act("AdvanceCommitPoint")
      .exists("leader", nodes)
      .require((s, a) => isLeader(s, a.leader), "not-leader", "server {leader} is not a leader")
      .exists("committedIndex", between<V, { leader: number }>((s, a) => s.commitPoint.index(a.leader) + 1, (s, a) => len(s, a.leader)), [
        "nothing-to-commit",
        (s, a) => `server ${a.leader} has no entry above its commit point ${s.commitPoint.index(a.leader)}`
      ])
      .require(
        (s, a) => rules.commitEligible(s, a.leader, a.committedIndex),
        "old-term",
        (s, a) => `entry ${a.committedIndex} is not of server ${a.leader}'s term ${term(s, a.leader)}`
      )
      .let("allowed", (s, a) => {
        // Agree(leader, index), less the servers of a higher term.
        let lowTerm = 0
        for (let j = 1; j <= s.nodeCount; j++) if (term(s, j) <= term(s, a.leader)) lowTerm |= 1 << (j - 1)
        return agree(s, a.leader, a.committedIndex) & lowTerm
      })
      .exists("acknowledgers", nodeSets)
      .require((_s, a) => (a.acknowledgers & ~a.allowed) === 0, "not-acknowledged", (_s, a) =>
        `server ${nodeIds(a.acknowledgers & ~a.allowed)[0]} does not hold entry ${a.committedIndex} of server ${a.leader}'s log, or has a higher term`
      )
      .require((s, a) => isMajority(s, a.acknowledgers), "no-majority", "no majority holds entry {committedIndex} of server {leader}'s log")
      .showArgs("leader", "acknowledgers", "committedIndex")
      .then((t, a, s) => {
        const from = s.commitPoint.index(a.leader)
        t.commitPoint.setTerm(a.leader, logTerm(s, a.leader, a.committedIndex))
        t.commitPoint.setIndex(a.leader, a.committedIndex)
        for (let k = from + 1; k <= a.committedIndex; k++) t.ghost.committedEntries.add({ term: logTerm(s, a.leader, k), index: k })
      }),
    act("LearnCommitPointWithTermCheck")
      .exists("i", nodes)
      .exists("j", nodes)
      .require(
        (s, a) => rules.learnTermCheck(s, a.i, a.j),
        "term-check",
        (s, a) => `server ${a.i}'s last term ${lastTerm(s, a.i)} is not server ${a.j}'s commit point term ${s.commitPoint.term(a.j)}`
      )
      .require((s, a) => commitPointLessThan(s, a.i, a.j), "not-ahead", "server {j}'s commit point is not ahead of server {i}'s")
      .then((t, a, s) => {
        t.commitPoint.setTerm(a.i, s.commitPoint.term(a.j))
        t.commitPoint.setIndex(a.i, s.commitPoint.index(a.j))
      }),
    act("LearnCommitPointFromSyncSourceNeverBeyondLastApplied")
      .exists("i", nodes)
      .exists("j", nodes)
      .require((s, a) => canSyncFrom(s, a.i, a.j) || logsEqual(s, a.i, a.j), "not-sync-source", "server {j} is not a sync source of server {i}")
      .require((s, a) => commitPointLessThan(s, a.i, a.j), "not-ahead", "server {j}'s commit point is not ahead of server {i}'s")
      .let("capped", (s, a) => s.commitPoint.term(a.j) > lastTerm(s, a.i))
      .require(
        (s, a) => {
          if (!rules.learnOnlyHigher) return true
          const t = a.capped ? lastTerm(s, a.i) : s.commitPoint.term(a.j)
          const index = a.capped ? len(s, a.i) : s.commitPoint.index(a.j)
          return t > s.commitPoint.term(a.i) || (t === s.commitPoint.term(a.i) && index > s.commitPoint.index(a.i))
        },
        "not-higher",
        "the commit point server {i} would learn from server {j} is not higher than its own"
      )
      .then((t, a, s) => {
        t.commitPoint.setTerm(a.i, a.capped ? lastTerm(s, a.i) : s.commitPoint.term(a.j))
        t.commitPoint.setIndex(a.i, a.capped ? len(s, a.i) : s.commitPoint.index(a.j))
      })
  ]
}
