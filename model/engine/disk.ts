/**
 * The search with its tables on disk (`check --disk DIR`): the seen set, each level's states and
 * the edge records are files, and memory holds a buffer of candidate successors of bounded size.
 * So a search is bounded by disk, not by memory, and reaches the counts, coverage and
 * counterexample of the search in memory.
 *
 * The method is delayed duplicate detection (Stern and Dill's disk-based Murphi, 1998), per BFS
 * level:
 *
 * 1. Expand: the frontier file is read front to back and every successor inside the constraint
 *    goes into the candidate buffer, one entry per fingerprint: the state, and the smallest edge
 *    (parent fingerprint, then ordinal) that reached it, the rule of the search in memory (the
 *    first to arrive, as the frontier is in fingerprint order). A full buffer is sorted by
 *    fingerprint and written out as a run.
 * 2. Merge: the level's runs and the seen file (fingerprints, sorted) are merged. A fingerprint in
 *    the seen file is an old state; any other is new, with the smallest of its runs' edges. New
 *    states are checked, numbered in fingerprint order, and written to the next frontier file,
 *    to the edge file (parent's position, ordinal) and into the next seen file.
 *
 * Trade-offs: every successor inside the constraint is buffered, old states too (the seen set is
 * consulted only at the merge), and each level rewrites the seen file, which costs a sequential
 * pass over all fingerprints per level; in exchange nothing but the buffer grows with the state
 * space. One thread. A level's states are numbered in fingerprint order rather than in the order
 * they were found; positions only name parents, so no result depends on them.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs"
import { join } from "node:path"
import { Expander } from "./expander.js"
import { oneThreadDriver, type RoundDriver } from "./explorer.js"
import { compareFingerprints } from "./fingerprint.js"
import type { Model } from "./model.js"
import type { EdgeLookup } from "./path.js"
import { Rows } from "./rows.js"
import type { RoundStats, SearchOptions } from "./search-types.js"
import { LevelIndex } from "./seen-set.js"
import { BLOCK_WORDS, RecordReader, WordWriter } from "./word-files.js"

/** Where a search on disk keeps its files, and how much memory its buffer may take. */
export interface DiskSearchOptions {
  /** A directory for the search's files: a fresh subdirectory is made in it, and removed at the end. */
  readonly dir: string
  /** Bytes for the candidate buffer, its index and its sort. */
  readonly bufferBytes: number
  /** The buffer's size in states, instead of from bufferBytes (tests make it tiny). */
  readonly bufferStates?: number
}

/** Memory a search on disk takes beside its buffer: the merge's readers (64 MiB), the frontier's reader and the writers. */
export const DISK_IO_BYTES = 96 * 2 ** 20

/**
 * The candidate buffer's bytes under a memory budget (`--memory`) for the whole process, which
 * holds `resident` bytes before the search; null if the budget leaves it under 16 MiB.
 */
export function diskBufferBytes(budget: number, resident: number): number | null {
  const bytes = budget - resident - DISK_IO_BYTES
  return bytes >= 16 * 2 ** 20 ? bytes : null
}

/** Words of a candidate before its state: fingerprint (2), parent's position, ordinal, parent's fingerprint (2). */
const CANDIDATE_HEAD = 6
/** Words all the merge's readers may buffer together (64 MiB). */
const MERGE_BUFFER_WORDS = 16 * BLOCK_WORDS
/** Runs a level may have before they are merged into one (each is an open file during the merge). */
const MAX_RUNS = 64
/** Below this many entries a buffer is sorted by comparison; from it, by radix. */
const RADIX_FROM = 1 << 16

/** Bytes of memory per buffered candidate: the entry, its index (two slots of 3 words) and the sort's four arrays. */
export function candidateBytes(widthWords: number): number {
  return 4 * (CANDIDATE_HEAD + widthWords) + 24 + 16
}

/** The order of fingerprints in every file: unsigned high word, then unsigned low word. */
function keyOrder(a: Int32Array, ai: number, b: Int32Array, bi: number): number {
  return compareFingerprints(a[ai]!, a[ai + 1]!, b[bi]!, b[bi + 1]!)
}

/** Is the candidate at a[ai ..] reached by a smaller edge (parent fingerprint, then ordinal) than b[bi ..]? */
function edgeBefore(a: Int32Array, ai: number, b: Int32Array, bi: number): boolean {
  return (compareFingerprints(a[ai + 4]!, a[ai + 5]!, b[bi + 4]!, b[bi + 5]!) || a[ai + 3]! - b[bi + 3]!) < 0
}

