/**
 * rollback's model: RaftMongo's replication and commit-point actions (model/protocols/raftmongo)
 * with the one-entry RollbackOplog replaced by the rollback coordinator of
 * spec/adr/0001-deposed-primary-rollback.md, its persist failure and its crashes.
 */
import { BASE_VARIANT, type Model } from "../../engine/model.js"
import { baseRules, raftMongoActions, type Rules } from "../raftmongo/actions.js"
import type { RaftMongoConfig } from "../raftmongo/layout.js"
import { baseCoordinator, coordinatorActions } from "./actions.js"
import { rollbackStateInvariants, rollbackStepInvariants } from "./invariants.js"
import { IDLE, RollbackLayout } from "./layout.js"
import type { RollbackState } from "./state.js"
import { rollbackVariants } from "./variants.js"

export function buildRollback(config: RaftMongoConfig, variant: string): Model<RollbackState> {
  const L = new RollbackLayout(config)
  let replication: Rules = {
    ...baseRules,
    // A server whose coordinator is at work neither appends nor campaigns.
    mayChangeLog: (_L, s, i) => L.phase(s, i) === IDLE,
    // The learned commit point is the rollback watermark, so learning never lowers it (RaftMongo's
    // action can: see the ADR and the variant raftmongo-commit-point-learning).
    learnOnlyHigher: true
  }
  let coordinator = baseCoordinator
  if (variant !== BASE_VARIANT) {
    const v = rollbackVariants.find((x) => x.name === variant)
    if (!v) throw new RangeError(`rollback has no variant ${variant}`)
    if (v.replication) replication = v.replication(replication)
    if (v.coordinator) coordinator = v.coordinator(coordinator)
  }
  return {
    protocol: "rollback",
    variant,
    widthBytes: L.widthBytes,
    families: [...raftMongoActions(L, replication).filter((f) => f.name !== "RollbackOplog"), ...coordinatorActions(L, coordinator)],
    stateInvariants: rollbackStateInvariants(L),
    stepInvariants: rollbackStepInvariants(L),
    initialStates: () => [L.initial()],
    constraint: (s) => {
      for (let i = 0; i < L.n; i++) {
        if (L.term(s, i) > config.maxTerm || L.len(s, i) > config.maxLogLen) return false
      }
      return true
    },
    codec: {
      setVariables: ["committedEntries", "rollbackFiles"],
      nodeVariables: ["currentTerm", "state", "commitPoint", "log", "rollback", "rollbackFiles"],
      decode: (s) => L.decodeRollback(s),
      encode: (state, into) => L.encodeRollback(state, into)
    }
  }
}
