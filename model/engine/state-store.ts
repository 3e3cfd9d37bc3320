/** Words of metadata per stored state: fingerprint (2), parent fingerprint (2), ordinal (1). */
export const META = 5

/**
 * A growable array of packed states with their fingerprint and the canonical edge that reached
 * them (parent fingerprint and the successor's ordinal in the parent's expansion): the frontier
 * and the next level of the sequential search.
 */
export class StateStore {
  meta: Int32Array
  words: Int32Array
  bytes: Uint8Array
  count = 0
  private capacity: number

  constructor(
    readonly widthWords: number,
    initialCapacity = 1024
  ) {
    this.capacity = Math.max(16, initialCapacity)
    this.meta = new Int32Array(this.capacity * META)
    this.words = new Int32Array(this.capacity * widthWords)
    this.bytes = new Uint8Array(this.words.buffer, this.words.byteOffset, this.words.byteLength)
  }

  /** Appends a record and returns its position; the caller then writes the state's words. */
  push(hi: number, lo: number, parentHi: number, parentLo: number, ordinal: number): number {
    if (this.count === this.capacity) this.grow()
    const p = this.count++
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
    const words = this.words
    const to = p * w
    for (let i = 0; i < w; i++) words[to + i] = src[from + i]!
  }

  clear(): void {
    this.count = 0
  }

  private grow(): void {
    const cap = this.capacity * 2
    const meta = new Int32Array(cap * META)
    meta.set(this.meta.subarray(0, this.count * META))
    const words = new Int32Array(cap * this.widthWords)
    words.set(this.words.subarray(0, this.count * this.widthWords))
    this.meta = meta
    this.words = words
    this.bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength)
    this.capacity = cap
  }
}
