/** Why a rollback stopped. Every error leaves the node's log as it was unless its name says otherwise. */
import { Schema } from "effect"

/** The plan refused: the common point is below the watermark (removing nothing). */
export class BelowWatermark extends Schema.TaggedError<BelowWatermark>()("BelowWatermark", {
  commonPoint: Schema.Int,
  watermark: Schema.Int
}) {}

/** The local log has not diverged from the source's: nothing to roll back. */
export class NothingToRollBack extends Schema.TaggedError<NothingToRollBack>()("NothingToRollBack", {
  commonPoint: Schema.Int
}) {}

/**
 * Before truncating, the node no longer believes the plan's primary leads in the plan's term (a
 * newer term, or no known leader): nothing dropped, the key versions match the log again.
 */
export class StalePlan extends Schema.TaggedError<StalePlan>()("StalePlan", { primary: Schema.Int, term: Schema.Int }) {}

/** At the truncation the node had learned a commit point above the common point: nothing dropped. */
export class CommitPointMoved extends Schema.TaggedError<CommitPointMoved>()("CommitPointMoved", { commonPoint: Schema.Int, commitPoint: Schema.Int }) {}

/** The term lock is held by another holder (or a crashed one not yet cleared by `resume`). */
export class TermLockBusy extends Schema.TaggedError<TermLockBusy>()("TermLockBusy", { message: Schema.String }) {}

/** An earlier rollback's event is still owed: run `RollbackCoordinator.resume` first. */
export class EventPending extends Schema.TaggedError<EventPending>()("EventPending", { rollbackFile: Schema.String }) {}

export class ReadTailFailed extends Schema.TaggedError<ReadTailFailed>()("ReadTailFailed", { message: Schema.String }) {}

/** The rollback file could not be written durably: nothing was dropped. */
export class TailPersistFailed extends Schema.TaggedError<TailPersistFailed>()("TailPersistFailed", { message: Schema.String }) {}

/** The restore of key versions or the truncation failed; the rollback file holds the whole tail. */
export class RecoverFailed extends Schema.TaggedError<RecoverFailed>()("RecoverFailed", { message: Schema.String }) {}

export class EmitFailed extends Schema.TaggedError<EmitFailed>()("EmitFailed", { message: Schema.String }) {}

export class RejoinFailed extends Schema.TaggedError<RejoinFailed>()("RejoinFailed", { message: Schema.String }) {}

export type RollbackError =
  | BelowWatermark
  | NothingToRollBack
  | StalePlan
  | CommitPointMoved
  | TermLockBusy
  | EventPending
  | ReadTailFailed
  | TailPersistFailed
  | RecoverFailed
  | EmitFailed
  | RejoinFailed
