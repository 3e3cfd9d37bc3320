/**
 * RollbackPlan.compute: the pure planning step. The common point is the highest LSN at which the
 * local log and the source's hold an entry of the same term (Raft's log matching makes the whole
 * prefix agree there); the boundary rule refuses a plan whose common point is below the watermark.
 */
import { Either } from "effect"
import { BelowWatermark, NothingToRollBack } from "./errors.js"
import type { LogEntry, RollbackInput, RollbackPlan as Plan } from "./types.js"

/** The highest LSN where both logs hold an entry of the same term (0 if none). */
export function commonPoint(local: readonly LogEntry[], source: readonly LogEntry[]): number {
  for (let lsn = Math.min(local.length, source.length); lsn > 0; lsn--) {
    if (local[lsn - 1]!.term === source[lsn - 1]!.term) return lsn
  }
  return 0
}

/** The boundary rule: may the node truncate to `common` given its watermark? */
export function mayTruncateTo(common: number, watermark: number): boolean {
  return common >= watermark
}

export const RollbackPlan = {
  compute(input: RollbackInput): Either.Either<Plan, BelowWatermark | NothingToRollBack> {
    const common = commonPoint(input.localLog, input.sourceLog)
    if (common === input.localLog.length) return Either.left(new NothingToRollBack({ commonPoint: common }))
    if (!mayTruncateTo(common, input.watermark)) return Either.left(new BelowWatermark({ commonPoint: common, watermark: input.watermark }))
    return Either.right({
      node: input.node,
      source: input.source,
      rejoinTerm: input.sourceTerm,
      commonPoint: common,
      watermark: input.watermark,
      tailFrom: common + 1,
      tailTo: input.localLog.length
    })
  }
}
