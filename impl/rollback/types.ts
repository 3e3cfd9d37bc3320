/**
 * The reference rollback coordinator's data (spec/adr/0001-deposed-primary-rollback.md): log
 * entries by LSN, each a key/value write in the term it was written in, and the rollback plan.
 * Plain data with Effect Schemas where it crosses a boundary (rollback files, operator events).
 */
import { Schema } from "effect"

/** One oplog entry: position (from 1), the term it was written in, and the write it carries. */
export const LogEntry = Schema.Struct({
  lsn: Schema.Int.pipe(Schema.positive()),
  term: Schema.Int.pipe(Schema.nonNegative()),
  key: Schema.String,
  /** The value written, or null for a delete. */
  value: Schema.NullOr(Schema.String)
})
export type LogEntry = typeof LogEntry.Type

/** Who leads in which term, as one node believes (from the heartbeats it received). */
export interface LeaderView {
  readonly primary: number
  readonly term: number
}

/**
 * What a node's coordinator knows when it plans: its own log, the log it fetched from the leader it
 * believes in, that leader and term (its own view), and its learned commit point.
 */
export interface RollbackInput {
  readonly node: number
  readonly localLog: readonly LogEntry[]
  /** The log fetched from `source` (at least up to the local log's length). */
  readonly sourceLog: readonly LogEntry[]
  /** The leader this node believes in, in the term this node is in. */
  readonly source: number
  readonly sourceTerm: number
  /** The node's learned commit point (an LSN) when it plans: nothing at or below it may be removed. */
  readonly watermark: number
}

/** A decided rollback: truncate to `commonPoint` after saving the tail above it. */
export interface RollbackPlan {
  readonly node: number
  readonly source: number
  readonly rejoinTerm: number
  readonly commonPoint: number
  readonly watermark: number
  /** The LSNs above the common point, up to the local log's last. */
  readonly tailFrom: number
  readonly tailTo: number
}

/** An entry as events name it: its position and the term it was written in. */
export const EntryId = Schema.Struct({ lsn: Schema.Int, term: Schema.Int })
export type EntryId = typeof EntryId.Type

/**
 * The operator event a rollback emits (appended to the node's event log as NDJSON), naming every
 * entry it removed. The rollback file's name identifies it: emitting the same event twice (a
 * crash between the append and the end of the rollback) appends it once.
 */
export const RollbackEvent = Schema.Struct({
  kind: Schema.Literal("rollback"),
  node: Schema.Int,
  source: Schema.Int,
  rejoinTerm: Schema.Int,
  commonPoint: Schema.Int,
  removed: Schema.Array(EntryId),
  rollbackFile: Schema.String
})
export type RollbackEvent = typeof RollbackEvent.Type
