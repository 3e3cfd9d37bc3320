/**
 * Open-addressing hash tables keyed by 64-bit fingerprints: the seen set, and the maps from the
 * fingerprints of the level being built to their position in it.
 *
 * Every successor probes one of these, so they are typed arrays with linear probing and no
 * per-entry objects. Slots are chosen by multiply-shift ("fastrange") rather than a mask so the
 * capacity need not be a power of two: growing by 1.45x at 75% load keeps the seen set between
 * 52% and 75% full, which bounds it at 15.5 bytes per distinct state.
 *
 * The slots are held in segments of 2^shift slots (the last one shorter), not in one typed array,
 * so that no table stops at a typed-array limit: a table is bounded only by memory. Trade-off: a
 * probe of a segmented table loads the segment before the slot, two more loads on the path to the
 * cache miss that every probe is; measured, that is about 10% more per probe of a table of 7M
 * slots (bench/RESULTS.md, 2026-12-04). So segments are large (2^27 slots, 1 GiB of seen set,
 * about 100M distinct states) and the seen set, probed by every successor, takes the flat path
 * while it is one segment: runs that fit in one are exactly as fast as before segmenting.
 */

const MAX_LOAD = 0.75
const GROWTH = 1.45
const TWO_32 = 4294967296

/** Slots per segment of a hash table, as a power of two: 2^27 slots are 1 GiB of seen set. */
export const DEFAULT_SEGMENT_SHIFT = 27

/** The home slot of a fingerprint whose high word is `hi`, in a table of `capacity` slots. */
export function slotOf(hi: number, capacity: number): number {
  return Math.floor(((hi >>> 0) / TWO_32) * capacity)
}

/** What a failed allocation says (the search stops cleanly on it, at the last complete level). */
export const ALLOCATION_FAILED_MESSAGE = "could not allocate"

/** The largest allocation allocInt32 makes, in int32 entries; tests lower it to make allocations fail on small models. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER
let allocationLimit = NO_LIMIT
export function setAllocationLimitForTests(entries: number | undefined): void {
  allocationLimit = entries ?? NO_LIMIT
}

/**
 * Allocates zeroed int32 storage, shared between threads when asked. Tables allocate in
 * segments and chunks of at most a few hundred MiB, so a failure here means memory ran out; it
 * is thrown as an error whose message contains ALLOCATION_FAILED_MESSAGE.
 */
export function allocInt32(length: number, shared: boolean): Int32Array {
  try {
    if (length > allocationLimit) throw new RangeError("over the test limit")
    return shared ? new Int32Array(new SharedArrayBuffer(length * 4)) : new Int32Array(length)
  } catch (e) {
    if (!(e instanceof RangeError)) throw e
    throw new RangeError(`${ALLOCATION_FAILED_MESSAGE} ${length * 4} bytes (${e.message})`)
  }
}

/**
 * The slots of one hash table: `capacity` slots of `stride` int32 words, in segments of
 * `segmentSlots` (a power of two) slots, the last one holding the remainder. Slot s lives in
 * segment floor(s / segmentSlots) at word (s mod segmentSlots) * stride.
 */
export interface Slots {
  readonly segments: Int32Array[]
  readonly capacity: number
  readonly stride: number
  readonly segmentSlots: number
  /** 1 / segmentSlots, exact (a power of two), so finding a segment is a multiply. */
  readonly inverse: number
}

/** Allocates a table of `capacity` empty slots (shared memory when asked). */
export function allocSlots(capacity: number, stride: number, segmentShift: number, shared: boolean): Slots {
  const segmentSlots = 2 ** segmentShift
  const segments: Int32Array[] = []
  for (let from = 0; from < capacity; from += segmentSlots) {
    segments.push(allocInt32(Math.min(segmentSlots, capacity - from) * stride, shared))
  }
  return { segments, capacity, stride, segmentSlots, inverse: 1 / segmentSlots }
}

/** Bytes held by a table's slots. */
export function slotBytes(t: Slots): number {
  return t.capacity * t.stride * 4
}

/** The segment holding slot s. */
export function segmentOf(t: Slots, s: number): number {
  return Math.floor(s * t.inverse)
}

/** Is (hi, lo) in `t`, the one segment of a fingerprint table of `capacity` two-word slots? */
export function probeFlat(t: Int32Array, capacity: number, hi: number, lo: number): boolean {
  let s = slotOf(hi, capacity)
  for (;;) {
    const h = t[2 * s]!
    if (h === 0) return false
    if (h === hi && t[2 * s + 1] === lo) return true
    if (++s === capacity) s = 0
  }
}

/** The only segment of a table that has one, else null (for probeFlat). */
export function flatOf(t: Slots): Int32Array | null {
  return t.segments.length === 1 ? t.segments[0]! : null
}

/** Is (hi, lo) in the fingerprint table `t` (two-word slots: hi, lo)? */
export function probeHas(t: Slots, hi: number, lo: number): boolean {
  const s = slotOf(hi, t.capacity)
  let k = Math.floor(s * t.inverse)
  let seg = t.segments[k]!
  let i = 2 * (s - k * t.segmentSlots)
  for (;;) {
    const h = seg[i]!
    if (h === 0) return false
    if (h === hi && seg[i + 1] === lo) return true
    i += 2
    if (i === seg.length) {
      i = 0
      if (++k === t.segments.length) k = 0
      seg = t.segments[k]!
    }
  }
}

