/**
 * Elections as a Raft implementation runs and logs them, for the rollback protocol's variant
 * `raft-elections` (and the election variants built on it). RaftMongo's BecomePrimaryByMagic
 * elects a leader in one step: the candidate and a quorum of voters move to the new term at once.
 * A real node cannot do that: it increments its own term and votes for itself (StartElection),
 * each voter grants its vote on its own (GrantVote, which moves the voter to the candidate's term),
 * and the candidate becomes leader once a quorum has voted (BecomeLeader). An election is lost
 * when the candidate's term moves on (a heartbeat of a higher term, or of a leader of its own
 * term) or when it starts another. Each node votes at most once per term (`votedFor`).
 *
 * Every guard reads the acting node's own variables and what the step's message carries (the
 * candidate's term and log for a vote, the votes received for BecomeLeader). The replication rules
 * decide as for the magic election: who may campaign (`mayChangeLog`), whom a voter accepts
 * (`voterAccepts`), what a quorum is (`electionQuorum`); so a variant of those rules is the same
 * change here.
 */
import { defineState, extendAction, nodeOrNone, nodes, nodeSet, perNode, replaceAction, type Action, type NextView, type PreView, type StateView } from "../../kit/index.js"
import type { Rules } from "../raftmongo/actions.js"
import { isLeader, Role, type RaftBounds } from "../raftmongo/state.js"
import { NO_LEADER, rollbackVariables, type RollbackView } from "./state.js"

/** The rollback protocol's variables, and each node's vote and the votes it has received as a candidate. */
export const electionVariables = (b: RaftBounds) => ({
  ...rollbackVariables(b),
  /** The node this node voted for in its current term; 0 when it has not voted in it. */
  votedFor: perNode(nodeOrNone),
  /** As a candidate in its current term, the nodes that voted for it (itself included); empty otherwise. */
  votes: perNode(nodeSet)
})

export const ElectionState = defineState(electionVariables)
type Decl = ReturnType<typeof electionVariables>
export type ElectionView = PreView<Decl>
export type ElectionNext = NextView<Decl>
export type ElectionStateView = StateView<Decl>

/** A node's term moved to `term` by a message: it follows, knows no leader yet, has not voted in it and campaigns no more. */
function enterTerm(t: ElectionNext, i: number, term: number): void {
  t.setCurrentTerm(i, term)
  t.setState(i, Role.Follower)
  t.setLeaderView(i, NO_LEADER)
  t.setVotedFor(i, NO_LEADER)
  t.votes.setMask(i, 0)
}

/** Is node i campaigning in its current term? */
const campaigning = (s: ElectionView, i: number) => s.votes.mask(i) !== 0

/**
 * The rollback protocol's actions with real elections: BecomePrimaryByMagic replaced by
 * StartElection, GrantVote and BecomeLeader, and the heartbeats that move a term ending a campaign.
 * `actions` are the rollback actions (of any variant), `rules` their replication rules as
 * rollback applies them (`replicationRules`: a server mid-rollback does not campaign, a server
 * holding the term lock does not vote).
 */
export function raftElectionActions(actions: readonly Action[], rules: Rules<RollbackView>): Action[] {
  const s = (v: ElectionView) => v as unknown as RollbackView
  const start = ElectionState.action("StartElection")
    .exists("i", nodes)
    .require((v, a) => !isLeader(v, a.i), "leader", "server {i} is a leader")
    .require((v, a) => rules.mayChangeLog(s(v), a.i), "busy", "server {i} may not campaign now")
    .then((t, a, v) => {
      enterTerm(t, a.i, v.currentTerm(a.i) + 1)
      t.setVotedFor(a.i, a.i)
      t.votes.setMask(a.i, 1 << (a.i - 1))
    })
  const grant = ElectionState.action("GrantVote")
    .exists("i", nodes)
    .exists("j", nodes)
    .require((v, a) => a.i !== a.j && campaigning(v, a.j), "not-candidate", "server {j} is not campaigning")
    .require((v, a) => !v.votes.has(a.j, a.i), "voted", "server {i} has voted for server {j} already")
    .require((v, a) => rules.voterAccepts(s(v), a.j, a.i), "vote-refused", (_v, a) => `server ${a.i} does not vote for server ${a.j} (its log is ahead, its term is higher, or it holds the term lock)`)
    .require(
      (v, a) => v.currentTerm(a.i) < v.currentTerm(a.j) || v.votedFor(a.i) === NO_LEADER,
      "voted-in-term",
      (v, a) => `server ${a.i} voted for server ${v.votedFor(a.i)} in term ${v.currentTerm(a.i)} already`
    )
    .then((t, a, v) => {
      if (v.currentTerm(a.i) < v.currentTerm(a.j)) enterTerm(t, a.i, v.currentTerm(a.j))
      t.setVotedFor(a.i, a.j)
      t.votes.add(a.j, a.i)
    })
  const lead = ElectionState.action("BecomeLeader")
    .exists("i", nodes)
    .require((v, a) => campaigning(v, a.i), "not-candidate", "server {i} is not campaigning")
    .require((v, a) => rules.electionQuorum(s(v), v.votes.mask(a.i)), "no-quorum", (v, a) => `the votes server ${a.i} has are not a quorum (${v.votes.size(a.i)} of ${v.nodeCount})`)
    .then((t, a) => {
      t.setState(a.i, Role.Leader)
      t.setLeaderView(a.i, a.i)
      t.votes.setMask(a.i, 0)
    })
  let out = replaceAction(actions, "BecomePrimaryByMagic", start as Action, grant as Action, lead as Action) as Array<Action<ElectionView, ElectionNext>>
  // A higher term from a heartbeat: the node has not voted in it, and campaigns no more.
  out = extendAction(out, "UpdateTermThroughHeartbeat", {
    then: (t, a) => {
      t.setVotedFor(a.i, NO_LEADER)
      t.votes.setMask(a.i, 0)
    }
  })
  // A leader of the node's own term, or of a higher one: a campaign in it is lost.
  out = extendAction(out, "LearnLeaderThroughHeartbeat", {
    then: (t, a, v) => {
      if (v.currentTerm(a.j) > v.currentTerm(a.i)) t.setVotedFor(a.i, NO_LEADER)
      t.votes.setMask(a.i, 0)
    }
  })
  return out as Action[]
}
