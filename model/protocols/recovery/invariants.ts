/**
 * The recovery protocol's invariants (spec/adr/0003-replica-recovery-driver.md names each one).
 * The ones about data compare logs entry by entry (an entry is its LSN and the epoch that wrote
 * it), never LSNs alone. Each finds its first offending sender p -> r, as p * 256 + r (0: none),
 * and its witness names it.
 */
import { currentPrimary, holdsPin, len, Phase, RecoveryState, Role, View, type AnyView, type RecoveryStateView } from "./state.js"

/** Does node r's log hold exactly node p's entry at LSN k? */
const sameEntry = (a: AnyView, r: number, b: AnyView, p: number, k: number) => k <= len(a, r) && k <= len(b, p) && a.log.at(r, k) === b.log.at(p, k)

/** Is the session p -> r in a planning phase (its pins not all taken yet)? */
const planning = (s: RecoveryStateView, p: number, r: number) => {
  const phase = s.sender.phase(p, r)
  return phase === Phase.Planned || phase === Phase.RebuildAssigned || phase === Phase.SnapshotPinned
}

/** The sender p -> r of a found p * 256 + r. */
const pair = (found: number) => [found >> 8, found & 255] as const

/** A WAL pin below the primary's recycled tail (the WAL gave up entries above the pin's start). */
const walPinRecycled = (s: RecoveryStateView, p: number, r: number) => {
  const wal = s.sender.walPin(p, r)
  return wal !== 0 && wal - 1 < s.tail(p)
}

/** The first sender of a primary whose WAL pin was recycled past or whose pinned snapshot is gone, or 0. */
function unsafePin(s: RecoveryStateView): number {
  for (let p = 1; p <= s.nodeCount; p++) {
    if (s.role(p) !== Role.Primary) continue
    for (let r = 1; r <= s.nodeCount; r++) {
      if (walPinRecycled(s, p, r)) return p * 256 + r
      const snapshot = s.sender.snapshotPin(p, r)
      if (snapshot !== 0 && snapshot - 1 !== s.snapshot(p)) return p * 256 + r
    }
  }
  return 0
}

/** The first sender holding a pin with no session open, or 0. */
function leakedPin(s: RecoveryStateView): number {
  for (let p = 1; p <= s.nodeCount; p++) for (let r = 1; r <= s.nodeCount; r++) if (holdsPin(s, p, r) && s.sender.phase(p, r) === Phase.None) return p * 256 + r
  return 0
}

/** The first LSN where node r's log departs from node p's, no longer than it (0: none). */
function firstDifference(s: AnyView, p: number, r: number): number {
  for (let k = 1; k <= len(s, r); k++) if (s.log.at(r, k) !== s.log.at(p, k)) return k
  return 0
}

/** The first replica the current primary holds in sync without its history, as p * 256 + r, or 0. */
function inSyncApart(s: RecoveryStateView): number {
  for (let p = 1; p <= s.nodeCount; p++) {
    if (!currentPrimary(s, p)) continue
    for (let r = 1; r <= s.nodeCount; r++) {
      if (r === p || s.sender.view(p, r) !== View.InSync) continue
      if (len(s, r) < s.committed(p) || len(s, r) > len(s, p) || firstDifference(s, p, r) !== 0) return p * 256 + r
    }
  }
  return 0
}

/** The first LSN up to p's committed one where the step takes r's log off p's entry, or 0. */
function committedTruncated(a: RecoveryStateView, b: RecoveryStateView, p: number, r: number): number {
  for (let k = 1; k <= a.committed(p); k++) if (sameEntry(a, r, a, p, k) && !sameEntry(b, r, a, p, k)) return k
  return 0
}

/** The first session whose truncation removes a committed entry, as p * 256 + r, or 0. */
function truncatedBelowCommitted(a: RecoveryStateView, b: RecoveryStateView): number {
  for (let p = 1; p <= a.nodeCount; p++) {
    for (let r = 1; r <= a.nodeCount; r++) {
      if (a.sender.phase(p, r) !== Phase.TruncatePlanned || b.sender.phase(p, r) !== Phase.Truncated) continue
      if (committedTruncated(a, b, p, r) !== 0) return p * 256 + r
    }
  }
  return 0
}

/** The first session that completes in sync though opened in an epoch its primary has left, as p * 256 + r, or 0. */
function staleCompletion(a: RecoveryStateView, b: RecoveryStateView): number {
  for (let p = 1; p <= a.nodeCount; p++) {
    for (let r = 1; r <= a.nodeCount; r++) {
      const completed = a.sender.phase(p, r) !== Phase.None && b.sender.phase(p, r) === Phase.None && b.sender.view(p, r) === View.InSync
      if (completed && a.sender.epoch(p, r) !== b.epoch(p)) return p * 256 + r
    }
  }
  return 0
}

