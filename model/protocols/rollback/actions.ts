/**
 * The rollback coordinator's steps (spec/adr/0001-deposed-primary-rollback.md), as action
 * families. They replace RaftMongo's one-entry RollbackOplog; the other RaftMongo actions are
 * reused with two extra guards (a server whose coordinator is busy neither appends nor campaigns).
 * The choices a design change is likely to touch are `CoordinatorRules`.
 */
import type { ActionFamily } from "../../engine/model.js"
import { FOLLOWER } from "../raftmongo/layout.js"
import { EMITTED, IDLE, PERSISTED, PLANNED, RECOVERED, type RollbackLayout } from "./layout.js"

export interface CoordinatorRules {
  /** The common point the plan computes with source j. */
  readonly commonPoint: (L: RollbackLayout, s: Uint8Array, i: number, j: number) => number
  /** May the plan go ahead with this common point and watermark? (refuse below the watermark) */
  readonly planAllowed: (common: number, watermark: number) => boolean
  /** The phase from which RollbackRecover truncates. */
  readonly recoverFrom: number
  /** What RollbackPersistFails leaves: the phase after a failed write of the rollback file. */
  readonly afterPersistFailure: number
  /**
   * Is the plan still current when RollbackRecover is about to truncate? (its source still leads
   * in the plan's term, and this server has seen no newer term)
   */
  readonly planStillCurrent: (L: RollbackLayout, s: Uint8Array, i: number) => boolean
  /** Does RollbackRecover also forget the learned commit point (reset it to [0, 0])? */
  readonly recoverForgetsCommitPoint: boolean
}

export const baseCoordinator: CoordinatorRules = {
  commonPoint: (L, s, i, j) => L.matchingTermPoint(s, i, j),
  planAllowed: (common, watermark) => common >= watermark,
  recoverFrom: PERSISTED,
  planStillCurrent: (L, s, i) => {
    const j = L.source(s, i)
    const term = L.rejoinTerm(s, i)
    return L.isLeader(s, j) && L.term(s, j) === term && L.term(s, i) <= term
  },
  afterPersistFailure: IDLE,
  recoverForgetsCommitPoint: false
}

const one = (a: readonly number[]) => ({ i: a[0] })

export function coordinatorActions(L: RollbackLayout, rules: CoordinatorRules): ActionFamily[] {
  const n = L.n
  const step = (name: string, expand: ActionFamily["expand"]): ActionFamily => ({ name, params: ["i"], expand, describe: one })
  return [
    {
      name: "RollbackPlan",
      params: ["i", "j"],
      expand(s, out) {
        for (let i = 0; i < n; i++) {
          if (L.phase(s, i) !== IDLE || L.isLeader(s, i)) continue
          for (let j = 0; j < n; j++) {
            if (!L.isLeader(s, j) || L.term(s, j) < L.term(s, i) || !L.canRollbackOplog(s, i, j)) continue
            const common = rules.commonPoint(L, s, i, j)
            const watermark = L.cpIndex(s, i)
            if (!rules.planAllowed(common, watermark)) continue
            L.setPlan(out.next(), i, j, common, watermark, L.term(s, j))
            out.emit(i + 1, j + 1)
          }
        }
      },
      describe: (a) => ({ i: a[0], j: a[1] })
    },
    step("RollbackPersist", (s, out) => {
      for (let i = 0; i < n; i++) {
        if (L.phase(s, i) !== PLANNED) continue
        const t = out.next()
        for (let k = L.commonPoint(s, i) + 1; k <= L.len(s, i); k++) L.addToRollbackFiles(t, i, L.logTerm(s, i, k), k)
        L.setPhase(t, i, PERSISTED)
        out.emit(i + 1)
      }
    }),
    step("RollbackPersistFails", (s, out) => {
      for (let i = 0; i < n; i++) {
        if (L.phase(s, i) !== PLANNED) continue
        const t = out.next()
        if (rules.afterPersistFailure === IDLE) L.resetCoordinator(t, i)
        else L.setPhase(t, i, rules.afterPersistFailure)
        out.emit(i + 1)
      }
    }),
    step("RollbackRecover", (s, out) => {
      for (let i = 0; i < n; i++) {
        if (L.phase(s, i) !== rules.recoverFrom || !rules.planStillCurrent(L, s, i)) continue
        const t = out.next()
        const common = L.commonPoint(s, i)
        while (L.len(t, i) > common) L.dropLast(t, i)
        if (rules.recoverForgetsCommitPoint) L.setCommitPoint(t, i, 0, 0)
        L.setPhase(t, i, RECOVERED)
        out.emit(i + 1)
      }
    }),
    step("RollbackEmitEvent", (s, out) => {
      for (let i = 0; i < n; i++) {
        if (L.phase(s, i) !== RECOVERED) continue
        L.setPhase(out.next(), i, EMITTED)
        out.emit(i + 1)
      }
    }),
    step("RollbackRejoin", (s, out) => {
      for (let i = 0; i < n; i++) {
        if (L.phase(s, i) !== EMITTED) continue
        const j = L.source(s, i)
        const term = L.rejoinTerm(s, i)
        if (!L.isLeader(s, j) || L.term(s, j) !== term) continue
        const t = out.next()
        L.setTerm(t, i, Math.max(L.term(s, i), term))
        L.setRole(t, i, FOLLOWER)
        L.resetCoordinator(t, i)
        out.emit(i + 1)
      }
    }),
    step("Crash", (s, out) => {
      for (let i = 0; i < n; i++) {
        if (L.phase(s, i) === IDLE) continue
        L.resetCoordinator(out.next(), i)
        out.emit(i + 1)
      }
    })
  ]
}
