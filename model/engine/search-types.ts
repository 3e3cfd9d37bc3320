/** Types shared by the sequential and the parallel search. */
import { compareFingerprints } from "./fingerprint.js"
import type { StateInvariant, StepInvariant } from "./model.js"

/** Why a state or step is a counterexample. */
export type ViolationKind = "state" | "step" | "deadlock"

/** A candidate counterexample, identified by edges rather than by stored states. */
export interface ViolationRecord {
  readonly kind: ViolationKind
  readonly invariant: string
  /** States in the counterexample (the shortest for this level). */
  readonly length: number
  /** Rank of the invariant in the checked list (deadlock last). */
  readonly rank: number
  /** Fingerprint of the last stored state of the trace (the violating state itself, or its parent). */
  readonly anchorHi: number
  readonly anchorLo: number
  /** Ordinal of the last step from the anchor, or -1 when the anchor is the violating state. */
  readonly ordinal: number
}

/** Orders violations: shorter first, then invariant rank, then the edge. */
export function compareViolations(a: ViolationRecord, b: ViolationRecord): number {
  return (
    a.length - b.length ||
    a.rank - b.rank ||
    compareFingerprints(a.anchorHi, a.anchorLo, b.anchorHi, b.anchorLo) ||
    a.ordinal - b.ordinal
  )
}

/** What one searching thread checks, and which of N it is. */
export interface SearchOptions {
  readonly index: number
  readonly count: number
  readonly symmetry: boolean
  readonly deadlock: boolean
  readonly stateInvariants: readonly StateInvariant[]
  readonly stepInvariants: readonly StepInvariant[]
  /** Rows per chunk of the chunked tables, as a power of two (rows.ts; tests make it tiny). */
  readonly chunkShift: number
  /** Slots per segment of the hash tables, as a power of two (seen-set.ts; tests make it tiny). */
  readonly segmentShift: number
}

/** Counters a search reports after each round (summed over threads). */
export interface RoundStats {
  generated: number
  distinct: number
  frontier: number
  coverage: number[]
  seenBytes: number
}

/** Keeps the smaller of two violation candidates. */
export function lesserViolation(current: ViolationRecord | null, candidate: ViolationRecord): ViolationRecord {
  return current === null || compareViolations(candidate, current) < 0 ? candidate : current
}
