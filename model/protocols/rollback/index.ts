/**
 * rollback: deposed-primary rollback to the common point (spec/adr/0001-deposed-primary-rollback.md).
 * RaftMongo's replication and commit-point actions (model/protocols/raftmongo), each server with its
 * own view of the leader and its own key versions, and the one-entry RollbackOplog replaced by the
 * rollback coordinator's steps, its persist failure, its crashes and its restart.
 */
import { defineProtocol } from "../../kit/index.js"
import { baseRules, raftMongoActions, type Rules } from "../raftmongo/actions.js"
import { raftMongoBounds, withinRaftBounds } from "../raftmongo/index.js"
import { baseCoordinator, coordinatorActions, replicationActions, replicationRules, type CoordinatorRules } from "./actions.js"
import { rollbackInvariants } from "./invariants.js"
import { COORDINATOR_STEPS, rollbackLiveness } from "./liveness.js"
import { resetCoordinator, RollbackState, type RollbackView } from "./state.js"
import { rollbackVariants } from "./variants.js"

export interface RollbackRules {
  readonly replication: Rules<RollbackView>
  readonly coordinator: CoordinatorRules
}

const rules: RollbackRules = {
  replication: {
    ...(baseRules as Rules<RollbackView>),
    // The learned commit point is the rollback watermark, so learning never lowers it (RaftMongo's
    // action can: see the ADR and the variant raftmongo-commit-point-learning).
    learnOnlyHigher: true
  },
  coordinator: baseCoordinator
}

export default defineProtocol({
  name: "rollback",
  summary: "deposed-primary rollback to the common point: plan, persist, recover (keys, then log), emit, rejoin, with crashes and restarts",
  // RaftMongo's bounds; the defaults explore exhaustively in a few seconds (ADR 0001).
  bounds: raftMongoBounds({ servers: 3, maxTerm: 3, maxLogLen: 2, maxClientWriteSize: 1 }),
  nodes: (b) => b.servers,
  state: RollbackState,
  rules,
  // RaftMongo's actions (without RollbackOplog, with views, key versions and the term lock), then the coordinator's steps.
  actions: (b, r) => [
    ...replicationActions(raftMongoActions(b, replicationRules(r.replication, r.coordinator)) as never, r.coordinator),
    ...coordinatorActions(r.coordinator)
  ],
  init: (s) => {
    for (let i = 1; i <= s.nodeCount; i++) resetCoordinator(s as never, i)
  },
  constraint: withinRaftBounds,
  invariants: () => rollbackInvariants(),
  liveness: () => rollbackLiveness,
  // The coordinator's own steps are strongly fair, per server: a step enabled again and again is
  // taken, so a persist failure or a crash does not recur for ever (weak fairness would let a disk
  // fail every time: RollbackPlan, RollbackPersistFails, RollbackPlan, ...). Elections, writes,
  // heartbeats, failures and crashes are not fair: they may stop.
  fairness: (_b, _r, actions) => ({ strong: COORDINATOR_STEPS.filter((a) => actions.includes(a)).map((a) => `${a}(i)`) }),
  base: "the coordinator of spec/adr/0001-deposed-primary-rollback.md",
  variants: rollbackVariants,
  // Node ids are interchangeable: every guard and effect treats the servers alike.
  symmetry: true,
  traceMapping: {
    // Implementations commonly learn commit points in the background without logging each one.
    internal: ["LearnCommitPointWithTermCheck", "LearnCommitPointFromSyncSourceNeverBeyondLastApplied"],
    events: {
      // A coordinator that logs one line for a whole, uninterrupted rollback.
      Rollback: ["RollbackPlan", "RollbackPersist", "RollbackRecover", "RollbackTruncate", "RollbackEmitEvent", "RollbackRejoin"],
      // Progress lines that observe the coordinator without a step of their own.
      RollbackPersistStarted: [],
      RollbackRecoverStarted: []
    }
  },
  // Loaded when verdicts or the tests ask for it, not by every worker thread.
  manifest: () => import("./manifest.json", { with: { type: "json" } })
})
