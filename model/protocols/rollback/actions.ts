/**
 * The rollback coordinator's steps (spec/adr/0001-deposed-primary-rollback.md), and what they need
 * from replication. Every guard of a coordinator step reads only the acting server's own state
 * (its log, key versions, term, role, learned commit point, leader view, coordinator, rollback
 * files and event marker) and what it received in that step (the log it fetched from its source).
 *
 * They replace RaftMongo's one-entry RollbackOplog. RaftMongo's other actions are reused, extended
 * so that each server keeps its own view of the leader (a heartbeat from a leader teaches it; a new
 * term without one clears it), applies what it logs to its key versions, and neither changes term
 * nor votes while it holds the term lock. The choices a design change is likely to touch are
 * `CoordinatorRules`.
 */
import { extendAction, hasNode, nodes, replaceAction, type Action } from "../../kit/index.js"
import type { Rules } from "../raftmongo/actions.js"
import { canRollbackOplog, isLeader, len, logTerm, Role } from "../raftmongo/state.js"
import { holdsEntry, NO_LEADER, Phase, phaseName, resetCoordinator, RollbackState, type PhaseCode, type RollbackNext, type RollbackView } from "./state.js"

export interface CoordinatorRules {
  /** The common point the plan computes against the log fetched from source j. */
  readonly commonPoint: (s: RollbackView, i: number, j: number) => number
  /** May the plan go ahead with this common point and the learned commit point's index? */
  readonly planAllowed: (common: number, watermark: number) => boolean
  /** The phase from which RollbackRecover starts (the rollback file written). */
  readonly recoverFrom: PhaseCode
  /** What RollbackPersistFails leaves: the phase after a failed write of the rollback file. */
  readonly afterPersistFailure: PhaseCode
  /**
   * RollbackRecover's check, on the server's own view: it still believes the plan's source leads,
   * in the plan's term.
   */
  readonly planStillCurrent: (s: RollbackView, i: number) => boolean
  /** Does the server hold the term lock from RollbackRecover until the truncation? */
  readonly termLock: boolean
  /**
   * RollbackTruncate's re-check, at the truncation: the server's term and view are still the plan's
   * and its current learned commit point is not above the common point. When it fails, RollbackAbort.
   */
  readonly truncateAllowed: (s: RollbackView, i: number) => boolean
  /** Does the truncation also forget the learned commit point (reset it to [0, 0])? */
  readonly recoverForgetsCommitPoint: boolean
  /** Does a restart replay the log into the key versions (startup recovery)? */
  readonly replayOnRestart: boolean
  /** Does the "event pending" marker survive a crash (written with the rollback file)? */
  readonly durableEventMarker: boolean
  /** After a restart, does the event name only the pending entries the log lost (or all of them)? */
  readonly resumeNamesOnlyLost: boolean
}

/** Highest index where i's log and the log fetched from j agree, found as the highest equal LogTerm. */
export function matchingTermPoint(s: RollbackView, i: number, j: number): number {
  for (let k = Math.min(len(s, i), len(s, j)); k > 0; k--) if (logTerm(s, i, k) === logTerm(s, j, k)) return k
  return 0
}

/** Does server i still believe its plan's source leads, in the plan's term? */
export const viewIsPlans = (s: RollbackView, i: number) => s.leaderView(i) === s.rollback.source(i) && s.currentTerm(i) === s.rollback.rejoinTerm(i)

export const baseCoordinator: CoordinatorRules = {
  commonPoint: matchingTermPoint,
  planAllowed: (common, watermark) => common >= watermark,
  recoverFrom: Phase.Persisted,
  afterPersistFailure: Phase.Idle,
  planStillCurrent: viewIsPlans,
  termLock: true,
  truncateAllowed: (s, i) => viewIsPlans(s, i) && s.rollback.commonPoint(i) >= s.commitPoint.index(i),
  recoverForgetsCommitPoint: false,
  replayOnRestart: true,
  durableEventMarker: true,
  resumeNamesOnlyLost: true
}

