import { Rows } from "./rows.js"
import { allocInt32 } from "./seen-set.js"

/** Words of metadata per stored state: fingerprint (2), parent fingerprint (2), ordinal (1). */
export const META = 5

/**
 * A growable array of packed states with their fingerprint and the canonical edge that reached
 * them (parent fingerprint and the successor's ordinal in the parent's expansion): the frontier
 * and the next level of the sequential search.
 *
 * The states are chunked (rows.ts), so a level may hold more than 2 GiB of them; the metadata
 * stays one flat array, because a successor already in the level compares its edge with it (a
 * per-successor path, kept to flat reads), and at 20 bytes a state it reaches 2 GiB
 * only past about 67M states in one level, near where the level's index stops (seen-set.ts).
 */
export class StateStore {
  meta: Int32Array
  readonly words: Rows
  count = 0
  private capacity: number

  constructor(
    readonly widthWords: number,
    chunkShift: number,
    initialCapacity = 1024
  ) {
    this.capacity = Math.max(16, initialCapacity)
    this.meta = allocInt32(this.capacity * META, false)
    this.words = new Rows(widthWords, chunkShift, false)
  }

  /** Appends a record and returns its position; the caller then writes the state's words. */
  push(hi: number, lo: number, parentHi: number, parentLo: number, ordinal: number): number {
    if (this.count === this.capacity) this.grow()
    const p = this.count++
    if (p >= this.words.capacity) this.words.reserve(p + 1)
    const m = this.meta
    const b = p * META
    m[b] = hi
    m[b + 1] = lo
    m[b + 2] = parentHi
    m[b + 3] = parentLo
    m[b + 4] = ordinal
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

  private grow(): void {
    const cap = this.capacity * 2
    const meta = allocInt32(cap * META, false)
    meta.set(this.meta.subarray(0, this.count * META))
    this.meta = meta
    this.capacity = cap
  }
}
