/**
 * Breadth-first search on one thread, level by level. Trade-off: the simplest and, per state,
 * the fastest strategy; `parallel.ts` spreads the same rounds over worker threads.
 *
 * A state reached from several parents in one level keeps the smallest (parent fingerprint,
 * ordinal) edge, and violations are ranked by a key of the same kind, so the representative of
 * each state and the counterexample are the ones the parallel search finds too.
 *
 * `emit` runs once per generated successor; it allocates nothing and calls no Effect.
 */
import { compareFingerprints, fingerprintWords, fpHi, fpLo } from "./fingerprint.js"
import type { Model, Successors } from "./model.js"
import { lesserViolation, type RoundStats, type SearchOptions, type ViolationKind, type ViolationRecord } from "./search-types.js"
import { FingerprintSet, LevelIndex } from "./seen-set.js"
import { META, StateStore } from "./state-store.js"

export class SequentialBfs implements Successors {
  readonly seen: FingerprintSet
  /** States of the level being expanded. */
  frontier: StateStore
  /** States of the level being built. */
  nextLevel: StateStore
  private levelIndex: LevelIndex
  /** Per distinct state: fingerprint, parent fingerprint, ordinal (META words each), by level. */
  records: Int32Array
  recordCount = 0
  /** Record count at the end of each level (levelEnds[d-1] = records of levels 1..d). */
  readonly levelEnds: number[] = []

  generated = 0
  readonly coverage: Float64Array
  violation: ViolationRecord | null = null
  /** Called every few thousand expanded states, for progress on long levels. */
  tick: (() => void) | undefined = undefined
  /** Frontier states expanded so far in the current round. */
  expanded = 0

  private readonly widthWords: number
  private readonly srcBytes: Uint8Array
  private readonly srcWords: Int32Array
  private readonly scratchBytes: Uint8Array
  private readonly scratchWords: Int32Array
  private readonly canonBytes: Uint8Array
  private readonly canonWords: Int32Array
  private readonly canonicalize: ((src: Uint8Array, dst: Uint8Array) => void) | undefined

  // The edge being expanded.
  private family = 0
  private ordinal = 0
  private parentHi = 0
  private parentLo = 0
  /** Length of the traces ending in the successors being generated. */
  private successorLength = 1

  constructor(
    readonly model: Model,
    readonly options: SearchOptions
  ) {
    this.widthWords = model.widthBytes >> 2
    this.seen = new FingerprintSet(1 << 12)
    this.frontier = new StateStore(this.widthWords, 1024)
    this.nextLevel = new StateStore(this.widthWords, 1024)
    this.levelIndex = new LevelIndex(1024)
    this.records = new Int32Array(1024 * META)
    this.coverage = new Float64Array(model.families.length)
    const buf = () => new Int32Array(this.widthWords)
    this.srcWords = buf()
    this.srcBytes = new Uint8Array(this.srcWords.buffer)
    this.scratchWords = buf()
    this.scratchBytes = new Uint8Array(this.scratchWords.buffer)
    this.canonWords = buf()
    this.canonBytes = new Uint8Array(this.canonWords.buffer)
    if (options.symmetry && !model.canonicalize) {
      throw new Error(`${model.protocol} has no symmetry`)
    }
    this.canonicalize = options.symmetry ? model.canonicalize : undefined
  }

  /** Level 1: the initial states. */
  seedInitialStates(): void {
    const inits = this.model.initialStates()
    this.successorLength = 1
    this.parentHi = 0
    this.parentLo = 0
    for (let k = 0; k < inits.length; k++) {
      const init = inits[k]!
      this.scratchBytes.fill(0)
      this.scratchBytes.set(init)
      this.generated++
      this.ordinal = k
      this.accept()
    }
    this.finishLevel()
  }

  // Successors interface: the protocol mutates the scratch copy, then emits it.

  next(): Uint8Array {
    const s = this.scratchWords
    const src = this.srcWords
    for (let i = 0; i < this.widthWords; i++) s[i] = src[i]!
    return this.scratchBytes
  }

  emit(): void {
    this.generated++
    this.coverage[this.family]!++
    const steps = this.options.stepInvariants
    for (let k = 0; k < steps.length; k++) {
      if (!steps[k]!.holds(this.srcBytes, this.scratchBytes)) {
        this.report("step", k + this.options.stateInvariants.length, steps[k]!.name, this.parentHi, this.parentLo, this.ordinal)
      }
    }
    this.accept()
    this.ordinal++
  }