/** The first plan that fails holding a pin or with its replica in sync, as p * 256 + r, or 0. */
function failedOpen(a: RecoveryStateView, b: RecoveryStateView): number {
  for (let p = 1; p <= a.nodeCount; p++) {
    for (let r = 1; r <= a.nodeCount; r++) {
      if (!planning(a, p, r) || b.sender.phase(p, r) !== Phase.None) continue
      if (holdsPin(b, p, r) || b.sender.view(p, r) === View.InSync) return p * 256 + r
    }
  }
  return 0
}

/** "a WAL pin at LSN 1 and a snapshot pin at LSN 2": the pins sender p -> r holds. */
function pinsOf(s: RecoveryStateView, p: number, r: number): string {
  const pins: string[] = []
  const add = (what: string, pin: number) => void (pin !== 0 && pins.push(`a ${what} pin at LSN ${pin - 1}`))
  add("WAL", s.sender.walPin(p, r))
  add("snapshot", s.sender.snapshotPin(p, r))
  add("full-base", s.sender.fullBasePin(p, r))
  return pins.join(" and ")
}

/** "LSN 2 (epoch 1)", or "no LSN 2" where node n's log ends before it. */
const entryOf = (s: AnyView, n: number, k: number) => (k <= len(s, n) ? `LSN ${k} (epoch ${s.log.at(n, k)})` : `no LSN ${k}`)

export const recoveryInvariants = () => [
  RecoveryState.invariant(
    "PinSafety",
    "no primary has recycled a WAL entry above an active WAL pin's start, and every pinned snapshot still exists",
    (s) => unsafePin(s) === 0,
    (s) => {
      const [p, r] = pair(unsafePin(s))
      return walPinRecycled(s, p, r)
        ? `primary ${p} recycled its WAL through LSN ${s.tail(p)}, past node ${r}'s WAL pin at LSN ${s.sender.walPin(p, r) - 1}`
        : `primary ${p}'s snapshot is at LSN ${s.snapshot(p)}, not node ${r}'s pinned snapshot at LSN ${s.sender.snapshotPin(p, r) - 1}`
    }
  ),
  RecoveryState.invariant(
    "NoPinLeak",
    "every pin belongs to an open session, whose executor will release it",
    (s) => leakedPin(s) === 0,
    (s) => {
      const [p, r] = pair(leakedPin(s))
      return `node ${p}'s sender for node ${r} has no session but holds ${pinsOf(s, p, r)}`
    }
  ),
  RecoveryState.invariant(
    "InSyncMeansSameHistory",
    "every replica the current primary holds in sync has the primary's committed entries and no entry the primary lacks, entry by entry",
    (s) => inSyncApart(s) === 0,
    (s) => {
      const [p, r] = pair(inSyncApart(s))
      const head = `node ${r}, in sync with primary ${p},`
      if (len(s, r) < s.committed(p)) return `${head} ends at LSN ${len(s, r)}, below the primary's committed LSN ${s.committed(p)}`
      if (len(s, r) > len(s, p)) return `${head} ends at LSN ${len(s, r)}, past the primary's end at LSN ${len(s, p)}`
      const k = firstDifference(s, p, r)
      return `${head} has LSN ${k} from epoch ${s.log.at(r, k)}, the primary's from epoch ${s.log.at(p, k)}`
    }
  ),
  RecoveryState.stepInvariant(
    "TruncateNeverBelowCommitted",
    "a truncation never removes from a replica an entry of the primary's committed history",
    (a, b) => truncatedBelowCommitted(a, b) === 0,
    (a, b) => {
      const [p, r] = pair(truncatedBelowCommitted(a, b))
      const k = committedTruncated(a, b, p, r)
      return `truncating node ${r} removes ${entryOf(a, r, k)}, committed by primary ${p} (up to LSN ${a.committed(p)})`
    }
  ),
  RecoveryState.stepInvariant(
    "StaleEpochNeverCompletes",
    "no session completes (its replica marked in sync) after its primary has moved to a newer epoch",
    (a, b) => staleCompletion(a, b) === 0,
    (a, b) => {
      const [p, r] = pair(staleCompletion(a, b))
      return `node ${p}'s session for node ${r}, opened in epoch ${a.sender.epoch(p, r)}, completes after node ${p} moved to epoch ${b.epoch(p)}`
    }
  ),
  RecoveryState.stepInvariant(
    "FailClosed",
    "a plan that fails (a pin refused) ends holding no pin, its replica not in sync",
    (a, b) => failedOpen(a, b) === 0,
    (a, b) => {
      const [p, r] = pair(failedOpen(a, b))
      const left = holdsPin(b, p, r) ? `still holds ${pinsOf(b, p, r)}` : `leaves node ${r} in sync`
      return `node ${p}'s failed plan for node ${r} ${left}`
    }
  )
]
