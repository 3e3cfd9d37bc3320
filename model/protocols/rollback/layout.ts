/**
 * The rollback protocol's byte layout: RaftMongo's, with the coordinator's volatile progress
 * (phase, source, common point, watermark, rejoin term) and the durable rollback files (a
 * (term, index) bitset) appended to each server's block.
 */
import { RaftLayout, type RaftMongoConfig } from "../raftmongo/layout.js"
import type { RaftMongoState } from "../raftmongo/state.js"
import type { RollbackState } from "./state.js"
import { PHASES } from "./phases.js"

export const IDLE = 0
export const PLANNED = 1
export const PERSISTED = 2
export const RECOVERED = 3
export const EMITTED = 4

const PHASE = 0
const SOURCE = 1
const COMMON = 2
const WATERMARK = 3
const REJOIN_TERM = 4
const FILES = 5

export class RollbackLayout extends RaftLayout {
  constructor(config: RaftMongoConfig) {
    super(config, FILES + Math.ceil((config.maxTerm * config.maxLogLen) / 8))
  }

  private at(i: number, field: number): number {
    return i * this.stride + this.extraOffset + field
  }
  phase(s: Uint8Array, i: number): number {
    return s[this.at(i, PHASE)]!
  }
  source(s: Uint8Array, i: number): number {
    return s[this.at(i, SOURCE)]!
  }
  commonPoint(s: Uint8Array, i: number): number {
    return s[this.at(i, COMMON)]!
  }
  watermark(s: Uint8Array, i: number): number {
    return s[this.at(i, WATERMARK)]!
  }
  rejoinTerm(s: Uint8Array, i: number): number {
    return s[this.at(i, REJOIN_TERM)]!
  }
  setPhase(s: Uint8Array, i: number, phase: number): void {
    s[this.at(i, PHASE)] = phase
  }
  /** Records a plan: phase Planned with its source, common point, watermark and rejoin term. */
  setPlan(s: Uint8Array, i: number, source: number, common: number, watermark: number, rejoinTerm: number): void {
    s[this.at(i, PHASE)] = PLANNED
    s[this.at(i, SOURCE)] = source
    s[this.at(i, COMMON)] = common
    s[this.at(i, WATERMARK)] = watermark
    s[this.at(i, REJOIN_TERM)] = rejoinTerm
  }
  /** The coordinator at rest: phase Idle, source itself, everything else 0 (its volatile progress lost). */
  resetCoordinator(s: Uint8Array, i: number): void {
    s[this.at(i, PHASE)] = IDLE
    s[this.at(i, SOURCE)] = i
    s[this.at(i, COMMON)] = 0
    s[this.at(i, WATERMARK)] = 0
    s[this.at(i, REJOIN_TERM)] = 0
  }
  filesOffset(i: number): number {
    return this.at(i, FILES)
  }
  inRollbackFiles(s: Uint8Array, i: number, term: number, index: number): boolean {
    return this.hasEntry(s, this.filesOffset(i), term, index)
  }
  addToRollbackFiles(s: Uint8Array, i: number, term: number, index: number): void {
    this.addEntry(s, this.filesOffset(i), term, index)
  }

  /** Highest index where server i's and j's logs agree, found as the highest equal LogTerm. */
  matchingTermPoint(s: Uint8Array, i: number, j: number): number {
    for (let k = Math.min(this.len(s, i), this.len(s, j)); k > 0; k--) {
      if (this.logTerm(s, i, k) === this.logTerm(s, j, k)) return k
    }
    return 0
  }
  /** Highest k such that the first k entries of both logs are equal (the definition, not a shortcut). */
  agreementPoint(s: Uint8Array, i: number, j: number): number {
    const m = Math.min(this.len(s, i), this.len(s, j))
    let k = 0
    while (k < m && this.logTerm(s, i, k + 1) === this.logTerm(s, j, k + 1)) k++
    return k
  }
  /** Is server i's log a prefix of server j's? */
  isPrefix(s: Uint8Array, i: number, j: number): boolean {
    const li = this.len(s, i)
    return li <= this.len(s, j) && this.agreementPoint(s, i, j) === li
  }

  /** The initial state: RaftMongo's, with every coordinator at rest. */
  initial(): Uint8Array {
    const s = new Uint8Array(this.widthBytes)
    for (let i = 0; i < this.n; i++) this.resetCoordinator(s, i)
    return s
  }

  decodeRollback(s: Uint8Array): RollbackState {
    const base: RaftMongoState = this.decode(s)
    const servers = Array.from({ length: this.n }, (_, i) => i)
    return {
      ...base,
      rollback: servers.map((i) => ({
        phase: PHASES[this.phase(s, i)]!,
        source: this.source(s, i) + 1,
        commonPoint: this.commonPoint(s, i),
        watermark: this.watermark(s, i),
        rejoinTerm: this.rejoinTerm(s, i)
      })),
      rollbackFiles: servers.map((i) => this.entries(s, this.filesOffset(i)))
    }
  }

  encodeRollback(state: RollbackState, into: Uint8Array): void {
    this.encode(state, into)
    if (state.rollback.length !== this.n || state.rollbackFiles.length !== this.n) {
      throw new RangeError(`rollback and rollbackFiles must have ${this.n} servers`)
    }
    state.rollback.forEach((r, i) => {
      const phase = PHASES.indexOf(r.phase)
      if (r.source < 1 || r.source > this.n) throw new RangeError(`rollback[${i + 1}].source = ${r.source} is not a server`)
      for (const [name, v] of [["commonPoint", r.commonPoint], ["watermark", r.watermark], ["rejoinTerm", r.rejoinTerm]] as const) {
        if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`rollback[${i + 1}].${name} = ${v} does not fit the bounds (0..255)`)
      }
      into[this.at(i, PHASE)] = phase
      into[this.at(i, SOURCE)] = r.source - 1
      into[this.at(i, COMMON)] = r.commonPoint
      into[this.at(i, WATERMARK)] = r.watermark
      into[this.at(i, REJOIN_TERM)] = r.rejoinTerm
    })
    state.rollbackFiles.forEach((files, i) => {
      for (const e of files) this.addToRollbackFiles(into, i, e.term, e.index)
    })
  }
}
