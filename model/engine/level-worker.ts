/**
 * Parallel breadth-first search over shared memory: the part each worker thread runs.
 *
 * One round expands one BFS level. Workers take chunks of the shared frontier from an atomic
 * cursor and expand them; every successor is looked up in the shared seen set (read-only during
 * the round) and, if new, in the shared level map, a lock-free open-addressing table that admits
 * each state of the next level once. A state reached from several parents keeps the smallest
 * (parent fingerprint, ordinal) edge, updated under a per-entry spin lock, so what the level
 * holds never depends on thread timing (an edge names its parent by position in the frontier,
 * which does depend on timing, so two edges are compared by the fingerprints stored there). A
 * second phase adds the new states to the seen set (by compare-and-swap), checks them and writes
 * their edges into the shared record table at their position in the level.
 *
 * Tables cannot grow while other threads use them, so a worker that finds one nearly full stops
 * at a state boundary and asks the coordinator to grow it; a state whose expansion hit a full
 * table is expanded again after growth, which is safe because adding an edge is idempotent.
 *
 * The successor path (expander.ts, then `admit` here) allocates nothing and reads the seen set
 * with plain loads; atomics are used only for new states and for duplicates within the level.
 */
import { Expander } from "./expander.js"
import { compareFingerprints } from "./fingerprint.js"
import type { Model } from "./model.js"
import type { SearchOptions } from "./search-types.js"
import { flatOf, forEachOccupied, probeFlat, probeHas, slotOf, type Slots } from "./seen-set.js"
import { EDGE, META } from "./state-store.js"

/** Indexes into the control array. */
export const CTL = {
  /** Next frontier position to hand out. */
  cursor: 0,
  /** States in the next level (also entries in the level map). */
  nextCount: 1,
  /** Non-zero when a worker asked the coordinator to grow a table. */
  pause: 2,
  /** Largest number of successors of one state seen so far. */
  maxFanout: 3,
  size: 4
} as const

/** Words per level-map slot: fingerprint (2) and position + 1 in the next level (0 empty, -1 being written). */
export const MAP = 3
const CHUNK = 256

/**
 * The shared arrays of a parallel search; the coordinator replaces them when they grow. The seen
 * set and the level map are segmented hash tables (seen-set.ts). The level stores are chunked
 * tables (rows.ts), all with the same rows per chunk: entry p's state, metadata and lock live in
 * chunk p >>> chunkShift, at row p & (2^chunkShift - 1).
 */
export interface SharedTables {
  readonly ctl: Int32Array
  readonly seen: Slots
  readonly chunkShift: number
  readonly frontierMeta: readonly Int32Array[]
  readonly frontierWords: readonly Int32Array[]
  readonly frontierCount: number
  readonly nextMeta: readonly Int32Array[]
  readonly nextWords: readonly Int32Array[]
  /** Per next-level entry, a version word guarding its edge (odd while being written). */
  readonly nextLocks: readonly Int32Array[]
  /** Entries the next level's chunks hold. */
  readonly nextCapacity: number
  readonly map: Slots
  /** The fan-out a worker assumes before it has seen a larger one (room it keeps per state). */
  readonly fanoutFloor: number
  /** Bumped by the coordinator whenever it replaces the seen set or the level map. */
  readonly generation: number
  /** The edge records (EDGE words each, chunks of 2^recordShift rows); the finish phase writes the new level's. */
  readonly records: readonly Int32Array[]
  readonly recordShift: number
  /** Records of the levels before the one being finished: the new level's state p has record recordBase + p. */
  readonly recordBase: number
}

/** States a level map of `slots` slots may hold before it must grow. */
export function mapLimitOf(slots: number): number {
  return Math.floor(slots * 0.85)
}

class TableFull extends Error {}

export class LevelWorker extends Expander {
  private t!: SharedTables
  /** The seen set while it is one segment (the fast path), else null. */
  private seenFlat: Int32Array | null = null
  private seenCapacity = 0
  private hardLimit = 0
  private softLimit = 0
  /** The table generation last collected in this thread (SharedTables.generation). */
  private collected = 0
  /** Set in a worker thread (search-worker.ts); unset where workers share one thread, as in tests. */
  collectGarbage: (() => void) | undefined = undefined
  /** States whose expansion found a table full and was redone after growth (for tests). */
  aborts = 0
  private chunkPos = 0
  private chunkEnd = 0
  private maxFanout = 0
  /** The level stores' chunking (SharedTables.chunkShift) and its row mask. */
  private shift = 0
  private mask = 0

  constructor(model: Model, options: SearchOptions) {
    super(model, options)
  }

