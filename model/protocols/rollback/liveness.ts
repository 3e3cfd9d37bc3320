/**
 * The rollback protocol's temporal properties (ADR 0001, "Liveness"), checked by `check rollback
 * --liveness` under weak fairness of each server's coordinator steps.
 */
import { canRollbackOplog, Role } from "../raftmongo/state.js"
import { Phase, RollbackState, type RollbackStateView } from "./state.js"

/** The coordinator's steps, weakly fair per server in the liveness check (a failure or a crash is not a step it must take). */
export const COORDINATOR_STEPS = ["RollbackPlan", "RollbackPersist", "RollbackRecover", "RollbackTruncate", "RollbackAbort", "RollbackEmitEvent", "RollbackRejoin", "RollbackResume"]

/** Server i follows a leader it knows and its log has diverged from that leader's: it must roll back. */
const diverged = (s: RollbackStateView, i: number) => {
  const j = s.leaderView(i)
  return j !== 0 && j !== i && s.state(i) !== Role.Leader && canRollbackOplog(s, i, j)
}

/** The temporal properties ADR 0001 implies (`check rollback --liveness`). */
export const rollbackLiveness = [
  RollbackState.leadsToEach(
    "RollbackEnds",
    "a rollback that has started ends: the server's coordinator is idle again (finished, aborted or restarted)",
    (s, i) => s.rollback.phase(i) !== Phase.Idle,
    (s, i) => s.rollback.phase(i) === Phase.Idle
  ),
  RollbackState.leadsToEach(
    "DivergedServerRecovers",
    "a server whose log has diverged from the leader it knows eventually no longer has (it rolled back, or follows another leader)",
    (s, i) => diverged(s, i),
    (s, i) => !diverged(s, i)
  )
]
