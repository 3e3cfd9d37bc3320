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

/** Before truncating, the plan's primary no longer leads in the plan's term (or a newer term was seen): nothing dropped. */
export class StalePlan extends Schema.TaggedError<StalePlan>()("StalePlan", { primary: Schema.Int, term: Schema.Int }) {}

export class ReadTailFailed extends Schema.TaggedError<ReadTailFailed>()("ReadTailFailed", { message: Schema.String }) {}

/** The rollback file could not be written durably: nothing was dropped. */
export class TailPersistFailed extends Schema.TaggedError<TailPersistFailed>()("TailPersistFailed", { message: Schema.String }) {}

/** Truncation or the restore of pre-images failed; the rollback file holds the whole tail. */
export class RecoverFailed extends Schema.TaggedError<RecoverFailed>()("RecoverFailed", { message: Schema.String }) {}

export class EmitFailed extends Schema.TaggedError<EmitFailed>()("EmitFailed", { message: Schema.String }) {}

export class RejoinFailed extends Schema.TaggedError<RejoinFailed>()("RejoinFailed", { message: Schema.String }) {}

export type RollbackError = BelowWatermark | NothingToRollBack | StalePlan | ReadTailFailed | TailPersistFailed | RecoverFailed | EmitFailed | RejoinFailed
