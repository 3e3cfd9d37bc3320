/**
 * Named design changes of the rollback protocol, each a diff of the base: one rule, or (for
 * `truncate-before-restoring-keys`) the order of two steps. The manifest and
 * spec/adr/0001-deposed-primary-rollback.md say what each one breaks, and at which bounds.
 */
import { nodes, replaceAction, type VariantDecl } from "../../kit/index.js"
import type { RaftBounds } from "../raftmongo/state.js"
import { raftMongoVariants } from "../raftmongo/variants.js"
import { replicationRules, restoreKeys, truncateLog, viewIsPlans, type CoordinatorRules } from "./actions.js"
import { ElectionState, raftElectionActions } from "./elections.js"
import type { RollbackRules } from "./index.js"
import { Phase, phaseName, RollbackState } from "./state.js"

type Variant = VariantDecl<RaftBounds, RollbackRules>

const coordinator = (change: (r: CoordinatorRules) => CoordinatorRules) => (r: RollbackRules) => ({ ...r, coordinator: change(r.coordinator) })
const replication = (change: (r: RollbackRules["replication"]) => RollbackRules["replication"]) => (r: RollbackRules) => ({ ...r, replication: change(r.replication) })

/** A RaftMongo variant, reused as the same change of the replication rules. */
function raftMongoVariant(name: string): Variant {
  const v = raftMongoVariants.find((x) => x.name === name)!
  return { name: v.name, summary: v.summary, rules: replication((r) => v.rules!(r as never, undefined as never) as never) }
}

/**
 * The two recovery steps the other way round: RollbackRecover truncates the log (after its checks),
 * RollbackTruncate's place is taken by the restore of the key versions.
 */
const logFirst = (rules: RollbackRules) => [
  RollbackState.action("RollbackRecover")
    .exists("i", nodes)
    .require(
      (s, a) => s.rollback.phase(a.i) === rules.coordinator.recoverFrom,
      "wrong-phase",
      (s, a) => `server ${a.i}'s rollback phase is ${phaseName(s.rollback.phase(a.i))}, not ${phaseName(rules.coordinator.recoverFrom)}`
    )
    .require((s, a) => rules.coordinator.planStillCurrent(s, a.i) && rules.coordinator.truncateAllowed(s, a.i), "stale-plan", "server {i}'s plan is stale")
    .then((t, a, s) => {
      truncateLog(t, a.i, s, rules.coordinator)
      t.rollback.setPhase(a.i, Phase.KeysRestored)
    }),
  RollbackState.action("RollbackRestoreKeys")
    .exists("i", nodes)
    .require((s, a) => s.rollback.phase(a.i) === Phase.KeysRestored, "wrong-phase", (s, a) => `server ${a.i}'s rollback phase is ${phaseName(s.rollback.phase(a.i))}, not KeysRestored`)
    .then((t, a, s) => {
      restoreKeys(t, a.i, s)
      t.rollback.setPhase(a.i, Phase.Recovered)
    })
]

