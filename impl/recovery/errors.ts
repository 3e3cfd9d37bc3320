/** Why a recovery step failed. Each leaves the storage it names as it was. */
import { Schema } from "effect"

/** A pin was refused: its start is recycled, the snapshot is not the one asked for, or the storage is out of pins. */
export class PinRefused extends Schema.TaggedError<PinRefused>()("PinRefused", {
  kind: Schema.Literal("wal", "snapshot", "fullBase"),
  lsn: Schema.Int,
  reason: Schema.String
}) {}

/** A WAL entry the caller asked for is already recycled. */
export class EntryRecycled extends Schema.TaggedError<EntryRecycled>()("EntryRecycled", { lsn: Schema.Int, tail: Schema.Int }) {}

/** A replica cannot truncate below its WAL's start (those entries are in its extent only). */
export class TruncationUnsafe extends Schema.TaggedError<TruncationUnsafe>()("TruncationUnsafe", { target: Schema.Int, tail: Schema.Int }) {}

/** The replica has accepted a newer epoch than the primary's, or is not a replica now. */
export class Fenced extends Schema.TaggedError<Fenced>()("Fenced", { epoch: Schema.Int, replicaEpoch: Schema.Int }) {}

/** The snapshot being replaced is pinned by a rebuild. */
export class SnapshotPinned extends Schema.TaggedError<SnapshotPinned>()("SnapshotPinned", { lsn: Schema.Int }) {}

/** A replica takes only its next LSN (a WAL append is contiguous). */
export class NotNextEntry extends Schema.TaggedError<NotNextEntry>()("NotNextEntry", { lsn: Schema.Int, flushed: Schema.Int }) {}