export class DiskBfs extends Expander {
  /** The search's own subdirectory of DiskSearchOptions.dir. */
  readonly work: string
  distinct = 0
  frontierCount = 0
  /** Frontier states expanded so far in the current round. */
  expanded = 0
  /** Records of levels 1..d at levelEnds[d - 1] (the edge file's records, in level order). */
  readonly levelEnds: number[] = []
  /** Runs written, and how many times a level's runs were merged into one (for tests). */
  runsWritten = 0
  compactions = 0

  private readonly candidateWords: number
  private readonly buffer: Rows
  private readonly index: LevelIndex
  private readonly capacity: number
  private buffered = 0
  private readonly order: Uint32Array
  private readonly spare: Uint32Array
  private readonly keyHi: Uint32Array
  private readonly keyLo: Uint32Array
  private runs: string[] = []
  private frontierPath: string | null = null
  private seenPath: string | null = null
  private readonly edgesFd: number
  private readonly edges: WordWriter

  constructor(model: Model, options: SearchOptions, disk: DiskSearchOptions) {
    super(model, options)
    this.candidateWords = CANDIDATE_HEAD + this.widthWords
    this.capacity = Math.max(2, disk.bufferStates ?? Math.floor(disk.bufferBytes / candidateBytes(this.widthWords)))
    this.buffer = new Rows(this.candidateWords, options.chunkShift, false)
    this.buffer.reserve(this.capacity)
    this.index = new LevelIndex(this.capacity, options.segmentShift)
    this.order = new Uint32Array(this.capacity)
    this.spare = new Uint32Array(this.capacity)
    this.keyHi = new Uint32Array(this.capacity)
    this.keyLo = new Uint32Array(this.capacity)
    mkdirSync(disk.dir, { recursive: true })
    this.work = mkdtempSync(join(disk.dir, "replcheck-search-"))
    this.edgesFd = openSync(join(this.work, "edges.bin"), "w+")
    this.edges = new WordWriter(this.edgesFd)
  }

  /** Level 1: the initial states. */
  seedInitialStates(): void {
    this.admitInitialStates()
    this.finishLevel()
  }

  /**
   * Buffers a successor unless the buffer holds it already. The copy there came by the smaller
   * edge: the frontier is expanded in fingerprint order (the merge writes it so) and a state's
   * successors in ordinal order, so edges arrive in ascending order. Across runs the merge
   * keeps the smallest.
   */
  protected admit(hi: number, lo: number): void {
    if (this.index.find(hi, lo) >= 0) return
    const buffer = this.buffer
    if (this.buffered === this.capacity) this.writeRun()
    const p = this.buffered++
    const c = buffer.chunk(p)
    const b = buffer.offset(p)
    c[b] = hi
    c[b + 1] = lo
    this.writeCandidate(c, b)
    this.index.insert(hi, lo, p)
  }

  /** The edge being expanded and the scratch state, into the candidate at c[b ..] (fingerprint there already). */
  private writeCandidate(c: Int32Array, b: number): void {
    c[b + 2] = this.parentPosition
    c[b + 3] = this.ordinal
    c[b + 4] = this.parentHi
    c[b + 5] = this.parentLo
    const scratch = this.scratchWords
    const to = b + CANDIDATE_HEAD
    for (let i = 0; i < this.widthWords; i++) c[to + i] = scratch[i]!
  }

  /** Round, phase 1: reads the frontier file and expands every state in it. */
  expandFrontier(successorLength: number): void {
    this.successorLength = successorLength
    const path = this.frontierPath
    if (path === null) return
    const reader = new RecordReader(path, 2 + this.widthWords, Math.floor(BLOCK_WORDS / (2 + this.widthWords)))
    try {
      for (let p = 0; !reader.done; p++) {
        this.expanded = p
        if ((p & 16383) === 16383 && this.tick !== undefined) this.tick()
        const block = reader.block
        const at = reader.at
        this.expandState(block, at + 2, block[at]!, block[at + 1]!, p)
        reader.next()
      }
    } finally {
      reader.close()
    }
    rmSync(path)
    this.frontierPath = null
    this.expanded = this.frontierCount
  }

  /** Round, phase 2: the buffered candidates and runs against the seen file; the new states become the frontier. */
  finishLevel(): void {
    this.writeRun()
    this.merge()
    this.expanded = 0
  }