const designVariants: readonly Variant[] = [
  {
    name: "recover-before-persist",
    summary: "the coordinator recovers right after planning, before the rollback file is written",
    rules: coordinator((r) => ({ ...r, recoverFrom: Phase.Planned }))
  },
  {
    name: "recover-stale-plan",
    summary: "recovery goes ahead even when the server no longer believes its plan's source leads in the plan's term",
    rules: coordinator((r) => ({ ...r, planStillCurrent: () => true, truncateAllowed: (s, i) => s.rollback.commonPoint(i) >= s.commitPoint.index(i) }))
  },
  {
    name: "no-term-lock",
    summary: "the server takes new terms and votes between the check of its plan and the truncation (the truncation still re-checks)",
    rules: coordinator((r) => ({ ...r, termLock: false }))
  },
  {
    name: "check-then-truncate",
    summary: "recovery checks its plan, then truncates with nothing held and nothing re-checked (the first reference coordinator)",
    rules: coordinator((r) => ({ ...r, termLock: false, truncateAllowed: () => true }))
  },
  {
    name: "plan-time-watermark-only",
    summary: "the truncation does not re-check the learned commit point; only the plan compared the common point with it",
    rules: coordinator((r) => ({ ...r, truncateAllowed: viewIsPlans }))
  },
  {
    name: "no-watermark-guard",
    summary: "neither the plan nor the truncation compares the common point with the learned commit point",
    rules: coordinator((r) => ({ ...r, planAllowed: () => true, truncateAllowed: viewIsPlans }))
  },
  raftMongoVariant("elect-without-majority"),
  {
    name: "learn-without-term-check",
    summary: "a server learns a commit point by heartbeat without the term check (RaftMongo's original LearnCommitPoint)",
    rules: replication((r) => ({ ...r, learnTermCheck: () => true }))
  },
  {
    name: "learn-without-term-check-and-no-watermark-guard",
    summary: "learn-without-term-check, and neither the plan nor the truncation compares the common point with the learned commit point",
    rules: (r) => ({
      replication: { ...r.replication, learnTermCheck: () => true },
      coordinator: { ...r.coordinator, planAllowed: () => true, truncateAllowed: viewIsPlans }
    })
  },
  {
    name: "vote-without-log-check",
    summary: "a voter accepts any candidate with no higher term, up to date or not",
    rules: replication((r) => ({ ...r, voterAccepts: (s, candidate, voter) => s.currentTerm(voter) <= s.currentTerm(candidate) }))
  },
  raftMongoVariant("commit-by-counting"),
  {
    name: "persist-failure-ignored",
    summary: "a failed write of the rollback file is treated as success, and recovery goes ahead",
    rules: coordinator((r) => ({ ...r, afterPersistFailure: Phase.Persisted }))
  },
  {
    name: "common-point-by-length",
    summary: "the plan takes the shorter log's length as the common point (assumes the shorter log is a prefix)",
    rules: coordinator((r) => ({ ...r, commonPoint: (s, i, j) => Math.min(s.log.length(i), s.log.length(j)) }))
  },
  {
    name: "raftmongo-commit-point-learning",
    summary: "learning from the sync source may lower the commit point, as RaftMongo's action does",
    rules: replication((r) => ({ ...r, learnOnlyHigher: false }))
  },
  {
    name: "recover-forgets-commit-point",
    summary: "the truncation resets the learned commit point to [0, 0] along with the log",
    rules: coordinator((r) => ({ ...r, recoverForgetsCommitPoint: true }))
  },
  {
    name: "truncate-before-restoring-keys",
    summary: "recovery truncates the log first and restores the key versions in a second step (a crash between them leaves keys reading values the log no longer holds)",
    actions: (actions, _b, rules) => replaceAction(replaceAction(actions, "RollbackAbort"), "RollbackRecover", ...logFirst(rules)).filter((a) => a.name !== "RollbackTruncate")
  },
  {
    name: "no-replay-on-restart",
    summary: "a restart does not replay the log into the key versions (a crash after the keys were restored leaves them behind the log)",
    rules: coordinator((r) => ({ ...r, replayOnRestart: false }))
  },
  {
    name: "resume-names-kept-entries",
    summary: "after a restart, the event names every pending entry, also those the crash kept in the log",
    rules: coordinator((r) => ({ ...r, resumeNamesOnlyLost: false }))
  },
  {
    name: "volatile-event-marker",
    summary: "the \"event pending\" marker is kept in memory, so a crash after the truncation loses the event",
    rules: coordinator((r) => ({ ...r, durableEventMarker: false }))
  },
  {
    name: "no-abort",
    summary: "a check that fails leaves the coordinator waiting for it to pass (no RollbackAbort): a stale plan never ends (liveness)",
    actions: (actions) => actions.filter((a) => a.name !== "RollbackAbort")
  }
]

/**
 * Elections as an implementation runs them (elections.ts): candidates that take a new term and
 * vote for themselves, votes granted one by one, elections lost. On the base design, and on each
 * variant that changes who may be elected, so that the verdicts can be compared with the magic
 * election's (the manifest and ADR 0001 record them).
 */
function raftElectionVariant(base: Variant | undefined, name: string, summary: string): Variant {
  return {
    name,
    summary,
    state: ElectionState,
    ...(base?.rules ? { rules: base.rules } : {}),
    // The rules as rollback's replication actions use them (a server mid-rollback neither campaigns nor votes while locked).
    actions: (actions, b, rules) => raftElectionActions(base?.actions ? base.actions(actions, b, rules) : actions, replicationRules(rules.replication, rules.coordinator))
  }
}

export const rollbackVariants: readonly Variant[] = [
  ...designVariants,
  raftElectionVariant(
    undefined,
    "raft-elections",
    "elections as a Raft node runs them: StartElection (a new term, a vote for itself), GrantVote one voter at a time, BecomeLeader on a quorum; an election may be lost"
  ),
  ...["elect-without-majority", "vote-without-log-check", "no-term-lock"].map((name) =>
    raftElectionVariant(
      designVariants.find((v) => v.name === name)!,
      `raft-elections-${name}`,
      `${name}, with raft-elections' elections`
    )
  )
]