const phase = (s: RollbackView, i: number) => s.rollback.phase(i)
const inPhase = (wanted: PhaseCode) =>
  [
    (s: RollbackView, a: { i: number }) => phase(s, a.i) === wanted,
    "wrong-phase",
    (s: RollbackView, a: { i: number }) => `server ${a.i}'s rollback phase is ${phaseName(phase(s, a.i))}, not ${phaseName(wanted)}`
  ] as const

/** A coordinator step of server i, from one phase. */
export const coordinatorStep = (name: string, from: PhaseCode) =>
  RollbackState.action(name)
    .exists("i", nodes)
    .require(...inPhase(from))

/** Does server i hold the term lock? */
export const holdsTermLock = (s: RollbackView, i: number, rules: CoordinatorRules) => rules.termLock && phase(s, i) === Phase.KeysRestored

/** Is server i serving: no rollback in progress and no event owed? (Only then it appends or campaigns.) */
export const serving = (s: RollbackView, i: number) => phase(s, i) === Phase.Idle && s.pendingEvent.size(i) === 0

/** Apply what i's log holds beyond its key versions (the write path: log, then apply). */
export function applyLog(t: RollbackNext, i: number): void {
  for (let k = t.keyVersions.length(i) + 1; k <= t.log.length(i); k++) t.keyVersions.push(i, { term: t.log.term(i, k) })
}

/** Truncate i's log to the common point, recording what it removed. */
export function truncateLog(t: RollbackNext, i: number, s: RollbackView, rules: CoordinatorRules): void {
  const common = s.rollback.commonPoint(i)
  for (let k = common + 1; k <= len(s, i); k++) t.ghost.removed.add(i, { term: logTerm(s, i, k), index: k })
  t.log.truncate(i, common)
  if (rules.recoverForgetsCommitPoint) {
    t.commitPoint.setTerm(i, 0)
    t.commitPoint.setIndex(i, 0)
  }
}

/** Restore i's key versions to those visible at the common point. */
export function restoreKeys(t: RollbackNext, i: number, s: RollbackView): void {
  t.keyVersions.truncate(i, Math.min(s.rollback.commonPoint(i), s.keyVersions.length(i)))
}

const staleMessage = (s: RollbackView, a: { i: number }) =>
  `server ${a.i}'s plan is stale: it no longer believes server ${s.rollback.source(a.i)} leads in term ${s.rollback.rejoinTerm(a.i)} (its term is ${s.currentTerm(a.i)})`

