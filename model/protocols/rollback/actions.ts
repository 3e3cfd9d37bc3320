/**
 * The rollback coordinator's steps (spec/adr/0001-deposed-primary-rollback.md). They replace
 * RaftMongo's one-entry RollbackOplog; the other RaftMongo actions are reused with two extra
 * guards (a server whose coordinator is busy neither appends nor campaigns). The choices a
 * design change is likely to touch are `CoordinatorRules`.
 */
import { nodes, type Action } from "../../kit/index.js"
import { canRollbackOplog, isLeader, len, logTerm } from "../raftmongo/state.js"
import { Role } from "../raftmongo/state.js"
import { Phase, phaseName, resetCoordinator, RollbackState, type PhaseCode, type RollbackNext, type RollbackView } from "./state.js"

export interface CoordinatorRules {
  /** The common point the plan computes with source j. */
  readonly commonPoint: (s: RollbackView, i: number, j: number) => number
  /** May the plan go ahead with this common point and watermark? (refuse below the watermark) */
  readonly planAllowed: (common: number, watermark: number) => boolean
  /** The phase from which RollbackRecover truncates. */
  readonly recoverFrom: PhaseCode
  /** What RollbackPersistFails leaves: the phase after a failed write of the rollback file. */
  readonly afterPersistFailure: PhaseCode
  /**
   * Is the plan still current when RollbackRecover is about to truncate? (its source still leads
   * in the plan's term, and this server has seen no newer term)
   */
  readonly planStillCurrent: (s: RollbackView, i: number) => boolean
  /** Does RollbackRecover also forget the learned commit point (reset it to [0, 0])? */
  readonly recoverForgetsCommitPoint: boolean
}

/** Highest index where i's and j's logs agree, found as the highest equal LogTerm. */
export function matchingTermPoint(s: RollbackView, i: number, j: number): number {
  for (let k = Math.min(len(s, i), len(s, j)); k > 0; k--) if (logTerm(s, i, k) === logTerm(s, j, k)) return k
  return 0
}

export const baseCoordinator: CoordinatorRules = {
  commonPoint: matchingTermPoint,
  planAllowed: (common, watermark) => common >= watermark,
  recoverFrom: Phase.Persisted,
  planStillCurrent: (s, i) => {
    const j = s.rollback.source(i)
    const term = s.rollback.rejoinTerm(i)
    return isLeader(s, j) && s.currentTerm(j) === term && s.currentTerm(i) <= term
  },
  afterPersistFailure: Phase.Idle,
  recoverForgetsCommitPoint: false
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

/** The truncation of a recovery: down to the common point (and, in a variant, forgetting the commit point). */
export function truncateToCommonPoint(t: RollbackNext, i: number, s: RollbackView, rules: CoordinatorRules): void {
  t.log.truncate(i, s.rollback.commonPoint(i))
  if (rules.recoverForgetsCommitPoint) {
    t.commitPoint.setTerm(i, 0)
    t.commitPoint.setIndex(i, 0)
  }
  t.rollback.setPhase(i, Phase.Recovered)
}

export const staleMessage = (s: RollbackView, a: { i: number }) =>
  `server ${a.i}'s plan is stale: its source no longer leads in term ${s.rollback.rejoinTerm(a.i)}, or server ${a.i} saw a newer term`

export function coordinatorActions(rules: CoordinatorRules): Array<Action<RollbackView, RollbackNext>> {
  return [
    RollbackState.action("RollbackPlan")
      .exists("i", nodes)
      .require(...inPhase(Phase.Idle))
      .require((s, a) => !isLeader(s, a.i), "leader", "server {i} is a leader")
      .exists("j", nodes)
      .require((s, a) => isLeader(s, a.j), "source-not-leader", "server {j} is not a leader")
      .require((s, a) => s.currentTerm(a.j) >= s.currentTerm(a.i), "source-term-older", (s, a) => `server ${a.j}'s term ${s.currentTerm(a.j)} is older than server ${a.i}'s ${s.currentTerm(a.i)}`)
      .require((s, a) => canRollbackOplog(s, a.i, a.j), "not-diverged", "server {i}'s log has not diverged from server {j}'s")
      .let("common", (s, a) => rules.commonPoint(s, a.i, a.j))
      .require((s, a) => rules.planAllowed(a.common, s.commitPoint.index(a.i)), "below-watermark", (s, a) => `refused: the common point ${a.common} is below the watermark ${s.commitPoint.index(a.i)}`)
      .then((t, a, s) => {
        t.rollback.setPhase(a.i, Phase.Planned)
        t.rollback.setSource(a.i, a.j)
        t.rollback.setCommonPoint(a.i, a.common)
        t.rollback.setWatermark(a.i, s.commitPoint.index(a.i))
        t.rollback.setRejoinTerm(a.i, s.currentTerm(a.j))
      }),
    coordinatorStep("RollbackPersist", Phase.Planned).then((t, a, s) => {
      for (let k = s.rollback.commonPoint(a.i) + 1; k <= len(s, a.i); k++) t.rollbackFiles.add(a.i, { term: logTerm(s, a.i, k), index: k })
      t.rollback.setPhase(a.i, Phase.Persisted)
    }),
    coordinatorStep("RollbackPersistFails", Phase.Planned).then((t, a) => {
      if (rules.afterPersistFailure === Phase.Idle) resetCoordinator(t, a.i)
      else t.rollback.setPhase(a.i, rules.afterPersistFailure)
    }),
    coordinatorStep("RollbackRecover", rules.recoverFrom)
      .require((s, a) => rules.planStillCurrent(s, a.i), "stale-plan", staleMessage)
      .then((t, a, s) => truncateToCommonPoint(t, a.i, s, rules)),
    coordinatorStep("RollbackEmitEvent", Phase.Recovered).then((t, a) => t.rollback.setPhase(a.i, Phase.Emitted)),
    coordinatorStep("RollbackRejoin", Phase.Emitted)
      .let("j", (s, a) => s.rollback.source(a.i))
      .require(
        (s, a) => isLeader(s, a.j) && s.currentTerm(a.j) === s.rollback.rejoinTerm(a.i),
        "source-deposed",
        (s, a) => `server ${a.j} no longer leads in the rejoin term ${s.rollback.rejoinTerm(a.i)}`
      )
      .then((t, a, s) => {
        t.setCurrentTerm(a.i, Math.max(s.currentTerm(a.i), s.rollback.rejoinTerm(a.i)))
        t.setState(a.i, Role.Follower)
        resetCoordinator(t, a.i)
      }),
    RollbackState.action("Crash")
      .exists("i", nodes)
      .require((s, a) => phase(s, a.i) !== Phase.Idle, "no-rollback", "server {i} has no rollback in progress")
      .then((t, a) => resetCoordinator(t, a.i))
  ]
}
