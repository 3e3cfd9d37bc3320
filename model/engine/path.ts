/**
 * Counterexamples as replayable paths (after Stateright's `path.rs`): the search stores, per
 * distinct state, only the canonical edge that reached it (the parent's position in the previous
 * level, the successor's ordinal in the parent's expansion), level by level in position order. A
 * trace is rebuilt by walking those edges back from the violation's anchor to an initial state
 * and replaying the ordinals forward through the model; if the replay does not end in the
 * anchor's fingerprint, the model is not deterministic and the replay fails saying so.
 */
import { compareFingerprints, fingerprintHex, fingerprintWords, fpHi, fpLo } from "./fingerprint.js"
import type { Model, Successors } from "./model.js"
import type { ViolationRecord } from "./search-types.js"
import { EDGE } from "./state-store.js"

/** One state of a trace and the action instance that produced it (absent for the first). */
export interface TraceStep {
  readonly state: Uint8Array
  readonly action?: { readonly name: string; readonly args: Record<string, unknown> }
}

/**
 * The edge records of a search, level by level: EDGE words a record (parent's position, ordinal),
 * in chunks of 2^shift records (rows.ts); the record of level d's state at position p is record
 * `levelEnds[d - 2] + p` (p itself for level 1).
 */
export interface RecordSet {
  readonly records: readonly Int32Array[]
  readonly shift: number
  readonly levelEnds: readonly number[]
}

/** A replay that did not reproduce the search: the model is not deterministic. */
export class ReplayDivergence extends Error {
  override readonly name = "ReplayDivergence"
}

/** Enumerates successors in the search's order and keeps the one at a given ordinal. */
class OrdinalPicker implements Successors {
  private readonly src: Uint8Array
  private readonly scratch: Uint8Array
  private count = 0
  private family = 0
  found: { bytes: Uint8Array; family: number; args: number[] } | null = null

  constructor(
    private readonly model: Model,
    private readonly target: number
  ) {
    this.src = new Uint8Array(model.widthBytes)
    this.scratch = new Uint8Array(model.widthBytes)
  }

  run(state: Uint8Array): void {
    this.src.set(state)
    this.model.families.forEach((f, k) => {
      this.family = k
      f.expand(this.src, this)
    })
  }

  next(): Uint8Array {
    this.scratch.set(this.src)
    return this.scratch
  }

  emit(a?: number, b?: number, c?: number, d?: number): void {
    if (this.count++ !== this.target) return
    const args = [a, b, c, d].filter((x): x is number => x !== undefined)
    this.found = { bytes: this.scratch.slice(), family: this.family, args }
  }
}

/** All successors of a state in the search's order (of the given families only, if any), with the action instance of each. */
export function successorsOf(model: Model, state: Uint8Array, families?: ReadonlySet<number>): TraceStep[] {
  const out: TraceStep[] = []
  const src = state.slice()
  const scratch = new Uint8Array(model.widthBytes)
  let family = 0
  const sink: Successors = {
    next: () => {
      scratch.set(src)
      return scratch
    },
    emit: (a, b, c, d) => {
      const f = model.families[family]!
      const args = [a, b, c, d].filter((x): x is number => x !== undefined)
      out.push({ state: scratch.slice(), action: { name: f.name, args: f.describe(args) } })
    }
  }
  model.families.forEach((f, k) => {
    if (families && !families.has(k)) return
    family = k
    f.expand(src, sink)
  })
  return out
}

/**
 * The successors of `state` by one family whose raw arguments (the numbers the action emits)
 * `keep` accepts, with their action instances: trace validation wants the few successors that
 * match an event's arguments, and copying and describing all of them was most of its time.
 */
