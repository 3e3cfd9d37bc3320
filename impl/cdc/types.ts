/**
 * The cdc reference implementation's data (spec/adr/0004-change-stream-rollback.md): mutations as
 * a vBucket stores them, failover-log entries with random 64-bit vBucket UUIDs, the consumer's
 * stream request and the producer's answer, the DCP messages of a stream (snapshot marker,
 * mutation, seqno advanced), observe-seqno's answer, and the consumer's checkpoint.
 */
import { Schema } from "effect"

/** A vBucket UUID: random, 64 bits, unique per branch of history. 0n: none (a consumer that has seen nothing). */
export type Vbuuid = bigint
export const NO_VBUUID: Vbuuid = 0n

/** A vBucket UUID on disk: its decimal text (JSON has no 64-bit integers). */
export const VbuuidText = Schema.BigInt

/** One mutation: its seqno, key ("k1"), value, and the UUID of the history it was written in. */
export const Mutation = Schema.Struct({ seqno: Schema.Int, key: Schema.String, value: Schema.String, vbuuid: VbuuidText })
export type Mutation = typeof Mutation.Type

/** A failover-log entry: a branch's UUID and the seqno it began at. Logs are newest first. */
export interface FailoverEntry {
  readonly vbuuid: Vbuuid
  readonly seqno: number
}

/** A snapshot range [start, end]. */
export interface SnapshotRange {
  readonly start: number
  readonly end: number
}

/**
 * Where a DCP stream stands: its id and source copy, its branch, the last seqno sent and the
 * snapshot it is in, and whether its first marker is still to come (that marker may resume the
 * request's snapshot). The producer keeps one per stream; the consumer keeps its own copy, built
 * from what the producer tells it, never the producer's object.
 */
export interface StreamPosition {
  readonly id: number
  readonly source: number
  readonly vbuuid: Vbuuid
  position: number
  snapStart: number
  snapEnd: number
  first: boolean
}

/** A stream request's resume point: the requester's vbuuid, start seqno and the snapshot it is in. */
export interface StreamRequest {
  readonly vbuuid: Vbuuid
  readonly start: number
  readonly snapStart: number
  readonly snapEnd: number
}

/** The producer's answer to a stream request: a stream from the request's seqno, or the seqno to roll back to. */
export type StreamAnswer =
  | { readonly _tag: "Ok"; readonly stream: number; readonly source: number; readonly failoverLog: readonly FailoverEntry[] }
  | { readonly _tag: "Rollback"; readonly seqno: number }

/** What a stream sends: a marker, a mutation, or (the snapshot's end deduplicated away) the seqno it advanced to. */
export type DcpMessage =
  | { readonly _tag: "SnapshotMarker"; readonly start: number; readonly end: number }
  | { readonly _tag: "Mutation"; readonly mutation: Mutation }
  | { readonly _tag: "SeqnoAdvanced"; readonly seqno: number }

/** observe-seqno's answer: the copy's current branch and its persisted seqno. */
export interface ObservedSeqno {
  readonly vbuuid: Vbuuid
  readonly persistedSeqno: number
}

/** A position the consumer can resume from (its acknowledged offset, or its durable checkpoint). */
export const Checkpoint = Schema.Struct({ vbuuid: VbuuidText, seqno: Schema.Int, snapStart: Schema.Int, snapEnd: Schema.Int })
export type Checkpoint = typeof Checkpoint.Type
export const NO_CHECKPOINT: Checkpoint = { vbuuid: NO_VBUUID, seqno: 0, snapStart: 0, snapEnd: 0 }

export const sameCheckpoint = (a: Checkpoint, b: Checkpoint) => a.vbuuid === b.vbuuid && a.seqno === b.seqno && a.snapStart === b.snapStart && a.snapEnd === b.snapEnd