/** The coordinator's steps of the base design. */
export function coordinatorActions(rules: CoordinatorRules): Array<Action<RollbackView, RollbackNext>> {
  return [
    RollbackState.action("RollbackPlan")
      .exists("i", nodes)
      .require(...inPhase(Phase.Idle))
      .require((s, a) => s.pendingEvent.size(a.i) === 0, "event-pending", "server {i} still owes the event of an earlier rollback")
      .require((s, a) => !isLeader(s, a.i), "leader", "server {i} is a leader")
      .exists("j", nodes)
      .require((s, a) => s.leaderView(a.i) === a.j, "not-its-leader", (s, a) =>
        s.leaderView(a.i) === NO_LEADER ? `server ${a.i} knows no leader in its term ${s.currentTerm(a.i)}` : `server ${a.i} believes server ${s.leaderView(a.i)} leads, not server ${a.j}`
      )
      .require((s, a) => canRollbackOplog(s, a.i, a.j), "not-diverged", "server {i}'s log has not diverged from the log of server {j}")
      .let("common", (s, a) => rules.commonPoint(s, a.i, a.j))
      .require((s, a) => rules.planAllowed(a.common, s.commitPoint.index(a.i)), "below-watermark", (s, a) => `refused: the common point ${a.common} is below the watermark ${s.commitPoint.index(a.i)}`)
      .then((t, a, s) => {
        t.rollback.setPhase(a.i, Phase.Planned)
        t.rollback.setSource(a.i, a.j)
        t.rollback.setCommonPoint(a.i, a.common)
        t.rollback.setWatermark(a.i, s.commitPoint.index(a.i))
        t.rollback.setRejoinTerm(a.i, s.currentTerm(a.i))
      }),
    coordinatorStep("RollbackPersist", Phase.Planned).then((t, a, s) => {
      for (let k = s.rollback.commonPoint(a.i) + 1; k <= len(s, a.i); k++) {
        t.rollbackFiles.add(a.i, { term: logTerm(s, a.i, k), index: k })
        t.pendingEvent.add(a.i, { term: logTerm(s, a.i, k), index: k })
      }
      t.rollback.setPhase(a.i, Phase.Persisted)
    }),
    coordinatorStep("RollbackPersistFails", Phase.Planned).then((t, a) => {
      if (rules.afterPersistFailure === Phase.Idle) resetCoordinator(t, a.i)
      else t.rollback.setPhase(a.i, rules.afterPersistFailure)
    }),
    coordinatorStep("RollbackRecover", rules.recoverFrom)
      .require((s, a) => rules.planStillCurrent(s, a.i), "stale-plan", staleMessage)
      .then((t, a, s) => {
        restoreKeys(t, a.i, s)
        t.rollback.setPhase(a.i, Phase.KeysRestored)
      }),
    coordinatorStep("RollbackTruncate", Phase.KeysRestored)
      .require((s, a) => rules.truncateAllowed(s, a.i), "recheck-failed", (s, a) =>
        viewIsPlans(s, a.i) ? `the common point ${s.rollback.commonPoint(a.i)} is below server ${a.i}'s commit point ${s.commitPoint.index(a.i)}` : staleMessage(s, a)
      )
      .then((t, a, s) => {
        truncateLog(t, a.i, s, rules)
        t.rollback.setPhase(a.i, Phase.Recovered)
      }),
    // A check that fails gives up: before the keys are restored (the plan went stale) or at the
    // truncation. Nothing was removed from the log: the key versions catch up with it, no event is owed.
    RollbackState.action("RollbackAbort")
      .exists("i", nodes)
      .require(
        (s, a) => phase(s, a.i) === rules.recoverFrom || phase(s, a.i) === Phase.KeysRestored,
        "wrong-phase",
        (s, a) => `server ${a.i}'s rollback phase is ${phaseName(phase(s, a.i))}, not ${phaseName(rules.recoverFrom)} or KeysRestored`
      )
      .require(
        (s, a) => (phase(s, a.i) === Phase.KeysRestored ? !rules.truncateAllowed(s, a.i) : !rules.planStillCurrent(s, a.i)),
        "check-passes",
        "server {i}'s check of its plan passes"
      )
      .then((t, a) => {
        applyLog(t, a.i)
        t.pendingEvent.clear(a.i)
        resetCoordinator(t, a.i)
      }),
    coordinatorStep("RollbackEmitEvent", Phase.Recovered).then((t, a, s) => {
      s.pendingEvent.forEach(a.i, (e) => t.ghost.events.add(a.i, e))
      t.pendingEvent.clear(a.i)
      t.rollback.setPhase(a.i, Phase.Emitted)
    }),
    coordinatorStep("RollbackRejoin", Phase.Emitted).then((t, a) => resetCoordinator(t, a.i)),
    RollbackState.action("Crash")
      .exists("i", nodes)
      .require((s, a) => phase(s, a.i) !== Phase.Idle, "no-rollback", "server {i} has no rollback in progress")
      .then((t, a) => {
        resetCoordinator(t, a.i)
        if (rules.replayOnRestart) applyLog(t, a.i)
        if (!rules.durableEventMarker) t.pendingEvent.clear(a.i)
      }),
    RollbackState.action("RollbackResume")
      .exists("i", nodes)
      .require(...inPhase(Phase.Idle))
      .require((s, a) => s.pendingEvent.size(a.i) > 0, "no-event-pending", "server {i} owes no event")
      .then((t, a, s) => {
        // After a restart: the entries the log no longer holds were rolled back and get their event;
        // the ones it still holds were not (the crash came before the truncation).
        s.pendingEvent.forEach(a.i, (e) => {
          if (!(rules.resumeNamesOnlyLost && holdsEntry(s, a.i, e.term, e.index))) t.ghost.events.add(a.i, e)
        })
        t.pendingEvent.clear(a.i)
      })
  ]
}

