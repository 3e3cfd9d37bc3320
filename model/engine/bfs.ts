/**
 * Breadth-first search on one thread, level by level. Trade-off: the simplest and, per state,
 * the fastest strategy; `parallel.ts` spreads the same rounds over worker threads.
 *
 * A state reached from several parents in one level keeps the smallest (parent fingerprint,
 * ordinal) edge, and violations are ranked by a key of the same kind, so the representative of
 * each state and the counterexample are the ones the parallel search finds too.
 */
import type { CheckpointReader, LevelSnapshot } from "./checkpoint.js"
import { compareFingerprints } from "./fingerprint.js"
import { Expander } from "./expander.js"
import type { Model } from "./model.js"
import type { RoundStats, SearchOptions } from "./search-types.js"
import { FingerprintSet, LevelIndex } from "./seen-set.js"
import { StateStore } from "./state-store.js"

export class SequentialBfs extends Expander {
  readonly seen: FingerprintSet
  /** States of the level being expanded. */
  frontier: StateStore
  /** States of the level being built. */
  nextLevel: StateStore
  private levelIndex: LevelIndex
  /** Frontier states expanded so far in the current round. */
  expanded = 0

  constructor(model: Model, options: SearchOptions) {
    super(model, options, false)
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
      const p = next.push(hi, lo, this.parentHi, this.parentLo, this.ordinal)
      next.setState(p, this.scratchWords)
      this.levelIndex.insert(hi, lo, p)
      return
    }
    const m = next.meta.chunk(at)
    const b = next.meta.offset(at)
    if ((compareFingerprints(this.parentHi, this.parentLo, m[b + 2]!, m[b + 3]!) || this.ordinal - m[b + 4]!) < 0) {
      m[b + 2] = this.parentHi
      m[b + 3] = this.parentLo
      m[b + 4] = this.ordinal
      next.setState(at, this.scratchWords)
    }
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
      this.expandState(words.chunk(p), words.offset(p), m[b]!, m[b + 1]!)
    }
    this.expanded = count
  }

  /** Round, phase 2: checks the new states, records them and makes them the frontier. */
  finishLevel(): void {
    const next = this.nextLevel
    const { meta, words } = next
    for (let p = 0; p < next.count; p++) {
      const m = meta.chunk(p)
      const b = meta.offset(p)
      this.seen.insert(m[b]!, m[b + 1]!)
      this.closeState(m, b, words.chunk(p), words.offset(p))
    }
    this.levelEnds.push(this.recordCount)
    const old = this.frontier
    old.clear()
    this.frontier = next
    this.nextLevel = old
    this.levelIndex = new LevelIndex(next.count, this.options.segmentShift)
    this.expanded = 0
  }

  /** Resuming: the seen set and the frontier of a checkpoint, and its counters (checkpoint.ts). */
  restore(checkpoint: CheckpointReader): void {
    const h = checkpoint.header
    checkpoint.readSeen((hi, lo) => this.seen.insert(hi, lo))
    const frontier = this.frontier
    checkpoint.readFrontier(
      (_, m, b) => void frontier.push(m[b]!, m[b + 1]!, m[b + 2]!, m[b + 3]!, m[b + 4]!),
      (p, words, at) => frontier.setState(p, words, at)
    )
    this.restoreCounters(h.depth, h.generated, h.coverage)
    this.levelIndex = new LevelIndex(frontier.count, this.options.segmentShift)
  }

  /** What a checkpoint of this level boundary holds. */
  snapshot(): LevelSnapshot {
    const f = this.frontier
    return {
      seen: this.seen.slots,
      frontier: { count: f.count, shift: f.words.shift, meta: f.meta.chunks, words: f.words.chunks },
      records: [{ records: this.records.chunks, shift: this.records.shift, levelEnds: this.levelEnds }]
    }
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
