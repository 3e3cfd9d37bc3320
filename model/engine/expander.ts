/**
 * What the sequential and the parallel search share: expanding one state at a time into a
 * scratch copy (the `Successors` the protocol's actions write to), checking every successor, and
 * handing those inside the constraint, fingerprinted, to `admit`; then checking and recording the
 * states a level admitted. Subclasses decide what admitting means (bfs.ts: a private level;
 * level-worker.ts: shared tables).
 *
 * `emit` and `accept` run once per generated successor (tens of millions of times), so they work
 * on preallocated int32 views of the scratch state, allocate nothing and call no Effect.
 */
import { fingerprintWords, fpHi, fpLo } from "./fingerprint.js"
import type { Model, Successors } from "./model.js"
import { lesserViolation, type SearchOptions, type ViolationKind, type ViolationRecord } from "./search-types.js"

/**
 * One function that says whether every predicate holds. Why generated: a loop over the
 * invariants calls each through one megamorphic site, so none is inlined; here every call site
 * has one target, which V8 inlines (measured: rollback's six step invariants ran twice as fast).
 */
function conjunction(predicates: ReadonlyArray<{ holds: (...args: Uint8Array[]) => boolean }>, arity: 1 | 2): (...args: Uint8Array[]) => boolean {
  const params = arity === 1 ? "s" : "a, b"
  const body = predicates.map((_, k) => `if (!p${k}(${params})) return false`).join("\n")
  return new Function(...predicates.map((_, k) => `p${k}`), `return function allHold(${params}) {\n${body}\nreturn true\n}`)(...predicates.map((p) => p.holds))
}

export abstract class Expander implements Successors {
  generated = 0
  readonly coverage: Float64Array
  violation: ViolationRecord | null = null
  /** Called every few thousand expanded states, for progress on long levels. */
  tick: (() => void) | undefined = undefined

  protected readonly widthWords: number
  protected readonly srcBytes: Uint8Array
  protected readonly srcWords: Int32Array
  protected readonly scratchBytes: Uint8Array
  protected readonly scratchWords: Int32Array
  private readonly canonBytes: Uint8Array
  private readonly canonWords: Int32Array
  private readonly canonicalize: ((src: Uint8Array, dst: Uint8Array) => void) | undefined
  private readonly stepCount: number
  private readonly allStepsHold: (before: Uint8Array, after: Uint8Array) => boolean
  private readonly allStatesHold: (state: Uint8Array) => boolean

  // The edge being expanded.
  protected family = 0
  protected ordinal = 0
  protected parentHi = 0
  protected parentLo = 0
  /** The parent's position in its level (the frontier); -1 while admitting the initial states. */
  protected parentPosition = -1
  /** The ordinal at which each family began, for the state being expanded. */
  protected readonly familyStart: Int32Array
  /** Length of the traces ending in the successors being generated. */
  protected successorLength = 1

  constructor(
    readonly model: Model,
    readonly options: SearchOptions
  ) {
    this.widthWords = model.widthBytes >> 2
    this.coverage = new Float64Array(model.families.length)
    this.familyStart = new Int32Array(model.families.length)
    const buf = () => new Int32Array(this.widthWords)
    const words = (b: Uint8Array) => new Int32Array(b.buffer, b.byteOffset, this.widthWords)
    this.srcBytes = model.buffers?.src ?? new Uint8Array(buf().buffer)
    this.srcWords = words(this.srcBytes)
    this.scratchBytes = model.buffers?.next ?? new Uint8Array(buf().buffer)
    this.scratchWords = words(this.scratchBytes)
    this.canonWords = buf()
    this.canonBytes = new Uint8Array(this.canonWords.buffer)
    if (options.symmetry && !model.canonicalize) throw new Error(`${model.protocol} has no symmetry`)
    this.stepCount = options.stepInvariants.length
    this.allStepsHold = conjunction(options.stepInvariants, 2) as (a: Uint8Array, b: Uint8Array) => boolean
    this.allStatesHold = conjunction(options.stateInvariants, 1) as (a: Uint8Array) => boolean
    this.canonicalize = options.symmetry ? model.canonicalize : undefined
  }

  /**
   * Resuming from a checkpoint: this thread's counters continue from `generated` and `coverage`
   * (the checkpoint's totals on one thread, zeros on the others).
   */
  restoreCounters(generated: number, coverage: readonly number[]): void {
    this.generated = generated
    this.coverage.set(coverage)
  }

