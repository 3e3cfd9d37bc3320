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

/** The seen set's capacity after one growth from `capacity` slots. */
export function nextSeenCapacity(capacity: number): number {
  return Math.ceil(capacity * GROWTH)
}

/** The seen set's capacity once it holds `size` fingerprints, growing from `capacity` slots. */
export function seenCapacityFor(size: number, capacity: number): number {
  let c = capacity
  while (size > c * MAX_LOAD) c = nextSeenCapacity(c)
  return c
}

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
  /** Views of exactly the table's slots (the last one shorter): what probes walk. */
  readonly segments: Int32Array[]
  readonly capacity: number
  readonly stride: number
  readonly segmentSlots: number
  /** 1 / segmentSlots, exact (a power of two), so finding a segment is a multiply. */
  readonly inverse: number
  /**
   * The memory under `segments`, whole: a reserved table's last segment may hold more slots than
   * the table uses, so that it can grow in place (growFingerprints).
   */
  readonly backing: Int32Array[]
  readonly shared: boolean
}

/**
 * Tables of at least this many slots reserve whole segments: their untouched pages cost no
 * resident memory (the kernel maps them on first write), and they grow in place. Smaller ones are
 * copied when they grow, which costs little at their size.
 */
export const RESERVE_FROM_SLOTS = 2 ** 22

/**
 * Allocates a table of `capacity` empty slots (shared memory when asked). With `reserve`, a table
 * of RESERVE_FROM_SLOTS slots or more (or of more than one segment) allocates its last segment
 * whole, so that growFingerprints can grow it without a second table.
 */
export function allocSlots(capacity: number, stride: number, segmentShift: number, shared: boolean, reserve = false): Slots {
  const segmentSlots = 2 ** segmentShift
  const whole = reserve && (capacity >= RESERVE_FROM_SLOTS || capacity > segmentSlots)
  const backing: Int32Array[] = []
  for (let from = 0; from < capacity; from += segmentSlots) {
    backing.push(allocInt32((whole ? segmentSlots : Math.min(segmentSlots, capacity - from)) * stride, shared))
  }
  return viewSlots(backing, capacity, stride, segmentSlots, shared)
}

/** A table of `capacity` slots over segments allocated already (each at least as long as its part). */
function viewSlots(backing: Int32Array[], capacity: number, stride: number, segmentSlots: number, shared: boolean): Slots {
  const segments = backing.map((b, k) => {
    const words = Math.min(segmentSlots, capacity - k * segmentSlots) * stride
    return words === b.length ? b : b.subarray(0, words)
  })
  return { segments, capacity, stride, segmentSlots, inverse: 1 / segmentSlots, backing, shared }
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
 * Grows a fingerprint table (two-word slots) that holds `size` fingerprints to `capacity` slots
 * and returns it; the table passed in is not to be used again.
 *
 * Why in place: the seen set is the largest hash table of a search, and copying it into a new
 * table holds both at once, 2.45 times the old table; on a 53M-state run that transient was the
 * search's peak memory (bench/RESULTS.md, issue 15). A table whose last segment is reserved whole
 * (allocSlots with reserve) grows inside its segments instead.
 *
 * How: the old slots are read from the top down, each emptied as it is read, and each
 * fingerprint is inserted by linear probing from its new home, which is about 1.45 times its old
 * one, so above the slot being read. Such a probe only meets slots above that one: emptied ones
 * and fingerprints already moved, never a fingerprint still to be read, and no slot it passes is
 * emptied later, so the table is a valid linear-probing table throughout. The few whose new home
 * is not above the slot being read (near the table's start, or far from their old home), and
 * those whose probe would wrap past the end, are put aside and inserted last.
 *
 * A small table (unreserved) is copied into a new one, as any table was before.
 */
export function growFingerprints(t: Slots, size: number, capacity: number): Slots {
  if (t.stride !== 2 || capacity <= t.capacity) throw new RangeError(`cannot grow a table of ${t.capacity} slots (stride ${t.stride}) to ${capacity}`)
  if (growsInPlace(t)) return growInPlace(t, size, capacity)
  const bigger = allocSlots(capacity, 2, Math.log2(t.segmentSlots), t.shared, true)
  forEachOccupied(t, 0, t.capacity, (seg, i) => place(bigger, seg[i]!, seg[i + 1]!))
  return bigger
}

/** Whether growFingerprints grows the table in place (its last segment is reserved whole), rather than copying it. */
export function growsInPlace(t: Slots): boolean {
  return t.backing[t.backing.length - 1]!.length === t.stride * t.segmentSlots
}

/** The in-place growth of growFingerprints. */
function growInPlace(t: Slots, size: number, capacity: number): Slots {
  const segmentSlots = t.segmentSlots
  const inverse = t.inverse
  const backing = t.backing.slice()
  while (backing.length * segmentSlots < capacity) backing.push(allocInt32(2 * segmentSlots, t.shared))
  // A table of one segment (up to 2^27 slots by default) is indexed directly: measured, twice as fast.
  const flat = backing.length === 1 ? backing[0]! : null
  const segOf = (s: number) => backing[Math.floor(s * inverse)]!
  const wordOf = (s: number) => 2 * (s - Math.floor(s * inverse) * segmentSlots)
  const put =
    flat !== null
      ? (s: number, hi: number, lo: number) => {
          flat[2 * s] = hi
          flat[2 * s + 1] = lo
        }
      : (s: number, hi: number, lo: number) => {
          const seg = segOf(s)
          const w = wordOf(s)
          seg[w] = hi
          seg[w + 1] = lo
        }
  const hiAt = flat !== null ? (s: number) => flat[2 * s]! : (s: number) => segOf(s)[wordOf(s)]!
  const loAt = flat !== null ? (s: number) => flat[2 * s + 1]! : (s: number) => segOf(s)[wordOf(s) + 1]!
  // slotOf's product with the scale taken first: the same value (both scalings are by a power of
  // two, exact), without a division per fingerprint.
  const scale = capacity / TWO_32
  const asideHi: number[] = []
  const asideLo: number[] = []
  let moved = 0
  for (let s = t.capacity - 1; s >= 0; s--) {
    const hi = hiAt(s)
    if (hi === 0) continue
    const lo = loAt(s)
    put(s, 0, 0)
    moved++
    let slot = Math.floor((hi >>> 0) * scale)
    if (slot > s) {
      while (slot < capacity && hiAt(slot) !== 0) slot++
      if (slot < capacity) {
        put(slot, hi, lo)
        continue
      }
    }
    asideHi.push(hi)
    asideLo.push(lo)
  }
  if (moved !== size) throw new Error(`the seen set held ${moved} fingerprints, the search counts ${size}`)
  const grown = viewSlots(backing, capacity, 2, segmentSlots, t.shared)
  for (let k = 0; k < asideHi.length; k++) place(grown, asideHi[k]!, asideLo[k]!)
  return grown
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

  constructor(initialCapacity = 1 << 12, segmentShift = DEFAULT_SEGMENT_SHIFT) {
    this.slots = allocSlots(Math.max(16, initialCapacity), 2, segmentShift, false, true)
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
    const t = growFingerprints(this.slots, this.size, nextSeenCapacity(this.slots.capacity))
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

  /** Empties the index and keeps its table. */
  clear(): void {
    for (const segment of this.slots.segments) segment.fill(0)
    this.size = 0
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