/**
 * Calls `visit(segment, word)` for every slot in [from, to) whose first word is non-zero (the
 * occupied slots of a fingerprint table or a level map), in slot order.
 */
export function forEachOccupied(t: Slots, from: number, to: number, visit: (segment: Int32Array, word: number) => void): void {
  let s = from
  while (s < to) {
    const k = segmentOf(t, s)
    const seg = t.segments[k]!
    const first = k * t.segmentSlots
    const end = Math.min(to, first + seg.length / t.stride)
    for (let i = (s - first) * t.stride, last = (end - first) * t.stride; i < last; i += t.stride) {
      if (seg[i] !== 0) visit(seg, i)
    }
    s = end
  }
}

/**
 * The set of fingerprints of every distinct state explored so far (two int32 words a slot; the
 * high word of a fingerprint is never 0, so 0 marks an empty slot). The parallel search keeps
 * the same layout in shared memory (level-worker.ts).
 */
export class FingerprintSet {
  slots: Slots
  size = 0
  /** The table while it is one segment (the fast path), else null. */
  private flat: Int32Array | null
  private capacity: number

  constructor(
    initialCapacity = 1 << 12,
    private readonly segmentShift = DEFAULT_SEGMENT_SHIFT
  ) {
    this.slots = allocSlots(Math.max(16, initialCapacity), 2, segmentShift, false)
    this.flat = flatOf(this.slots)
    this.capacity = this.slots.capacity
  }

  has(hi: number, lo: number): boolean {
    const flat = this.flat
    return flat !== null ? probeFlat(flat, this.capacity, hi, lo) : probeHas(this.slots, hi, lo)
  }

  /** Adds the fingerprint; returns false when it was already present. */
  add(hi: number, lo: number): boolean {
    if (this.has(hi, lo)) return false
    this.insert(hi, lo)
    return true
  }

  /** Adds a fingerprint known to be absent. */
  insert(hi: number, lo: number): void {
    if (this.size + 1 > this.slots.capacity * MAX_LOAD) this.grow()
    place(this.slots, hi, lo)
    this.size++
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return slotBytes(this.slots)
  }

  private grow(): void {
    const old = this.slots
    const t = allocSlots(Math.ceil(old.capacity * GROWTH), 2, this.segmentShift, false)
    forEachOccupied(old, 0, old.capacity, (seg, i) => place(t, seg[i]!, seg[i + 1]!))
    this.slots = t
    this.flat = flatOf(t)
    this.capacity = t.capacity
  }
}

/**
 * Writes an entry into the first free slot from its home slot: (hi, lo) in a fingerprint table,
 * (hi, lo, p) in a level map. One thread only; a slot is free while its first word is 0 (no
 * fingerprint's high word is).
 */
export function place(t: Slots, hi: number, lo: number, p = 0): void {
  const stride = t.stride
  const s = slotOf(hi, t.capacity)
  let k = Math.floor(s * t.inverse)
  let seg = t.segments[k]!
  let i = stride * (s - k * t.segmentSlots)
  while (seg[i] !== 0) {
    i += stride
    if (i === seg.length) {
      i = 0
      if (++k === t.segments.length) k = 0
      seg = t.segments[k]!
    }
  }
  seg[i] = hi
  seg[i + 1] = lo
  if (stride === 3) seg[i + 2] = p
}

/**
 * Maps the fingerprints of the level being built to their position in that level's store, so a
 * state reached from several parents in one level can keep the canonical parent (three words a
 * slot: fingerprint and position + 1). Lives for one level only.
 */
export class LevelIndex {
  private slots: Slots
  size = 0

  constructor(
    expected: number,
    private readonly segmentShift = DEFAULT_SEGMENT_SHIFT
  ) {
    this.slots = allocSlots(Math.max(64, Math.ceil(expected / 0.5)), 3, segmentShift, false)
  }

  /** Position of the fingerprint in the level's store, or -1. */
  find(hi: number, lo: number): number {
    const t = this.slots
    const s = slotOf(hi, t.capacity)
    let k = Math.floor(s * t.inverse)
    let seg = t.segments[k]!
    let i = 3 * (s - k * t.segmentSlots)
    for (;;) {
      const p = seg[i + 2]!
      if (p === 0) return -1
      if (seg[i] === hi && seg[i + 1] === lo) return p - 1
      i += 3
      if (i === seg.length) {
        i = 0
        if (++k === t.segments.length) k = 0
        seg = t.segments[k]!
      }
    }
  }

  /** Records a fingerprint known to be absent. */
  insert(hi: number, lo: number, position: number): void {
    if (this.size + 1 > this.slots.capacity * 0.6) this.grow()
    place(this.slots, hi, lo, position + 1)
    this.size++
  }

  private grow(): void {
    const old = this.slots
    const t = allocSlots(old.capacity * 2, 3, this.segmentShift, false)
    forEachOccupied(old, 0, old.capacity, (seg, i) => place(t, seg[i]!, seg[i + 1]!, seg[i + 2]!))
    this.slots = t
  }
}
