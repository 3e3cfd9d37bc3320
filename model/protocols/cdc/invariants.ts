/**
 * The cdc protocol's invariants (spec/adr/0004-change-stream-rollback.md names each one). They
 * compare the consumer's sink with the surviving history, the active copy's storage, key by key: a
 * mutation is its seqno, key and branch. (Mutations a snapshot deduplicated are in neither, so
 * each key's latest mutation is what the two can be compared on.)
 */
import { CdcState, Role, Stream, type CdcStateView } from "./state.js"

/** The stream is open on the active copy, which is up. */
const streamingFromActive = (s: CdcStateView) => s.stream.state === Stream.Open && s.stream.source === s.active && s.role(s.active) === Role.Active

/** The seqno of copy c's latest stored mutation of `key` (0: none). */
function latestStored(s: CdcStateView, c: number, key: number): number {
  for (let k = s.high(c); k >= 1; k--) if (s.stored.key(c, k) === key) return k
  return 0
}
function latestInSink(s: CdcStateView, key: number, maxSeqno: number): number {
  for (let k = maxSeqno; k >= 1; k--) if (s.sink.key(k) === key) return k
  return 0
}

export const cdcInvariants = (maxSeqno: number, keys: number) => [
  CdcState.invariant(
    "NoPhantomMutation",
    "once the consumer has (re)connected, the latest mutation it holds of each key is in the surviving history, or superseded there by a later one",
    (s) => {
      if (!streamingFromActive(s)) return true
      const a = s.active
      for (let key = 1; key <= keys; key++) {
        const k = latestInSink(s, key, maxSeqno)
        if (k === 0 || latestStored(s, a, key) > k) continue
        if (k > s.high(a) || s.stored.key(a, k) !== key || s.stored.branch(a, k) !== s.sink.branch(k)) return false
      }
      return true
    }
  ),
  CdcState.invariant(
    "NoMissedMutation",
    "once caught up (at the end of a snapshot, at the active's high seqno, nothing left to apply), the consumer holds each key's latest mutation of the surviving history",
    (s) => {
      if (!streamingFromActive(s) || s.received.key !== 0) return true
      const a = s.active
      if (s.stream.position !== s.high(a) || s.stream.position !== s.stream.snapEnd) return true
      for (let key = 1; key <= keys; key++) {
        const want = latestStored(s, a, key)
        const got = latestInSink(s, key, maxSeqno)
        if (want !== got || (want > 0 && s.sink.branch(got) !== s.stored.branch(a, want))) return false
      }
      return true
    }
  ),
  CdcState.invariant(
    "CheckpointIsConsistent",
    "the checkpoint names a point a producer can resume or roll back from: a branch for any seqno past 0, and a seqno inside the snapshot it records (else the request is out of range)",
    (s) => {
      const c = s.checkpoint
      return c.snapStart <= c.seqno && c.seqno <= c.snapEnd && (c.seqno === 0 || c.uuid !== 0)
    }
  )
]
