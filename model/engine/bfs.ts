/**
 * Breadth-first search on one thread, level by level. Trade-off: the simplest and, per state,
 * the fastest strategy; `parallel.ts` spreads the same rounds over worker threads.
 *
 * A state reached from several parents in one level keeps the smallest (parent fingerprint,
 * ordinal) edge, and violations are ranked by a key of the same kind, so the representative of
 * each state and the counterexample are the ones the parallel search finds too. (The edge is
 * stored as the parent's position, and the parent's fingerprint read from the frontier when two
 * edges are compared.)
 */
import type { CheckpointReader, LevelSnapshot } from "./checkpoint.js"
import { compareFingerprints } from "./fingerprint.js"
import { Expander } from "./expander.js"
import type { Model } from "./model.js"
import type { RoundStats, SearchOptions } from "./search-types.js"
import { FingerprintSet, LevelIndex } from "./seen-set.js"
import { EDGE, StateStore } from "./state-store.js"
import { Rows } from "./rows.js"
import type { RecordSet } from "./path.js"

export class SequentialBfs extends Expander {
  readonly seen: FingerprintSet
  /** States of the level being expanded. */
  frontier: StateStore
  /** States of the level being built. */
  nextLevel: StateStore
  private levelIndex: LevelIndex
  /** Frontier states expanded so far in the current round. */
  expanded = 0
  /** The edge of every distinct state, level by level (EDGE words each; path.ts). */
  readonly records: Rows
  private recordCount = 0
  /** Records of levels 1..d at levelEnds[d - 1]. */
  readonly levelEnds: number[] = []

  constructor(model: Model, options: SearchOptions) {
    super(model, options)
    this.records = new Rows(EDGE, options.chunkShift, false)
    this.frontier = new StateStore(this.widthWords, options.chunkShift)
    this.nextLevel = new StateStore(this.widthWords, options.chunkShift)
    this.seen = new FingerprintSet(1 << 12, options.segmentShift)
    this.levelIndex = new LevelIndex(1024, options.segmentShift)
  }

  /** Level 1: the initial states. */
  seedInitialStates(): void {
    this.admitInitialStates()
    this.finishLevel()
  }

  /**
   * Adds a successor to the level being built or, when it is already there, keeps the smaller of
   * the two edges (parent fingerprint, then ordinal), so the result does not depend on arrival order.
   */
  protected admit(hi: number, lo: number): void {
    if (this.seen.has(hi, lo)) return
    const next = this.nextLevel
    const at = this.levelIndex.find(hi, lo)
    if (at < 0) {
      const p = next.push(hi, lo, this.parentPosition, this.ordinal)
      next.setState(p, this.scratchWords)
      this.levelIndex.insert(hi, lo, p)
      return
    }
    const m = next.meta.chunk(at)
    const b = next.meta.offset(at)
    if ((this.compareParent(m[b + 2]!) || this.ordinal - m[b + 3]!) < 0) {
      m[b + 2] = this.parentPosition
      m[b + 3] = this.ordinal
      next.setState(at, this.scratchWords)
    }
  }

  /** The parent being expanded against the frontier state at `position`, by fingerprint. */
  private compareParent(position: number): number {
    if (position < 0) return 0
    const f = this.frontier.meta
    const m = f.chunk(position)
    const b = f.offset(position)
    return compareFingerprints(this.parentHi, this.parentLo, m[b]!, m[b + 1]!)
  }

  /** Round, phase 1: expands every frontier state into the next level. */
  expandFrontier(successorLength: number): void {
    this.successorLength = successorLength
    const { meta, words, count } = this.frontier
    for (let p = 0; p < count; p++) {
      this.expanded = p
      if ((p & 16383) === 16383 && this.tick !== undefined) this.tick()
      const m = meta.chunk(p)
      const b = meta.offset(p)
      this.expandState(words.chunk(p), words.offset(p), m[b]!, m[b + 1]!, p)
    }
    this.expanded = count
  }

  /** Round, phase 2: checks the new states, records them and makes them the frontier. */
  finishLevel(): void {
    const next = this.nextLevel
    const { meta, words } = next
    const records = this.records
    records.reserve(this.recordCount + next.count)
    for (let p = 0; p < next.count; p++) {
      const m = meta.chunk(p)
      const b = meta.offset(p)
      this.seen.insert(m[b]!, m[b + 1]!)
      const r = this.recordCount++
      const edges = records.chunk(r)
      const e = records.offset(r)
      edges[e] = m[b + 2]!
      edges[e + 1] = m[b + 3]!
      this.checkNewState(m, b, words.chunk(p), words.offset(p), p)
    }
    this.levelEnds.push(this.recordCount)
    const old = this.frontier
    old.clear()
    this.frontier = next
    this.nextLevel = old
    this.levelIndex = new LevelIndex(next.count, this.options.segmentShift)
    this.expanded = 0
  }

  /** Resuming: the seen set, the frontier and the edge records of a checkpoint, and its counters (checkpoint.ts). */
  restore(checkpoint: CheckpointReader): void {
    const h = checkpoint.header
    checkpoint.readSeen((hi, lo) => this.seen.insert(hi, lo))
    const frontier = this.frontier
    checkpoint.readFrontier(
      (_, m, b) => void frontier.push(m[b]!, m[b + 1]!, m[b + 2]!, m[b + 3]!),
      (p, words, at) => frontier.setState(p, words, at)
    )
    this.recordCount = checkpoint.readRecords(this.records)
    for (const end of h.levelEnds) this.levelEnds.push(end)
    this.restoreCounters(h.generated, h.coverage)
    this.levelIndex = new LevelIndex(frontier.count, this.options.segmentShift)
  }

  /** What a checkpoint of this level boundary holds. */
  snapshot(): LevelSnapshot {
    const f = this.frontier
    return {
      seen: this.seen.slots,
      frontier: { count: f.count, shift: f.words.shift, meta: f.meta.chunks, words: f.words.chunks },
      records: this.recordSet()
    }
  }

  /** The edge records of the levels so far, for a counterexample or a checkpoint. */
  recordSet(): RecordSet {
    return { records: this.records.chunks, shift: this.records.shift, levelEnds: this.levelEnds }
  }

  /** Live counters for progress lines: generated, distinct (including the level being built), queue. */
  live(): [number, number, number] {
    return [this.generated, this.seen.size + this.nextLevel.count, this.frontier.count - this.expanded + this.nextLevel.count]
  }

  stats(): RoundStats {
    return {
      generated: this.generated,
      distinct: this.seen.size,
      frontier: this.frontier.count,
      coverage: Array.from(this.coverage),
      seenBytes: this.seen.bytes
    }
  }
}
