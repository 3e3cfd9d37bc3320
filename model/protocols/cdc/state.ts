/**
 * cdc's variables (spec/adr/0004-change-stream-rollback.md): one vBucket, its copies (an active and
 * replicas) and one change-stream consumer.
 *
 * Each copy holds what its storage holds: the mutation stored at each seqno (its key and branch,
 * the vBucket UUID of the history it was written in; key 0 where nothing is stored: never
 * written, or deduplicated away in a snapshot the copy received), its high seqno, its persisted
 * seqno, the snapshot it is receiving and the one it last persisted (a replica receives
 * deduplicated snapshots, as a DCP consumer of the active), its failover log (newest first: each
 * branch's UUID and the seqno it began at) and its role. The cluster map names the active and the
 * copies failed over (absent from the map until they restart).
 *
 * The consumer (go-dcp's shape) holds its stream (source, branch, position, the snapshot it is in),
 * one received mutation not yet applied, its acknowledged offset and its durable checkpoint
 * (vbuuid, seqno, snapshot start and end), the catch-up seqno up to which it drops events after a
 * rollback, the persisted seqno its rollback mitigation has observed on every copy, and its sink:
 * the mutation it applied at each seqno (durable, like a database).
 *
 * There is no ghost state: the invariants compare the sink's latest mutation of each key with the
 * active's storage.
 */
import { bool, defineState, global, nodeId, nodeOrNone, oneOf, perNode, record, seqOf, arrayOf, uint, type InitView, type NextView, type PreView, type StateView } from "../../kit/index.js"

export interface CdcBounds {
  /** Replicas besides the first active: copies are 1..replicas + 1. */
  readonly replicas: number
  /** The highest seqno a history reaches (writes stop there). */
  readonly maxSeqno: number
  /** Keys written (a snapshot sends only each key's last mutation in its range). */
  readonly keys: number
  /** New branches (failovers and unclean restarts of the active) allowed. */
  readonly maxFailovers: number
}

export const ROLES = ["Replica", "Active", "Down"] as const
export const Role = oneOf(...ROLES)
export const STREAM = ["Closed", "Open"] as const
export const Stream = oneOf(...STREAM)

/** Branch UUIDs are 1..maxFailovers + 1 (the first history is 1); 0 is "none" (a consumer that has seen nothing). */
export const maxBranch = (b: CdcBounds) => b.maxFailovers + 1

export const cdcVariables = (b: CdcBounds) => {
  const seqno = uint(b.maxSeqno)
  const uuid = uint(maxBranch(b))
  const key = uint(b.keys)
  const mutation = record({ key, branch: uuid })
  const range = record({ start: seqno, end: seqno })
  const point = record({ uuid, seqno, snapStart: seqno, snapEnd: seqno })
  return {
    role: perNode(Role),
    stored: perNode(arrayOf(mutation, b.maxSeqno)),
    high: perNode(seqno),
    persisted: perNode(seqno),
    /** The snapshot the copy is receiving (an active's is its own high seqno: its writes are complete snapshots). */
    snapshot: perNode(range),
    /** The snapshot range recorded with the last flush (what a restart or a promotion finds on disk). */
    persistedSnapshot: perNode(range),
    /**
     * The seqnos at which the copy's storage is a consistent point (the end of a snapshot it holds
     * whole), as a bitmask (bit k - 1 for seqno k): a producer cuts snapshots only there, and a
     * rollback goes back to one.
     */
    ends: perNode(uint(2 ** b.maxSeqno - 1)),
    failoverLog: perNode(seqOf(record({ uuid, seqno }), maxBranch(b))),
    /** Failed over while down: absent from the cluster map until it restarts. */
    failedOver: perNode(bool),
    /** The cluster map's active copy. */
    active: global(nodeId),
    /** Branch UUIDs handed out so far (a new branch takes the next; a real vbuuid is random, and unique). */
    branches: global(uuid),
    /** The stream: its source, branch and position, the snapshot it is in, and whether its first marker is still to come. */
    stream: global(record({ state: Stream, source: nodeOrNone, uuid, position: seqno, snapStart: seqno, snapEnd: seqno, first: bool })),
    /** A mutation received and not yet applied (key 0: none), with the branch and snapshot it came in. */
    received: global(record({ seqno, key, branch: uuid, uuid, snapStart: seqno, snapEnd: seqno })),
    /** The last acknowledged position (memory). */
    offset: global(point),
    /** The durable checkpoint the consumer restarts from. */
    checkpoint: global(point),
    /** The end of the last snapshot the consumer received and applied whole: a point its sink is consistent at (memory). */
    consistent: global(seqno),
    /** After a rollback, events at or below this seqno are dropped (go-dcp's catch-up). */
    catchup: global(seqno),
    /** The highest seqno the mitigation has seen persisted on every copy, and the branch the copies were on then. */
    persistView: global(seqno),
    persistViewBranch: global(uuid),
    /** The sink: the mutation applied at each seqno (key 0: none). */
    sink: global(arrayOf(mutation, b.maxSeqno))
  }
}

export const CdcState = defineState(cdcVariables)
type Decl = ReturnType<typeof cdcVariables>
export type CdcView = PreView<Decl>
export type CdcNext = NextView<Decl>
export type CdcStateView = StateView<Decl>

/** The highest consistent point of copy c at or below `seqno` (0 if none: the empty history is one). */
export function endAtOrBelow(s: CdcView | CdcNext | CdcStateView, c: number, seqno: number): number {
  const ends = s.ends(c)
  for (let k = seqno; k >= 1; k--) if ((ends & (1 << (k - 1))) !== 0) return k
  return 0
}
/** Is `seqno` a consistent point of copy c (0 always is)? */
export const isEnd = (s: CdcView | CdcNext | CdcStateView, c: number, seqno: number) => seqno === 0 || (s.ends(c) & (1 << (seqno - 1))) !== 0

/** The UUID of copy c's newest failover-log entry (its current branch). */
export const branchOf = (s: CdcView | CdcNext | CdcStateView, c: number) => s.failoverLog.uuid(c, 1)

/** Copy 1 active on branch 1 (failover log [(1, 0)]), every copy with it; the consumer has seen nothing. */
export function initCdc(s: InitView<Decl>): void {
  s.active = 1
  s.branches = 1
  for (let c = 1; c <= s.nodeCount; c++) {
    s.failoverLog.push(c, { uuid: 1, seqno: 0 })
    s.setRole(c, c === 1 ? Role.Active : Role.Replica)
  }
}