  /** Writes the buffer, sorted by fingerprint, to a new run file, and empties it. */
  private writeRun(): void {
    const n = this.buffered
    if (n === 0) return
    const buffer = this.buffer
    const order = this.order
    const keyHi = this.keyHi
    const keyLo = this.keyLo
    for (let p = 0; p < n; p++) {
      const c = buffer.chunk(p)
      const b = buffer.offset(p)
      keyHi[p] = c[b]! >>> 0
      keyLo[p] = c[b + 1]! >>> 0
      order[p] = p
    }
    const sorted = n < RADIX_FROM ? this.sortByComparison(n) : this.sortByRadix(n)
    const path = join(this.work, `run-${this.levelEnds.length + 1}-${this.runs.length}.bin`)
    const fd = openSync(path, "w")
    try {
      const out = new WordWriter(fd)
      for (let k = 0; k < n; k++) {
        const p = sorted[k]!
        out.words(buffer.chunk(p), buffer.offset(p), this.candidateWords)
      }
      out.flush()
    } finally {
      closeSync(fd)
    }
    this.runs.push(path)
    this.runsWritten++
    if (this.runs.length >= MAX_RUNS) this.compactRuns()
    this.buffered = 0
    this.index.clear()
  }

  private sortByComparison(n: number): Uint32Array {
    const keyHi = this.keyHi
    const keyLo = this.keyLo
    return this.order.subarray(0, n).sort((a, b) => keyHi[a]! - keyHi[b]! || keyLo[a]! - keyLo[b]!)
  }

  /** Least significant digit first, 16 bits a pass: low word, then high word. */
  private sortByRadix(n: number): Uint32Array {
    let from = this.order
    let to = this.spare
    const counts = new Uint32Array(1 << 16)
    for (const [keys, shift] of [[this.keyLo, 0], [this.keyLo, 16], [this.keyHi, 0], [this.keyHi, 16]] as const) {
      counts.fill(0)
      for (let k = 0; k < n; k++) counts[(keys[from[k]!]! >>> shift) & 0xffff]!++
      let sum = 0
      for (let d = 0; d < counts.length; d++) {
        const c = counts[d]!
        counts[d] = sum
        sum += c
      }
      for (let k = 0; k < n; k++) {
        const p = from[k]!
        to[counts[(keys[p]! >>> shift) & 0xffff]!++] = p
      }
      const t = from
      from = to
      to = t
    }
    return from.subarray(0, n)
  }

  /** Merges the level's runs with the seen file into the next seen file, frontier file and edge records. */
  private merge(): void {
    const w = this.widthWords
    const level = this.levelEnds.length + 1
    const seen = this.seenPath === null ? null : new RecordReader(this.seenPath, 2, Math.floor(BLOCK_WORDS / 2))
    const seenPath = join(this.work, `seen-${level}.bin`)
    const frontierPath = join(this.work, `frontier-${level}.bin`)
    const seenFd = openSync(seenPath, "w")
    const frontierFd = openSync(frontierPath, "w")
    const seenOut = new WordWriter(seenFd)
    const frontierOut = new WordWriter(frontierFd)
    let position = 0
    try {
      this.mergeRuns((best) => {
        if (seen !== null) {
          while (!seen.done && keyOrder(seen.block, seen.at, best, 0) < 0) {
            seenOut.words(seen.block, seen.at, 2)
            seen.next()
          }
          if (!seen.done && keyOrder(seen.block, seen.at, best, 0) === 0) return
        }
        seenOut.words(best, 0, 2)
        frontierOut.words(best, 0, 2)
        frontierOut.words(best, CANDIDATE_HEAD, w)
        this.edges.word(best[2]!)
        this.edges.word(best[3]!)
        this.checkNewState(best, 0, best, CANDIDATE_HEAD, position)
        position++
      })
      if (seen !== null) {
        for (; !seen.done; seen.next()) seenOut.words(seen.block, seen.at, 2)
      }
      seenOut.flush()
      frontierOut.flush()
    } finally {
      seen?.close()
      closeSync(seenFd)
      closeSync(frontierFd)
    }
    if (this.seenPath !== null) rmSync(this.seenPath)
    this.seenPath = seenPath
    this.frontierPath = frontierPath
    this.frontierCount = position
    this.distinct += position
    this.levelEnds.push((this.levelEnds[this.levelEnds.length - 1] ?? 0) + position)
  }