export function successorsMatching(model: Model, state: Uint8Array, family: number, keep: (raw: readonly number[]) => boolean): TraceStep[] {
  const out: TraceStep[] = []
  const src = state.slice()
  const scratch = new Uint8Array(model.widthBytes)
  const f = model.families[family]!
  const raw: number[] = []
  f.expand(src, {
    next: () => {
      scratch.set(src)
      return scratch
    },
    emit: (a, b, c, d) => {
      raw.length = 0
      if (a !== undefined) raw.push(a)
      if (b !== undefined) raw.push(b)
      if (c !== undefined) raw.push(c)
      if (d !== undefined) raw.push(d)
      if (keep(raw)) out.push({ state: scratch.slice(), action: { name: f.name, args: f.describe(raw.slice()) } })
    }
  })
  return out
}

/** The fingerprint of a state as the search computed it (canonical under symmetry). */
export function fingerprintOf(model: Model, state: Uint8Array, symmetry: boolean): [number, number] {
  const bytes = new Uint8Array(model.widthBytes)
  if (symmetry && model.canonicalize) model.canonicalize(state, bytes)
  else bytes.set(state)
  fingerprintWords(new Int32Array(bytes.buffer), 0, model.widthBytes >> 2)
  return [fpHi, fpLo]
}

/**
 * The edge that reached the state at `position` in level `level`: [parent's position in level
 * `level - 1`, ordinal], or null if the search recorded none there.
 */
export type EdgeLookup = (level: number, position: number) => readonly [number, number] | null

/** Edges looked up in records held in memory. */
export function recordLookup(set: RecordSet): EdgeLookup {
  return (level, position) => {
    const from = level >= 2 ? set.levelEnds[level - 2] : 0
    const to = set.levelEnds[level - 1]
    if (from === undefined || to === undefined || position < 0 || from + position >= to) return null
    const r = from + position
    const chunk = set.records[r >>> set.shift]!
    const b = (r & (2 ** set.shift - 1)) * EDGE
    return [chunk[b]!, chunk[b + 1]!]
  }
}

/** Rebuilds the counterexample of `violation` from the search's edge records and replays it. */
export function reconstructTrace(model: Model, edgeAt: EdgeLookup, violation: ViolationRecord, symmetry: boolean): TraceStep[] {
  const stored = violation.ordinal < 0
  const anchorLevel = stored ? violation.length : violation.length - 1
  // Ordinals from the initial state's (chain[0]) to the anchor's.
  const chain: number[] = []
  let position = violation.anchorPosition
  for (let level = anchorLevel; level >= 1; level--) {
    const rec = edgeAt(level, position)
    if (rec === null) throw new ReplayDivergence(`no record of position ${position} at level ${level}`)
    chain.unshift(rec[1])
    position = rec[0]
  }
  const inits = model.initialStates()
  const init = inits[chain[0]!]
  const steps: TraceStep[] = []
  if (init === undefined) throw new ReplayDivergence(`initial state ${chain[0]} no longer exists`)
  const padded = new Uint8Array(model.widthBytes)
  padded.set(init)
  steps.push({ state: padded })
  const advance = (ordinal: number, at: number): TraceStep => {
    const picker = new OrdinalPicker(model, ordinal)
    picker.run(steps[steps.length - 1]!.state)
    if (picker.found === null) {
      throw new ReplayDivergence(`replay diverged at state ${at}: successor ${ordinal} no longer exists; the model is not deterministic`)
    }
    const family = model.families[picker.found.family]!
    return { state: picker.found.bytes, action: { name: family.name, args: family.describe(picker.found.args) } }
  }
  for (let k = 1; k < chain.length; k++) steps.push(advance(chain[k]!, k + 1))
  // Only the anchor's fingerprint is stored; a model that reaches another state is not deterministic.
  const [h, l] = fingerprintOf(model, steps[steps.length - 1]!.state, symmetry)
  if (compareFingerprints(h, l, violation.anchorHi, violation.anchorLo) !== 0) {
    throw new ReplayDivergence(
      `replay diverged at state ${steps.length}: the model produced ${fingerprintHex(h, l)} where the search stored ` +
        `${fingerprintHex(violation.anchorHi, violation.anchorLo)}; its actions are not deterministic`
    )
  }
  if (!stored && violation.kind !== "deadlock") steps.push(advance(violation.ordinal, steps.length + 1))
  return steps
}
