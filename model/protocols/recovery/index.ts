/**
 * recovery: a primary's recovery driver for a lagging or diverged replica, after the execution
 * driver of SeaweedFS's sw-block replication engine (spec/adr/0003-replica-recovery-driver.md):
 * classify the gap from the replica's handshake (zero gap, catch-up, truncate, rebuild), pin what
 * the plan needs (WAL retention, a snapshot, a full base), execute step by step, complete and
 * release; with client writes, best-effort commit, WAL garbage collection, snapshots, lost
 * connections, failover to a new epoch and crashes.
 */
import { defineProtocol } from "../../kit/index.js"
import { baseRecoveryRules, recoveryActions, type RecoveryRules } from "./actions.js"
import { recoveryInvariants } from "./invariants.js"
import { initRecovery, RecoveryState } from "./state.js"

const variant = (name: string, summary: string, change: Partial<RecoveryRules>) => ({ name, summary, rules: (r: RecoveryRules) => ({ ...r, ...change }) })

export default defineProtocol({
  name: "recovery",
  summary: "a primary's recovery driver for a replica: classify the gap, pin, catch up, truncate or rebuild, complete and release; with GC, failover and crashes",
  bounds: {
    replicas: { default: 1, min: 1, max: 3, description: "replicas besides the first primary (nodes 1..replicas + 1)" },
    maxLsn: { default: 2, min: 1, max: 6, description: "the highest LSN a log reaches (writes stop there)" },
    maxEpoch: { default: 2, min: 1, max: 5, description: "the highest epoch the master assigns (failovers stop there)" }
  },
  nodes: (b) => b.replicas + 1,
  state: RecoveryState,
  rules: baseRecoveryRules,
  actions: recoveryActions,
  init: initRecovery,
  invariants: () => recoveryInvariants(),
  base: "the fixed design: the handshake checks the replica's history, pins re-check the WAL tail, truncation re-checks the commit point, streams follow the commit point",
  variants: [
    variant("lsn-only-handshake", "the gap is classified from LSNs alone, as Phase 06's ClassifyRecoveryOutcome does", { handshakeChecksHistory: false }),
    variant("pin-without-recheck", "the WAL pin, taken after classification, does not re-check that its start is still retained", { pinRechecksTail: false }),
    variant("bundled-plan-without-recheck", "no re-check, but classification and the WAL pin in one step (the test-only convenience helpers)", { pinRechecksTail: false, planPinsAtomically: true }),
    variant("snapshot-pin-leak", "a refused WAL pin of a snapshot+tail rebuild leaves the snapshot pin held", { releaseSnapshotOnWalPinFailure: false }),
    variant("bookkeeping-truncation", "truncation is recorded in the session but the replica keeps its entries", { truncateReplica: false }),
    variant("truncate-to-planned-lsn", "truncation goes to the committed LSN of the plan without checking that it is still the committed LSN", { truncateRechecksCommit: false }),
    variant("complete-after-epoch-change", "completion does not re-check that the session was not invalidated by a new epoch", { completeChecksAuthority: false }),
    variant("frozen-catch-up-target", "a catch-up streams to the committed LSN frozen at planning and completes there", { targetFollowsCommit: false }),
    variant("invalidate-drops-plan", "an epoch change drops the open sessions instead of leaving them for their executors to release", { invalidateKeepsPlan: false }),
    variant("snapshot-replaced-while-pinned", "a new snapshot replaces the current one even while it is pinned", { snapshotRespectsPins: false })
  ],
  // Loaded when verdicts or the tests ask for it, not by every worker thread.
  manifest: () => import("./manifest.json", { with: { type: "json" } })
})