  /**
   * Merges the level's runs, calling `visit` once per fingerprint in their order with the
   * candidate of the smallest edge (valid during the call), and removes them.
   */
  private mergeRuns(visit: (best: Int32Array) => void): void {
    const C = this.candidateWords
    const perReader = Math.max(16, Math.floor(MERGE_BUFFER_WORDS / (C * Math.max(1, this.runs.length))))
    const readers = this.runs.map((path) => new RecordReader(path, C, perReader))
    const heap = new ReaderHeap(readers.filter((r) => !r.done))
    const best = new Int32Array(C)
    try {
      while (heap.size > 0) {
        let r = heap.top()
        best.set(r.block.subarray(r.at, r.at + C))
        heap.advanceTop()
        while (heap.size > 0 && keyOrder((r = heap.top()).block, r.at, best, 0) === 0) {
          if (edgeBefore(r.block, r.at, best, 0)) best.set(r.block.subarray(r.at, r.at + C))
          heap.advanceTop()
        }
        visit(best)
      }
    } finally {
      for (const reader of readers) reader.close()
    }
    for (const path of this.runs) rmSync(path)
    this.runs = []
  }

  /** Merges the level's runs so far into one, so that a level never holds more than MAX_RUNS files open. */
  private compactRuns(): void {
    const path = join(this.work, `run-${this.levelEnds.length + 1}-merged-${this.runsWritten}.bin`)
    const fd = openSync(path, "w")
    try {
      const out = new WordWriter(fd)
      this.mergeRuns((best) => out.words(best, 0, this.candidateWords))
      out.flush()
    } finally {
      closeSync(fd)
    }
    this.runs = [path]
    this.compactions++
  }

  /** The edge records, read back from the edge file (for the counterexample, after the search). */
  edgeLookup(): EdgeLookup {
    this.edges.flush()
    const bytes = new Int32Array(2)
    const view = new Uint8Array(bytes.buffer)
    return (level, position) => {
      const from = level >= 2 ? this.levelEnds[level - 2] : 0
      const to = this.levelEnds[level - 1]
      if (from === undefined || to === undefined || position < 0 || from + position >= to) return null
      if (readSync(this.edgesFd, view, 0, 8, (from + position) * 8) !== 8) return null
      return [bytes[0]!, bytes[1]!]
    }
  }

  /** Live counters for progress lines: generated, distinct (not counting the level being built), queue. */
  live(): [number, number, number] {
    return [this.generated, this.distinct, this.frontierCount - this.expanded]
  }

  stats(): RoundStats {
    return {
      generated: this.generated,
      distinct: this.distinct,
      frontier: this.frontierCount,
      coverage: Array.from(this.coverage),
      seenBytes: 0
    }
  }

  /** Removes the search's files. */
  close(): void {
    closeSync(this.edgesFd)
    rmSync(this.work, { recursive: true, force: true })
  }
}

/** The merge's run readers, by their current record's fingerprint (a binary min-heap). */
class ReaderHeap {
  private readonly items: RecordReader[]
  size: number

  constructor(readers: RecordReader[]) {
    this.items = readers
    this.size = readers.length
    for (let k = (this.size >> 1) - 1; k >= 0; k--) this.down(k)
  }

  top(): RecordReader {
    return this.items[0]!
  }

  /** Moves the top reader to its next record, dropping it once it is done. */
  advanceTop(): void {
    const r = this.items[0]!
    r.next()
    if (r.done) {
      this.size--
      this.items[0] = this.items[this.size]!
      this.items.length = this.size
    }
    if (this.size > 0) this.down(0)
  }

  private less(a: RecordReader, b: RecordReader): boolean {
    return keyOrder(a.block, a.at, b.block, b.at) < 0
  }

  private down(k: number): void {
    const items = this.items
    for (;;) {
      const l = 2 * k + 1
      if (l >= this.size) return
      const r = l + 1
      const m = r < this.size && this.less(items[r]!, items[l]!) ? r : l
      if (!this.less(items[m]!, items[k]!)) return
      const t = items[k]!
      items[k] = items[m]!
      items[m] = t
      k = m
    }
  }
}

/** The search on disk as a round driver (explorer.ts). */
export function diskDriver(model: Model, options: SearchOptions, disk: DiskSearchOptions): RoundDriver & { readonly search: DiskBfs } {
  const search = new DiskBfs(model, options, disk)
  const unsupported = async (): Promise<never> => {
    throw new Error("a search on disk (--disk) keeps no checkpoint")
  }
  const driver = oneThreadDriver(search, {
    restore: unsupported,
    snapshot: unsupported,
    records: async () => search.edgeLookup(),
    close: async () => search.close()
  })
  return { ...driver, search }
}
