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
  /**
   * The anchor's position in its level: where the counterexample's walk back starts (path.ts).
   * Not part of the order: in a parallel search a level's positions depend on thread timing.
   */
  readonly anchorPosition: number
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

/** Time spent in one kind of phase of a parallel search, over the whole search. */
export interface PhaseTimes {
  /** Phases of this kind (each one a request to every worker and the wait for all replies). */
  calls: number
  /** The coordinator's wall time from sending the requests to the last reply, in ms. */
  wallMs: number
  /** The workers' time handling the requests, summed over workers, in ms. */
  busyMs: number
  /** Per phase, the busiest worker's time, summed over phases, in ms (wallMs minus this is messaging and wake-up). */
  maxBusyMs: number
}

/**
 * Where a parallel search's time goes, phase by phase (bench/parallel-profile.ts prints it): the
 * seed phase (worker start-up included), the expand phases (successors, the shared cursor, new states into the level map), the pauses in
 * which the coordinator grows the level tables while every worker waits, the finish phases (new
 * states into the seen set, invariants, edge records), the growths of the seen set, and the
 * garbage collections after tables are replaced.
 */
export interface SearchProfile {
  readonly workers: number
  /** Levels completed (finish phases). */
  levels: number
  /** The initial states' expand phase: its first request waits for the worker threads to start (load modules, build the model). */
  readonly seed: PhaseTimes
  /** Every later level's expand phases. */
  readonly expand: PhaseTimes
  readonly finish: PhaseTimes
  /**
   * The seen set's growths: every worker copies its share of a small one into a new table; the
   * coordinator grows a large one in place (seen-set.ts) while every worker waits, so that busy
   * time is one thread's and the rest shows as imbalance.
   */
  readonly rehash: PhaseTimes
  /** Times an expand phase paused for the coordinator to grow the level tables. */
  pauses: number
  /** The coordinator's time growing tables (level map, level store), every worker waiting, in ms. */
  growMs: number
  /** The coordinator's time collecting replaced tables, in ms. */
  collectMs: number
}