/**
 * RaftMongo's actions as the rollback protocol runs them: without RollbackOplog, with leader
 * views, key versions and the term lock. `raft` are RaftMongo's actions built with `replication`.
 */
export function replicationActions(
  raft: ReadonlyArray<Action<RollbackView, RollbackNext>>,
  rules: CoordinatorRules
): Array<Action<RollbackView, RollbackNext>> {
  const unlocked = [(s: RollbackView, a: { i: number }) => !holdsTermLock(s, a.i, rules), "term-locked", "server {i} holds the term lock"] as const
  let actions = replaceAction(raft as Action[], "RollbackOplog") as Array<Action<RollbackView, RollbackNext>>
  actions = extendAction(actions, "AppendOplog", { then: (t, a) => applyLog(t, a.i) })
  actions = extendAction(actions, "ClientWrite", { then: (t, a) => applyLog(t, a.i) })
  actions = extendAction(actions, "BecomePrimaryByMagic", {
    // Whoever's term moved knows no leader in the new term, except a leader, which knows itself
    // (a voter knows whom it voted for, not that the candidate won).
    then: (t, a, s) => {
      for (let k = 1; k <= s.nodeCount; k++) if (hasNode(a.ayeVoters, k) || k === a.i) t.setLeaderView(k, t.state(k) === Role.Leader ? k : NO_LEADER)
    }
  })
  actions = extendAction(actions, "Stepdown", { then: (t, a) => t.setLeaderView(a.i, NO_LEADER) })
  actions = extendAction(actions, "UpdateTermThroughHeartbeat", { require: [unlocked], then: (t, a) => t.setLeaderView(a.i, NO_LEADER) })
  const learnLeader = RollbackState.action("LearnLeaderThroughHeartbeat")
    .exists("i", nodes)
    .exists("j", nodes)
    .require((s, a) => isLeader(s, a.j), "not-leader", "server {j} is not a leader")
    .require((s, a) => s.currentTerm(a.j) >= s.currentTerm(a.i), "term-older", (s, a) => `server ${a.j}'s term ${s.currentTerm(a.j)} is older than server ${a.i}'s ${s.currentTerm(a.i)}`)
    .require(
      (s, a) => s.currentTerm(a.j) > s.currentTerm(a.i) || s.leaderView(a.i) !== a.j,
      "known",
      (s, a) => `server ${a.i} already knows server ${a.j} leads in term ${s.currentTerm(a.j)}`
    )
    .require(...unlocked)
    .then((t, a, s) => {
      t.setCurrentTerm(a.i, s.currentTerm(a.j))
      t.setState(a.i, Role.Follower)
      t.setLeaderView(a.i, a.j)
    })
  // Right after UpdateTermThroughHeartbeat, the other way a term arrives.
  const k = actions.findIndex((x) => x.name === "UpdateTermThroughHeartbeat")
  return [...actions.slice(0, k + 1), learnLeader, ...actions.slice(k + 1)]
}

/** RaftMongo's rules as the rollback protocol needs them. */
export function replicationRules(base: Rules<RollbackView>, rules: CoordinatorRules): Rules<RollbackView> {
  return {
    ...base,
    // A server mid-rollback, or owing an event, neither appends nor campaigns.
    mayChangeLog: (s, i) => base.mayChangeLog(s, i) && serving(s, i),
    // A server holding the term lock votes for no one (a vote moves its term).
    voterAccepts: (s, candidate, voter) => base.voterAccepts(s, candidate, voter) && !holdsTermLock(s, voter, rules)
  }
}
