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

/** What a node's coordinator knows when it starts: its own log, the new primary's, its watermark. */
export interface RollbackInput {
  readonly node: number
  readonly localLog: readonly LogEntry[]
  /** The new primary's log (at least up to the local log's length). */
  readonly sourceLog: readonly LogEntry[]
  readonly source: number
  readonly sourceTerm: number
  /** The node's learned commit point (an LSN): nothing at or below it may be removed. */
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

/** The operator event a rollback emits (appended to the node's event log as NDJSON). */
export const RollbackEvent = Schema.Struct({
  kind: Schema.Literal("rollback"),
  node: Schema.Int,
  source: Schema.Int,
  rejoinTerm: Schema.Int,
  commonPoint: Schema.Int,
  removed: Schema.Int,
  rollbackFile: Schema.String
})
export type RollbackEvent = typeof RollbackEvent.Type
