/**
 * One partition of a level-synchronous breadth-first search: the unit a worker thread runs
 * (with one worker, the whole search runs in a single shard on the calling thread).
 *
 * Each distinct state is owned by the shard `fpLo mod N`. A round expands the owned frontier:
 * successors owned here go straight into the next level, the others are filtered against their
 * owner's seen set (read-only during the round) and sent to it through an outbox. A state reached
 * from several parents keeps the smallest (parent fingerprint, ordinal) edge, and violations are
 * ranked by a key of the same kind, so counts, representatives and counterexamples do not depend
 * on the number of workers or on thread timing.
 *
 * `emit` below runs once per generated successor; it allocates nothing and calls no Effect.
 */
import { compareFingerprints, fingerprintWords, fpHi, fpLo } from "./fingerprint.js"
import type { Model, StateInvariant, StepInvariant, Successors } from "./model.js"
import { FingerprintSet, LevelIndex, allocInt32 } from "./seen-set.js"
import { META, StateStore } from "./state-store.js"

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
  /** Fingerprint of the state at the end of the trace's prefix that is stored (the parent, or the state itself). */
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

export interface ShardOptions {
  readonly index: number
  readonly count: number
  readonly symmetry: boolean
  readonly deadlock: boolean
  readonly stateInvariants: readonly StateInvariant[]
  readonly stepInvariants: readonly StepInvariant[]
}

/** Counters a shard reports after each round. */
export interface ShardStats {
  generated: number
  distinct: number
  frontier: number
  coverage: number[]
  seenBytes: number
}

export class Shard implements Successors {
  readonly seen: FingerprintSet
  /** States of the level being expanded, owned by this shard. */
  frontier: StateStore
  /** States of the level being built. */
  nextLevel: StateStore
  private levelIndex: LevelIndex
  readonly outboxes: StateStore[]
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
  private foreignSeen: FingerprintSet[] = []

  // The edge being expanded.
  private family = 0
  private ordinal = 0
  private parentHi = 0
  private parentLo = 0
  /** Length of the traces ending in the successors being generated. */
  private successorLength = 1

  constructor(
    readonly model: Model,
    readonly options: ShardOptions
  ) {
    const shared = options.count > 1
    this.widthWords = model.widthBytes >> 2
    this.seen = new FingerprintSet(1 << 16, shared)
    this.frontier = new StateStore(this.widthWords, 1024, shared)
    this.nextLevel = new StateStore(this.widthWords, 1024, shared)
    this.levelIndex = new LevelIndex(1024)
    this.outboxes = Array.from({ length: options.count }, () => new StateStore(this.widthWords, 1024, shared))
    this.records = allocInt32(1024 * META, shared)
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

  /** Level 1: the initial states this shard owns (every shard enumerates them; shard 0 counts them). */
  seedInitialStates(): void {
    const inits = this.model.initialStates()
    this.successorLength = 1
    this.parentHi = 0
    this.parentLo = 0
    for (let k = 0; k < inits.length; k++) {
      const init = inits[k]!
      this.scratchBytes.fill(0)
      this.scratchBytes.set(init)
      if (this.options.index === 0) this.generated++
      this.ordinal = k
      this.accept(false)
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
    this.accept(true)
    this.ordinal++
  }

  /** Routes the scratch state: checked if out of the constraint, else deduplicated and kept. */
  private accept(fromFrontier: boolean): void {
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
    const n = this.options.count
    const owner = n === 1 ? 0 : ((lo >>> 16) * n) >>> 16
    if (owner === this.options.index || !fromFrontier) {
      if (owner !== this.options.index) return
      if (this.seen.has(hi, lo)) return
      this.addToLevel(hi, lo, this.parentHi, this.parentLo, this.ordinal, this.scratchWords, 0)
    } else {
      if (this.foreignSeen[owner]!.has(hi, lo)) return
      const box = this.outboxes[owner]!
      box.setState(box.push(hi, lo, this.parentHi, this.parentLo, this.ordinal), this.scratchWords)
    }
  }

  /** Adds a state of the next level, or lowers the edge of one already there. */
  private addToLevel(hi: number, lo: number, pHi: number, pLo: number, ordinal: number, words: Int32Array, offset: number): void {
    const next = this.nextLevel
    const at = this.levelIndex.find(hi, lo)
    if (at < 0) {
      const p = next.push(hi, lo, pHi, pLo, ordinal)
      next.setState(p, words, offset)
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
      next.setState(at, words, offset)
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
    if (this.violation === null || compareViolations(candidate, this.violation) < 0) this.violation = candidate
  }

  /** Round, phase 1: expands every frontier state. `foreignSeen[k]` views shard k's seen set. */
  expandFrontier(foreignSeen: FingerprintSet[], successorLength: number): void {
    this.foreignSeen = foreignSeen
    this.successorLength = successorLength
    for (const box of this.outboxes) box.clear()
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

  /** Round, phase 2: takes the states another shard generated for this one. */
  absorb(inbox: StateStore): void {
    const m = inbox.meta
    const w = this.widthWords
    for (let p = 0; p < inbox.count; p++) {
      const b = p * META
      const hi = m[b]!
      const lo = m[b + 1]!
      if (this.seen.has(hi, lo)) continue
      this.addToLevel(hi, lo, m[b + 2]!, m[b + 3]!, m[b + 4]!, inbox.words, p * w)
    }
  }

  /** Round, phase 3: checks the new states, records them and makes them the frontier. */
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
      const bigger = allocInt32(this.records.length * 2, this.options.count > 1)
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

  stats(): ShardStats {
    return {
      generated: this.generated,
      distinct: this.seen.size,
      frontier: this.frontier.count,
      coverage: Array.from(this.coverage),
      seenBytes: this.seen.bytes
    }
  }
}
