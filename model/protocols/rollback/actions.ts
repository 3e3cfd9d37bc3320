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
const PHASE_NAMES = ["Idle", "Planned", "Persisted", "Recovered", "Emitted"]

export function coordinatorActions(L: RollbackLayout, rules: CoordinatorRules): ActionFamily[] {
  const n = L.n
  /** Server positions for an argument: the one named (1-based id), or every server. */
  const servers = (id: unknown) => (typeof id === "number" ? [id - 1] : Array.from({ length: n }, (_, k) => k))
  const phaseIs = (s: Uint8Array, i: number, phase: number) =>
    L.phase(s, i) === phase ? null : `server ${i + 1}'s rollback phase is ${PHASE_NAMES[L.phase(s, i)]}, not ${PHASE_NAMES[phase]}`
  /** The first reason found for the first server that has one, or null if some server has none. */
  const firstReason = (ids: number[], why: (i: number) => string | null) => {
    const reasons = ids.map(why)
    return reasons.some((r) => r === null) ? null : (reasons[0] ?? null)
  }
  const step = (name: string, expand: ActionFamily["expand"], explain?: (s: Uint8Array, i: number) => string | null): ActionFamily => ({
    name,
    params: ["i"],
    expand,
    describe: one,
    ...(explain ? { explain: (s: Uint8Array, args: Readonly<Record<string, unknown>>) => firstReason(servers(args["i"]), (i) => explain(s, i)) } : {})
  })
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
      describe: (a) => ({ i: a[0], j: a[1] }),
      explain(s, args) {
        return firstReason(servers(args["i"]), (i) => {
          if (L.phase(s, i) !== IDLE) return phaseIs(s, i, IDLE)
          if (L.isLeader(s, i)) return `server ${i + 1} is a leader`
          return firstReason(servers(args["j"]), (j) => {
            if (!L.isLeader(s, j)) return `server ${j + 1} is not a leader`
            if (L.term(s, j) < L.term(s, i)) return `server ${j + 1}'s term ${L.term(s, j)} is older than server ${i + 1}'s ${L.term(s, i)}`
            if (!L.canRollbackOplog(s, i, j)) return `server ${i + 1}'s log has not diverged from server ${j + 1}'s`
            const common = rules.commonPoint(L, s, i, j)
            if (!rules.planAllowed(common, L.cpIndex(s, i))) return `refused: the common point ${common} is below the watermark ${L.cpIndex(s, i)}`
            return null
          })
        })
      }
    },
    step("RollbackPersist", (s, out) => {
      for (let i = 0; i < n; i++) {
        if (L.phase(s, i) !== PLANNED) continue
        const t = out.next()
        for (let k = L.commonPoint(s, i) + 1; k <= L.len(s, i); k++) L.addToRollbackFiles(t, i, L.logTerm(s, i, k), k)
        L.setPhase(t, i, PERSISTED)
        out.emit(i + 1)
      }
    }, (s, i) => phaseIs(s, i, PLANNED)),
    step("RollbackPersistFails", (s, out) => {
      for (let i = 0; i < n; i++) {
        if (L.phase(s, i) !== PLANNED) continue
        const t = out.next()
        if (rules.afterPersistFailure === IDLE) L.resetCoordinator(t, i)
        else L.setPhase(t, i, rules.afterPersistFailure)
        out.emit(i + 1)
      }
    }, (s, i) => phaseIs(s, i, PLANNED)),
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
    }, (s, i) =>
      phaseIs(s, i, rules.recoverFrom) ??
      (rules.planStillCurrent(L, s, i) ? null : `server ${i + 1}'s plan is stale: its source no longer leads in term ${L.rejoinTerm(s, i)}, or server ${i + 1} saw a newer term`)),
    step("RollbackEmitEvent", (s, out) => {
      for (let i = 0; i < n; i++) {
        if (L.phase(s, i) !== RECOVERED) continue
        L.setPhase(out.next(), i, EMITTED)
        out.emit(i + 1)
      }
    }, (s, i) => phaseIs(s, i, RECOVERED)),
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
    }, (s, i) => {
      const j = L.source(s, i)
      return phaseIs(s, i, EMITTED) ?? (L.isLeader(s, j) && L.term(s, j) === L.rejoinTerm(s, i) ? null : `server ${j + 1} no longer leads in the rejoin term ${L.rejoinTerm(s, i)}`)
    }),
    step("Crash", (s, out) => {
      for (let i = 0; i < n; i++) {
        if (L.phase(s, i) === IDLE) continue
        L.resetCoordinator(out.next(), i)
        out.emit(i + 1)
      }
    }, (s, i) => (L.phase(s, i) === IDLE ? `server ${i + 1} has no rollback in progress` : null))
  ]
}