  /** The scratch state: checked if out of the constraint, else deduplicated and kept. */
  private accept(): void {
    const model = this.model
    if (!model.constraint(this.scratchBytes)) {
      const inv = this.options.stateInvariants
      for (let k = 0; k < inv.length; k++) {
        if (!inv[k]!.holds(this.scratchBytes)) {
          this.report("state", k, inv[k]!.name, this.parentHi, this.parentLo, this.ordinal)
        }
      }
      return
    }
    let words = this.scratchWords
    if (this.canonicalize !== undefined) {
      this.canonicalize(this.scratchBytes, this.canonBytes)
      words = this.canonWords
    }
    fingerprintWords(words, 0, this.widthWords)
    const hi = fpHi
    const lo = fpLo
    if (this.seen.has(hi, lo)) return
    this.addToLevel(hi, lo, this.parentHi, this.parentLo, this.ordinal, this.scratchWords)
  }

  /**
   * Adds a state to the level being built or, when it is already there, keeps the smaller of the
   * two edges (parent fingerprint, then ordinal), so the result does not depend on arrival order.
   */
  private addToLevel(hi: number, lo: number, pHi: number, pLo: number, ordinal: number, words: Int32Array): void {
    const next = this.nextLevel
    const at = this.levelIndex.find(hi, lo)
    if (at < 0) {
      const p = next.push(hi, lo, pHi, pLo, ordinal)
      next.setState(p, words)
      this.levelIndex.insert(hi, lo, p)
      return
    }
    const m = next.meta
    const b = at * META
    const order = compareFingerprints(pHi, pLo, m[b + 2]!, m[b + 3]!) || ordinal - m[b + 4]!
    if (order < 0) {
      m[b + 2] = pHi
      m[b + 3] = pLo
      m[b + 4] = ordinal
      next.setState(at, words)
    }
  }

  private report(kind: ViolationKind, rank: number, invariant: string, anchorHi: number, anchorLo: number, ordinal: number): void {
    const candidate: ViolationRecord = {
      kind,
      invariant,
      length: kind === "deadlock" ? this.successorLength - 1 : this.successorLength,
      rank,
      anchorHi,
      anchorLo,
      ordinal
    }
    this.violation = lesserViolation(this.violation, candidate)
  }

  /** Round, phase 1: expands every frontier state into the next level. */
  expandFrontier(successorLength: number): void {
    this.successorLength = successorLength
    const frontier = this.frontier
    const w = this.widthWords
    const families = this.model.families
    const deadlock = this.options.deadlock
    for (let p = 0; p < frontier.count; p++) {
      this.expanded = p
      if ((p & 16383) === 16383 && this.tick !== undefined) this.tick()
      const src = this.srcWords
      const base = p * w
      for (let i = 0; i < w; i++) src[i] = frontier.words[base + i]!
      this.parentHi = frontier.meta[p * META]!
      this.parentLo = frontier.meta[p * META + 1]!
      this.ordinal = 0
      for (let f = 0; f < families.length; f++) {
        this.family = f
        families[f]!.expand(this.srcBytes, this)
      }
      if (deadlock && this.ordinal === 0) {
        this.report("deadlock", this.options.stateInvariants.length + this.options.stepInvariants.length, "Deadlock", this.parentHi, this.parentLo, -1)
      }
    }
    this.expanded = frontier.count
  }

  /** Round, phase 2: checks the new states, records them and makes them the frontier. */
  finishLevel(): void {
    const next = this.nextLevel
    const inv = this.options.stateInvariants
    const w = this.widthWords
    const scratch = this.scratchWords
    for (let p = 0; p < next.count; p++) {
      const b = p * META
      const hi = next.meta[b]!
      const lo = next.meta[b + 1]!
      this.seen.add(hi, lo)
      this.appendRecord(next.meta, b)
      if (inv.length > 0) {
        for (let i = 0; i < w; i++) scratch[i] = next.words[p * w + i]!
        for (let k = 0; k < inv.length; k++) {
          if (!inv[k]!.holds(this.scratchBytes)) this.report("state", k, inv[k]!.name, hi, lo, -1)
        }
      }
    }
    this.levelEnds.push(this.recordCount)
    const old = this.frontier
    old.clear()
    this.frontier = next
    this.nextLevel = old
    this.levelIndex = new LevelIndex(next.count)
    this.expanded = 0
  }

  private appendRecord(meta: Int32Array, b: number): void {
    if ((this.recordCount + 1) * META > this.records.length) {
      const bigger = new Int32Array(this.records.length * 2)
      bigger.set(this.records)
      this.records = bigger
    }
    const r = this.recordCount * META
    for (let i = 0; i < META; i++) this.records[r + i] = meta[b + i]!
    this.recordCount++
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
