/**
 * The recovery driver's data: WAL entries, the primary's retained history, the handshake report,
 * and the gap classification, a pure function of the two (locality by construction: the driver
 * never reads a replica's storage, only what the replica reported).
 */
import { Schema } from "effect"

/** One WAL record: its LSN, the epoch of the primary that wrote it, and the write's payload. */
export const WalEntry = Schema.Struct({ lsn: Schema.Int, epoch: Schema.Int, data: Schema.String })
export type WalEntry = typeof WalEntry.Type

/** What a primary knows of its own storage when it plans. */
export interface RetainedHistory {
  /** The highest LSN written. */
  readonly head: number
  /** Entries at or below the tail are recycled from the WAL (their data is in the extent). */
  readonly tail: number
  readonly committed: number
  /** The epoch of the entry at `lsn`, for lsn in [tail, head] (the WAL keeps its boundary's header); null elsewhere. */
  readonly epochAt: (lsn: number) => number | null
  /** A trusted snapshot's LSN, or 0. */
  readonly snapshot: number
}

/** What a replica says in the handshake: its flushed LSN, and the epoch of its entry at min(flushed, the primary's committed LSN). */
export interface HandshakeReport {
  readonly flushed: number
  /** 0 when that LSN is 0. */
  readonly epochAtCheck: number
}

export type Outcome = "ZeroGap" | "CatchUp" | "Truncate" | "NeedsRebuild"

/**
 * How the primary classifies a replica's gap. With `checkHistory` a replica whose entry at
 * min(flushed, committed) is not the primary's has diverged and needs a rebuild (as does one the
 * primary cannot check, its entry recycled); without it, LSNs alone decide (sw-block Phase 06).
 * Equal flushed and committed LSNs: zero gap; a replica ahead is truncated to the committed LSN; a
 * replica whose next entry is still retained catches up; any other needs a rebuild.
 */
export function classifyGap(history: RetainedHistory, report: HandshakeReport, checkHistory: boolean): Outcome {
  if (checkHistory) {
    const checked = Math.min(report.flushed, history.committed)
    if (checked > 0 && history.epochAt(checked) !== report.epochAtCheck) return "NeedsRebuild"
  }
  if (report.flushed === history.committed) return "ZeroGap"
  if (report.flushed > history.committed) return "Truncate"
  if (report.flushed >= history.tail) return "CatchUp"
  return "NeedsRebuild"
}

/** Where a rebuild's base comes from: a trusted snapshot whose WAL tail is still retained, else a full base at the committed LSN. */
export function rebuildSource(history: RetainedHistory): { readonly source: "SnapshotTail" | "FullBase"; readonly lsn: number } {
  if (history.snapshot > 0 && history.snapshot >= history.tail) return { source: "SnapshotTail", lsn: history.snapshot }
  return { source: "FullBase", lsn: history.committed }
}