  attach(tables: SharedTables): void {
    this.t = tables
    this.seenFlat = flatOf(tables.seen)
    this.seenCapacity = tables.seen.capacity
    this.shift = tables.chunkShift
    this.mask = 2 ** tables.chunkShift - 1
    this.hardLimit = Math.min(mapLimitOf(tables.map.capacity), tables.nextCapacity) - 4 * this.options.count
    this.setSoftLimit()
  }

  /** Room kept free before each state: enough for every worker to add one more state's successors. */
  private setSoftLimit(): void {
    this.softLimit = this.hardLimit - 4 * this.options.count * Math.max(this.t.fanoutFloor, this.maxFanout)
  }

  /** Level 1: worker 0 adds the initial states (few; not worth sharing). */
  seed(): "done" | "paused" {
    if (this.options.index === 0) this.admitInitialStates()
    return "done"
  }

  /**
   * Starts a round. If the coordinator replaced a table since the last round, the old one's
   * handles in this thread are garbage now: collect them, or this thread keeps the old table's
   * memory alive (tuning.ts, collectGarbage).
   */
  beginRound(successorLength: number): void {
    if (this.t.generation !== this.collected) {
      this.collected = this.t.generation
      this.collectGarbage?.()
    }
    this.successorLength = successorLength
    this.chunkPos = 0
    this.chunkEnd = 0
  }

  /** Expands frontier chunks until the frontier is exhausted or a table must grow. */
  expand(): "done" | "paused" {
    const t = this.t
    const ctl = t.ctl
    const w = this.widthWords
    for (;;) {
      if (this.chunkPos >= this.chunkEnd) {
        const start = Atomics.add(ctl, CTL.cursor, CHUNK)
        if (start >= t.frontierCount) return "done"
        this.chunkPos = start
        this.chunkEnd = Math.min(start + CHUNK, t.frontierCount)
      }
      // Plain reads: these only need to be seen eventually, and atomic loads of a line the other
      // worker keeps writing cost a cache miss per state.
      if (ctl[CTL.pause] !== 0) return "paused"
      if (ctl[CTL.nextCount]! >= this.softLimit) {
        Atomics.store(ctl, CTL.pause, 1)
        return "paused"
      }
      const p = this.chunkPos
      if ((p & 8191) === 0 && this.tick !== undefined) this.tick()
      try {
        const meta = t.frontierMeta[p >>> this.shift]!
        const b = (p & this.mask) * META
        this.expandState(t.frontierWords[p >>> this.shift]!, (p & this.mask) * w, meta[b]!, meta[b + 1]!, p)
      } catch (e) {
        if (!(e instanceof TableFull)) throw e
        // Undo the partial expansion's counts; its edges stay, since adding them again is
        // harmless. The successor being emitted when the table filled was already counted (emit
        // counts before it stores), but its ordinal was not yet taken: hence the + 1.
        const emitted = this.ordinal + 1
        const familyStart = this.familyStart
        this.generated -= emitted
        for (let f = 0; f <= this.family; f++) {
          this.coverage[f]! -= (f < this.family ? familyStart[f + 1]! : emitted) - familyStart[f]!
        }
        this.aborts++
        Atomics.store(ctl, CTL.pause, 1)
        return "paused"
      }
      if (this.ordinal > this.maxFanout) {
        this.maxFanout = this.ordinal
        this.setSoftLimit()
      }
      this.chunkPos++
    }
  }

  /** Adds a successor to the next level, or lowers the edge of the copy already there. */
  protected admit(hi: number, lo: number): void {
    const t = this.t
    const flat = this.seenFlat
    if (flat !== null ? probeFlat(flat, this.seenCapacity, hi, lo) : probeHas(t.seen, hi, lo)) return
    const map = t.map
    const s = slotOf(hi, map.capacity)
    let k = Math.floor(s * map.inverse)
    let seg = map.segments[k]!
    let b = MAP * (s - k * map.segmentSlots)
    for (;;) {
      // The writer stores lo, hi and the entry's edge, then publishes the position with an
      // atomic store; an atomic load that sees it therefore sees them too (on any hardware).
      let pos = Atomics.load(seg, b + 2)
      if (pos === 0) {
        if (t.ctl[CTL.nextCount]! >= this.hardLimit) throw new TableFull()
        if (Atomics.compareExchange(seg, b + 2, 0, -1) === 0) {
          const p = Atomics.add(t.ctl, CTL.nextCount, 1)
          seg[b + 1] = lo
          seg[b] = hi
          const m = t.nextMeta[p >>> this.shift]!
          const o = (p & this.mask) * META
          m[o] = hi
          m[o + 1] = lo
          this.writeEdge(p)
          Atomics.store(seg, b + 2, p + 1)
          return
        }
        pos = Atomics.load(seg, b + 2)
      }
      let h = seg[b]!
      while (pos === -1 || h === 0) {
        // Claimed but not yet published: the writer is a few instructions from done.
        pos = Atomics.load(seg, b + 2)
        h = Atomics.load(seg, b)
      }
      if (h === hi && seg[b + 1] === lo) {
        this.lowerEdge(pos - 1)
        return
      }
      b += MAP
      if (b === seg.length) {
        b = 0
        if (++k === map.segments.length) k = 0
        seg = map.segments[k]!
      }
    }
  }

