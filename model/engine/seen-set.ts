/**
 * Open-addressing sets keyed by 64-bit fingerprints.
 *
 * Every successor probes one of these, so they are flat Int32Arrays with linear probing and
 * no per-entry objects. Slots are chosen by multiply-shift ("fastrange") rather than a mask so
 * the capacity need not be a power of two: growing by 1.45x at 75% load keeps the table between
 * 52% and 75% full, which bounds the seen set at 15.5 bytes per distinct state.
 */

const MAX_LOAD = 0.75
const GROWTH = 1.45
const TWO_32 = 4294967296

/** The home slot of a fingerprint whose high word is `hi`, in a table of `capacity` slots. */
export function slotOf(hi: number, capacity: number): number {
  return Math.floor(((hi >>> 0) / TWO_32) * capacity)
}

/** What an allocation past the typed-array limit says (the search stops cleanly on it). */
export const TABLE_LIMIT_MESSAGE = "exceeds the 2 GiB typed-array limit"

/** The largest table allocInt32 makes, in int32 entries; tests lower it to reach the limit on small models. */
let tableLimit = 0x7fffffff / 4
export function setTableLimitForTests(entries: number | undefined): void {
  tableLimit = entries ?? 0x7fffffff / 4
}

/** Allocates zeroed int32 storage, shared between threads when asked. */
export function allocInt32(length: number, shared: boolean): Int32Array {
  if (length > tableLimit) {
    throw new RangeError(`table of ${length} int32 entries ${TABLE_LIMIT_MESSAGE}`)
  }
  return shared ? new Int32Array(new SharedArrayBuffer(length * 4)) : new Int32Array(length)
}

/** Is (hi, lo) in the fingerprint table `t` of `capacity` two-word slots? */
export function probeHas(t: Int32Array, capacity: number, hi: number, lo: number): boolean {
  let s = slotOf(hi, capacity)
  for (;;) {
    const h = t[2 * s]!
    if (h === 0) return false
    if (h === hi && t[2 * s + 1] === lo) return true
    if (++s === capacity) s = 0
  }
}

/**
 * The set of fingerprints of every distinct state explored so far (two int32 words a slot; the
 * high word of a fingerprint is never 0, so 0 marks an empty slot). The parallel search keeps
 * the same layout in shared memory (level-worker.ts).
 */
export class FingerprintSet {
  table: Int32Array
  capacity: number
  size = 0

  constructor(initialCapacity = 1 << 12) {
    this.capacity = Math.max(16, initialCapacity)
    this.table = new Int32Array(this.capacity * 2)
  }

  has(hi: number, lo: number): boolean {
    return probeHas(this.table, this.capacity, hi, lo)
  }

  /** Adds the fingerprint; returns false when it was already present. */
  add(hi: number, lo: number): boolean {
    if (this.size + 1 > this.capacity * MAX_LOAD) this.grow()
    const t = this.table
    const cap = this.capacity
    let s = slotOf(hi, cap)
    for (;;) {
      const h = t[2 * s]!
      if (h === hi && t[2 * s + 1] === lo) return false
      if (h === 0) {
        t[2 * s] = hi
        t[2 * s + 1] = lo
        this.size++
        return true
      }
      if (++s === cap) s = 0
    }
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.table.byteLength
  }

  private grow(): void {
    const old = this.table
    const oldCap = this.capacity
    const cap = Math.ceil(oldCap * GROWTH)
    const t = allocInt32(cap * 2, false)
    for (let i = 0; i < oldCap; i++) {
      const hi = old[2 * i]!
      if (hi === 0) continue
      let s = slotOf(hi, cap)
      while (t[2 * s] !== 0) if (++s === cap) s = 0
      t[2 * s] = hi
      t[2 * s + 1] = old[2 * i + 1]!
    }
    this.table = t
    this.capacity = cap
  }
}

/**
 * Maps the fingerprints of the level being built to their position in that level's store, so a
 * state reached from several parents in one level can keep the canonical parent (three words a
 * slot: fingerprint and position + 1). Lives for one level only.
 */
export class LevelIndex {
  private table: Int32Array
  private capacity: number
  size = 0

  constructor(expected: number) {
    this.capacity = Math.max(64, Math.ceil(expected / 0.5))
    this.table = new Int32Array(this.capacity * 3)
  }

  /** Position of the fingerprint in the level's store, or -1. */
  find(hi: number, lo: number): number {
    const t = this.table
    const cap = this.capacity
    let s = slotOf(hi, cap)
    for (;;) {
      const p = t[3 * s + 2]!
      if (p === 0) return -1
      if (t[3 * s] === hi && t[3 * s + 1] === lo) return p - 1
      if (++s === cap) s = 0
    }
  }

  /** Records a fingerprint known to be absent. */
  insert(hi: number, lo: number, position: number): void {
    if (this.size + 1 > this.capacity * 0.6) this.grow()
    this.place(this.table, this.capacity, hi, lo, position + 1)
    this.size++
  }

  private place(t: Int32Array, cap: number, hi: number, lo: number, p: number): void {
    let s = slotOf(hi, cap)
    while (t[3 * s + 2] !== 0) if (++s === cap) s = 0
    t[3 * s] = hi
    t[3 * s + 1] = lo
    t[3 * s + 2] = p
  }

  private grow(): void {
    const old = this.table
    const oldCap = this.capacity
    const cap = oldCap * 2
    const t = new Int32Array(cap * 3)
    for (let i = 0; i < oldCap; i++) {
      const p = old[3 * i + 2]!
      if (p !== 0) this.place(t, cap, old[3 * i]!, old[3 * i + 1]!, p)
    }
    this.table = t
    this.capacity = cap
  }
}
