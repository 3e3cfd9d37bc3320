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

/** The first key whose latest mutation in the sink is not in the surviving history, or 0. */
function phantomKey(s: CdcStateView, maxSeqno: number, keys: number): number {
  if (!streamingFromActive(s)) return 0
  const a = s.active
  for (let key = 1; key <= keys; key++) {
    const k = latestInSink(s, key, maxSeqno)
    if (k === 0 || latestStored(s, a, key) > k) continue
    if (k > s.high(a) || s.stored.key(a, k) !== key || s.stored.branch(a, k) !== s.sink.branch(k)) return key
  }
  return 0
}

/** Once caught up, the first key whose latest mutation of the surviving history the sink lacks, or 0. */
function missedKey(s: CdcStateView, maxSeqno: number, keys: number): number {
  if (!streamingFromActive(s) || s.received.key !== 0) return 0
  const a = s.active
  if (s.stream.position !== s.high(a) || s.stream.position !== s.stream.snapEnd) return 0
  for (let key = 1; key <= keys; key++) {
    const want = latestStored(s, a, key)
    const got = latestInSink(s, key, maxSeqno)
    if (want !== got || (want > 0 && s.sink.branch(got) !== s.stored.branch(a, want))) return key
  }
  return 0
}

/** "key 2 at seqno 3 on branch 1" (or "no mutation of key 2"). */
const mutation = (key: number, seqno: number, branch: number) => (seqno === 0 ? `no mutation of key ${key}` : `key ${key} at seqno ${seqno} on branch ${branch}`)

export const cdcInvariants = (maxSeqno: number, keys: number) => [
  CdcState.invariant(
    "NoPhantomMutation",
    "once the consumer has (re)connected, the latest mutation it holds of each key is in the surviving history, or superseded there by a later one",
    (s) => phantomKey(s, maxSeqno, keys) === 0,
    (s) => {
      const key = phantomKey(s, maxSeqno, keys)
      const k = latestInSink(s, key, maxSeqno)
      const a = s.active
      const there = k > s.high(a) ? `copy ${a}'s history ends at seqno ${s.high(a)}` : s.stored.key(a, k) === 0 ? `copy ${a} holds nothing at seqno ${k}` : `copy ${a} holds ${mutation(s.stored.key(a, k), k, s.stored.branch(a, k))}`
      return `the sink's latest mutation of key ${key} is ${mutation(key, k, s.sink.branch(k))}, but the active ${there}`
    }
  ),
  CdcState.invariant(
    "NoMissedMutation",
    "once caught up (at the end of a snapshot, at the active's high seqno, nothing left to apply), the consumer holds each key's latest mutation of the surviving history",
    (s) => missedKey(s, maxSeqno, keys) === 0,
    (s) => {
      const key = missedKey(s, maxSeqno, keys)
      const a = s.active
      const want = latestStored(s, a, key)
      const got = latestInSink(s, key, maxSeqno)
      return `caught up at seqno ${s.stream.position}, the active (copy ${a}) holds ${mutation(key, want, want === 0 ? 0 : s.stored.branch(a, want))} as key ${key}'s latest, but the sink holds ${mutation(key, got, got === 0 ? 0 : s.sink.branch(got))}`
    }
  ),
  CdcState.invariant(
    "CheckpointIsConsistent",
    "the checkpoint names a point a producer can resume or roll back from: a branch for any seqno past 0, and a seqno inside the snapshot it records (else the request is out of range)",
    (s) => {
      const c = s.checkpoint
      return c.snapStart <= c.seqno && c.seqno <= c.snapEnd && (c.seqno === 0 || c.uuid !== 0)
    },
    (s) => {
      const c = s.checkpoint
      const what = c.seqno !== 0 && c.uuid === 0 ? "names no branch" : `lies outside its snapshot [${c.snapStart}, ${c.snapEnd}]`
      return `the checkpoint's seqno ${c.seqno} ${what}`
    }
  )
]
