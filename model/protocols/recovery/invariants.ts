/**
 * The recovery protocol's invariants (spec/adr/0003-replica-recovery-driver.md names each one).
 * The ones about data compare logs entry by entry (an entry is its LSN and the epoch that wrote
 * it), never LSNs alone.
 */
import { currentPrimary, holdsPin, len, Phase, RecoveryState, Role, View, type AnyView, type RecoveryStateView } from "./state.js"

/** Does node r's log hold exactly node p's entry at LSN k? */
const sameEntry = (a: AnyView, r: number, b: AnyView, p: number, k: number) => k <= len(a, r) && k <= len(b, p) && a.log.at(r, k) === b.log.at(p, k)

/** Is the session p -> r in a planning phase (its pins not all taken yet)? */
const planning = (s: RecoveryStateView, p: number, r: number) => {
  const phase = s.sender.phase(p, r)
  return phase === Phase.Planned || phase === Phase.RebuildAssigned || phase === Phase.SnapshotPinned
}

export const recoveryInvariants = () => [
  RecoveryState.invariant("PinSafety", "no primary has recycled a WAL entry above an active WAL pin's start, and every pinned snapshot still exists", (s) => {
    for (let p = 1; p <= s.nodeCount; p++) {
      if (s.role(p) !== Role.Primary) continue
      for (let r = 1; r <= s.nodeCount; r++) {
        const wal = s.sender.walPin(p, r)
        if (wal !== 0 && wal - 1 < s.tail(p)) return false
        const snapshot = s.sender.snapshotPin(p, r)
        if (snapshot !== 0 && snapshot - 1 !== s.snapshot(p)) return false
      }
    }
    return true
  }),
  RecoveryState.invariant("NoPinLeak", "every pin belongs to an open session, whose executor will release it", (s) => {
    for (let p = 1; p <= s.nodeCount; p++) for (let r = 1; r <= s.nodeCount; r++) if (holdsPin(s, p, r) && s.sender.phase(p, r) === Phase.None) return false
    return true
  }),
  RecoveryState.invariant(
    "InSyncMeansSameHistory",
    "every replica the current primary holds in sync has the primary's committed entries and no entry the primary lacks, entry by entry",
    (s) => {
      for (let p = 1; p <= s.nodeCount; p++) {
        if (!currentPrimary(s, p)) continue
        for (let r = 1; r <= s.nodeCount; r++) {
          if (r === p || s.sender.view(p, r) !== View.InSync) continue
          if (len(s, r) < s.committed(p) || len(s, r) > len(s, p)) return false
          for (let k = 1; k <= len(s, r); k++) if (s.log.at(r, k) !== s.log.at(p, k)) return false
        }
      }
      return true
    }
  ),
  RecoveryState.stepInvariant("TruncateNeverBelowCommitted", "a truncation never removes from a replica an entry of the primary's committed history", (a, b) => {
    for (let p = 1; p <= a.nodeCount; p++) {
      for (let r = 1; r <= a.nodeCount; r++) {
        if (a.sender.phase(p, r) !== Phase.TruncatePlanned || b.sender.phase(p, r) !== Phase.Truncated) continue
        for (let k = 1; k <= a.committed(p); k++) if (sameEntry(a, r, a, p, k) && !sameEntry(b, r, a, p, k)) return false
      }
    }
    return true
  }),
  RecoveryState.stepInvariant("StaleEpochNeverCompletes", "no session completes (its replica marked in sync) after its primary has moved to a newer epoch", (a, b) => {
    for (let p = 1; p <= a.nodeCount; p++) {
      for (let r = 1; r <= a.nodeCount; r++) {
        const completed = a.sender.phase(p, r) !== Phase.None && b.sender.phase(p, r) === Phase.None && b.sender.view(p, r) === View.InSync
        if (completed && a.sender.epoch(p, r) !== b.epoch(p)) return false
      }
    }
    return true
  }),
  RecoveryState.stepInvariant("FailClosed", "a plan that fails (a pin refused) ends holding no pin, its replica not in sync", (a, b) => {
    for (let p = 1; p <= a.nodeCount; p++) {
      for (let r = 1; r <= a.nodeCount; r++) {
        if (!planning(a, p, r) || b.sender.phase(p, r) !== Phase.None) continue
        if (holdsPin(b, p, r) || b.sender.view(p, r) === View.InSync) return false
      }
    }
    return true
  })
]