  /** Writes the edge being expanded and the scratch state into next-level entry p. */
  private writeEdge(p: number): void {
    const t = this.t
    const m = t.nextMeta[p >>> this.shift]!
    const b = (p & this.mask) * META
    m[b + 2] = this.parentPosition
    m[b + 3] = this.ordinal
    const w = this.widthWords
    const words = t.nextWords[p >>> this.shift]!
    const to = (p & this.mask) * w
    const src = this.scratchWords
    for (let i = 0; i < w; i++) words[to + i] = src[i]!
  }

  /**
   * Keeps the smaller edge. Each entry has a version word (odd while being written): a reader
   * that sees the same even version before and after reading the edge has a consistent copy and,
   * most of the time, learns that its own edge is not smaller without taking the lock.
   */
  private lowerEdge(p: number): void {
    const t = this.t
    const versions = t.nextLocks[p >>> this.shift]!
    const l = p & this.mask
    const m = t.nextMeta[p >>> this.shift]!
    const b = l * META
    const before = Atomics.load(versions, l)
    if ((before & 1) === 0) {
      // Atomic reads: plain ones could be reordered around the version checks.
      const order = this.compareParent(Atomics.load(m, b + 2)) || this.ordinal - Atomics.load(m, b + 3)
      if (order >= 0 && Atomics.load(versions, l) === before) return
    }
    let v = Atomics.load(versions, l)
    while ((v & 1) !== 0 || Atomics.compareExchange(versions, l, v, v + 1) !== v) v = Atomics.load(versions, l)
    if ((this.compareParent(m[b + 2]!) || this.ordinal - m[b + 3]!) < 0) this.writeEdge(p)
    Atomics.store(versions, l, v + 2)
  }

  /** The parent being expanded against the frontier state at `position`, by fingerprint (the frontier does not change in a round). */
  private compareParent(position: number): number {
    if (position < 0) return 0
    const m = this.t.frontierMeta[position >>> this.shift]!
    const b = (position & this.mask) * META
    return compareFingerprints(this.parentHi, this.parentLo, m[b]!, m[b + 1]!)
  }

  /** Adds a fingerprint known to be absent to the seen set (several workers at once). */
  private seenInsert(hi: number, lo: number): void {
    const seen = this.t.seen
    const s = slotOf(hi, seen.capacity)
    let k = Math.floor(s * seen.inverse)
    let seg = seen.segments[k]!
    let i = 2 * (s - k * seen.segmentSlots)
    while (Atomics.compareExchange(seg, i, 0, hi) !== 0) {
      i += 2
      if (i === seg.length) {
        i = 0
        if (++k === seen.segments.length) k = 0
        seg = seen.segments[k]!
      }
    }
    seg[i + 1] = lo
  }

  /** Moves slots [from, to) of the seen set's old table into the current one (growth, in parallel). */
  rehash(old: Slots, from: number, to: number): void {
    forEachOccupied(old, from, to, (seg, i) => this.seenInsert(seg[i]!, seg[i + 1]!))
  }

  /** Round, phase 2: adds next-level states [from, to) to the seen set, checks them and writes their edge records. */
  finish(from: number, to: number): void {
    const t = this.t
    const recordShift = t.recordShift
    const recordMask = 2 ** recordShift - 1
    for (let p = from; p < to; p++) {
      const m = t.nextMeta[p >>> this.shift]!
      const b = (p & this.mask) * META
      this.seenInsert(m[b]!, m[b + 1]!)
      const r = t.recordBase + p
      const edges = t.records[r >>> recordShift]!
      const e = (r & recordMask) * EDGE
      edges[e] = m[b + 2]!
      edges[e + 1] = m[b + 3]!
      this.checkNewState(m, b, t.nextWords[p >>> this.shift]!, (p & this.mask) * this.widthWords, p)
    }
  }

  /** The largest number of successors of one state seen so far (tables keep room for it). */
  fanout(): number {
    return this.maxFanout
  }
}
