import { Rows } from "./rows.js"

/**
 * Words of metadata per stored state: fingerprint (2), the canonical edge that reached it: its
 * parent's position in the previous level (1; -1 for an initial state) and the successor's
 * ordinal in the parent's expansion (1).
 */
export const META = 4

/**
 * Words per edge record, the part of a state's metadata kept for the whole search: the parent's
 * position in the previous level and the ordinal (path.ts walks them back). Why positions, not
 * the parent's fingerprint: 8 bytes a distinct state instead of 20, the largest table a search
 * keeps (bench/RESULTS.md, issue 15).
 */
export const EDGE = 2

/**
 * A growable array of packed states with their fingerprint and the canonical edge that reached
 * them: the frontier and the next level of the sequential search.
 *
 * States and metadata are both chunked tables (rows.ts) with the same rows per chunk, so a level
 * grows by adding chunks, is never copied and has no size limit but memory: position p's state
 * is at `words.chunk(p)[words.offset(p) ..]`, its metadata at `meta.chunk(p)[meta.offset(p) ..]`.
 */
export class StateStore {
  readonly meta: Rows
  readonly words: Rows
  count = 0

  constructor(
    readonly widthWords: number,
    chunkShift: number
  ) {
    this.words = new Rows(widthWords, chunkShift, false)
    // The states' chunk size (it shrinks for wide states) for both tables, so one shift serves both.
    this.meta = new Rows(META, this.words.shift, false)
  }

  /** Appends a record and returns its position; the caller then writes the state's words. */
  push(hi: number, lo: number, parentPosition: number, ordinal: number): number {
    const p = this.count++
    if (p >= this.words.capacity) {
      this.words.reserve(p + 1)
      this.meta.reserve(p + 1)
    }
    const m = this.meta.chunk(p)
    const b = this.meta.offset(p)
    m[b] = hi
    m[b + 1] = lo
    m[b + 2] = parentPosition
    m[b + 3] = ordinal
    return p
  }

  /** Copies the state at `src[from ..]` (widthWords words) into position p. */
  setState(p: number, src: Int32Array, from = 0): void {
    // A loop, not set(subarray()): states are a few words and this runs per new state.
    const w = this.widthWords
    const words = this.words.chunk(p)
    const to = this.words.offset(p)
    for (let i = 0; i < w; i++) words[to + i] = src[from + i]!
  }

  clear(): void {
    this.count = 0
  }
}