  /** Admits a successor inside the constraint whose (canonical) fingerprint is (hi, lo). */
  protected abstract admit(hi: number, lo: number): void

  /** Offers the initial states (level 1) to `admit`. */
  protected admitInitialStates(): void {
    const inits = this.model.initialStates()
    this.successorLength = 1
    this.parentHi = 0
    this.parentLo = 0
    this.parentPosition = -1
    for (let k = 0; k < inits.length; k++) {
      this.scratchBytes.fill(0)
      this.scratchBytes.set(inits[k]!)
      this.generated++
      this.ordinal = k
      this.accept()
    }
  }

  /** Expands the state at `words[offset ..]`, frontier position `position`, fingerprint (hi, lo), through every family. */
  protected expandState(words: Int32Array, offset: number, hi: number, lo: number, position: number): void {
    const src = this.srcWords
    for (let i = 0; i < this.widthWords; i++) src[i] = words[offset + i]!
    this.parentHi = hi
    this.parentLo = lo
    this.parentPosition = position
    this.ordinal = 0
    const families = this.model.families
    for (let f = 0; f < families.length; f++) {
      this.family = f
      this.familyStart[f] = this.ordinal
      families[f]!.expand(this.srcBytes, this)
    }
    if (this.options.deadlock && this.ordinal === 0) {
      this.report("deadlock", this.options.stateInvariants.length + this.options.stepInvariants.length, "Deadlock", hi, lo, position, -1)
    }
  }

  // Successors: the protocol edits the scratch copy, then emits it.

  next(): Uint8Array {
    const s = this.scratchWords
    const src = this.srcWords
    for (let i = 0; i < this.widthWords; i++) s[i] = src[i]!
    return this.scratchBytes
  }

  emit(): void {
    this.generated++
    this.coverage[this.family]!++
    if (this.stepCount > 0) {
      const steps = this.options.stepInvariants
      // All of them hold in almost every step: one monomorphic call, then find which failed.
      if (!this.allStepsHold(this.srcBytes, this.scratchBytes)) {
        for (let k = 0; k < steps.length; k++) {
          if (!steps[k]!.holds(this.srcBytes, this.scratchBytes)) {
            this.report("step", k + this.options.stateInvariants.length, steps[k]!.name, this.parentHi, this.parentLo, this.parentPosition, this.ordinal)
          }
        }
      }
    }
    this.accept()
    this.ordinal++
  }

  /** The scratch state: checked if outside the constraint, else fingerprinted and admitted. */
  private accept(): void {
    if (!this.model.constraint(this.scratchBytes)) {
      if (!this.allStatesHold(this.scratchBytes)) {
        const inv = this.options.stateInvariants
        for (let k = 0; k < inv.length; k++) {
          if (!inv[k]!.holds(this.scratchBytes)) this.report("state", k, inv[k]!.name, this.parentHi, this.parentLo, this.parentPosition, this.ordinal)
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
    this.admit(fpHi, fpLo)
  }

  /**
   * Checks a new state of the level: its fingerprint at meta[b ..], its words at words[offset ..],
   * its position in the level `position`. (The caller records its edge.)
   */
  protected checkNewState(meta: Int32Array, b: number, words: Int32Array, offset: number, position: number): void {
    const inv = this.options.stateInvariants
    if (inv.length === 0) return
    const scratch = this.scratchWords
    for (let i = 0; i < this.widthWords; i++) scratch[i] = words[offset + i]!
    if (this.allStatesHold(this.scratchBytes)) return
    for (let k = 0; k < inv.length; k++) {
      if (!inv[k]!.holds(this.scratchBytes)) this.report("state", k, inv[k]!.name, meta[b]!, meta[b + 1]!, position, -1)
    }
  }

  protected report(kind: ViolationKind, rank: number, invariant: string, anchorHi: number, anchorLo: number, anchorPosition: number, ordinal: number): void {
    this.violation = lesserViolation(this.violation, {
      kind,
      invariant,
      length: kind === "deadlock" ? this.successorLength - 1 : this.successorLength,
      rank,
      anchorHi,
      anchorLo,
      anchorPosition,
      ordinal
    })
  }
}
