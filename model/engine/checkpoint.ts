/**
 * Checkpoints of the breadth-first search: everything a search holds at a level boundary (the
 * fingerprints seen, the frontier's states and edges, the edge records of every level, the
 * counters), written to one file so that a search killed later can resume from that level and
 * reach the counts and the counterexample an uninterrupted run reaches.
 *
 * Trade-offs: a checkpoint is taken only between levels, where no thread touches a table, so it
 * needs no coordination and is consistent by construction; a level's work since the last
 * checkpoint is lost on a kill. The file is written beside the old one and renamed over it after
 * an fsync (and the directory is fsynced), so a kill while writing leaves the previous checkpoint
 * whole. Writing is synchronous: the search waits for it, as it would for a level barrier.
 *
 * Format (all integers little-endian int32 words after the header):
 *   MAGIC, the header's byte length (4 bytes), the header as JSON (CheckpointHeader), padding to
 *   4 bytes; then the seen set's fingerprints (2 words each, `distinct` of them), the frontier's
 *   metadata (META words a state: fingerprint, parent's position, ordinal), the frontier's
 *   states (widthWords a state), and the edge records of levels 1..depth (EDGE words each:
 *   parent's position in its level, ordinal; level by level, each level in position order;
 *   `levelEnds[d - 1]` = records of levels 1..d).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync } from "node:fs"
import { join } from "node:path"
import type { RecordSet } from "./path.js"
import type { Rows } from "./rows.js"
import { forEachOccupied, type Slots } from "./seen-set.js"
import { EDGE, META } from "./state-store.js"
import { BLOCK_WORDS, WordWriter, writeAll } from "./word-files.js"

export const CHECKPOINT_FILE = "checkpoint.bin"
/** Version 2: edges name the parent by its position in its level, not by its fingerprint. */
const MAGIC = "replcheck checkpoint 2\n"

/** A checkpoint that cannot be resumed: missing, unreadable, damaged, or of another search. */
export class CheckpointError extends Error {
  override readonly name = "CheckpointError"
}

/** What a checkpoint says about itself; `identity` must equal the resuming search's. */
export interface CheckpointHeader {
  /** The model and the checks (protocol, variant, bounds, symmetry, invariants, ...): see explorer.ts. */
  readonly identity: Readonly<Record<string, unknown>>
  /** Levels explored; the frontier is level `depth`. */
  readonly depth: number
  readonly distinct: number
  readonly generated: number
  /** Per action family, in the model's order. */
  readonly coverage: readonly number[]
  /** States in the frontier. */
  readonly frontier: number
  readonly widthWords: number
  readonly levelEnds: readonly number[]
  /** New states per frontier state in the last level (the memory budget's projection). */
  readonly growth: number
  /** Search time before this checkpoint, over every run that led to it. */
  readonly seconds: number
  /** When it was written (ISO 8601). */
  readonly written: string
}

/** A level's states in chunks of 2^shift rows: metadata (META words a row) and states (widthWords). */
export interface FrontierRows {
  readonly count: number
  readonly shift: number
  readonly meta: readonly Int32Array[]
  readonly words: readonly Int32Array[]
}

/** What a driver hands over at a level boundary to be written. */
export interface LevelSnapshot {
  readonly seen: Slots
  readonly frontier: FrontierRows
  readonly records: RecordSet
}

/**
 * Writes the checkpoint of a level boundary to `dir` (created if missing), replacing the one
 * there only once the new one is whole on disk.
 */
export function writeCheckpoint(dir: string, header: Omit<CheckpointHeader, "levelEnds" | "written">, snapshot: LevelSnapshot): void {
  mkdirSync(dir, { recursive: true })
  const levelEnds = snapshot.records.levelEnds.slice(0, header.depth)
  if (levelEnds.length !== header.depth) throw new CheckpointError(`the edge records cover ${levelEnds.length} levels, the search ${header.depth}`)
  const full: CheckpointHeader = { ...header, levelEnds, written: new Date().toISOString() }
  const json = Buffer.from(JSON.stringify(full), "utf8")
  const lead = Buffer.from(MAGIC, "utf8")
  const pad = (4 - ((lead.length + 4 + json.length) % 4)) % 4
  const length = Buffer.alloc(4)
  length.writeUInt32LE(json.length)
  const final = join(dir, CHECKPOINT_FILE)
  const temporary = join(dir, `${CHECKPOINT_FILE}.${process.pid}.tmp`)
  // A process killed while writing leaves its temporary file: the next writer removes it.
  for (const name of readdirSync(dir)) if (name.startsWith(`${CHECKPOINT_FILE}.`) && name.endsWith(".tmp")) rmSync(join(dir, name), { force: true })
  const fd = openSync(temporary, "w")
  try {
    writeAll(fd, Buffer.concat([lead, length, json, Buffer.alloc(pad)]))
    const out = new WordWriter(fd)
    let seen = 0
    forEachOccupied(snapshot.seen, 0, snapshot.seen.capacity, (segment, word) => {
      out.words(segment, word, 2)
      seen++
    })
    if (seen !== header.distinct) throw new CheckpointError(`the seen set holds ${seen} fingerprints, the search counts ${header.distinct}`)
    const { frontier } = snapshot
    const mask = 2 ** frontier.shift - 1
    for (let p = 0; p < frontier.count; p++) out.words(frontier.meta[p >>> frontier.shift]!, (p & mask) * META, META)
    for (let p = 0; p < frontier.count; p++) out.words(frontier.words[p >>> frontier.shift]!, (p & mask) * header.widthWords, header.widthWords)
    const { records, shift } = snapshot.records
    const perChunk = 2 ** shift
    const total = levelEnds[levelEnds.length - 1] ?? 0
    for (let r = 0; r < total; r += perChunk) out.words(records[r >>> shift]!, 0, Math.min(perChunk, total - r) * EDGE)
    out.flush()
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    rmSync(temporary, { force: true })
    throw e
  }
  closeSync(fd)
  renameSync(temporary, final)
  // The rename is durable only once the directory is.
  const dirFd = openSync(dir, "r")
  try {
    fsyncSync(dirFd)
  } finally {
    closeSync(dirFd)
  }
}

/**
 * A checkpoint opened for resuming: its header, then its sections read once each, in order
 * (seen, frontier, records), by the driver.
 */
export class CheckpointReader {
  readonly header: CheckpointHeader
  private readonly fd: number
  private position: number
  private readonly buffer = new Int32Array(BLOCK_WORDS)

  constructor(readonly dir: string) {
    const file = join(dir, CHECKPOINT_FILE)
    let size: number
    try {
      size = statSync(file).size
      this.fd = openSync(file, "r")
    } catch (e) {
      throw new CheckpointError(`no checkpoint to resume in ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
    }
    try {
      const lead = Buffer.alloc(MAGIC.length + 4)
      if (readSync(this.fd, lead, 0, lead.length, 0) !== lead.length || lead.subarray(0, MAGIC.length).toString("utf8") !== MAGIC) {
        throw new CheckpointError(`${file} is not a replcheck checkpoint (or of another format version)`)
      }
      const length = lead.readUInt32LE(MAGIC.length)
      const json = Buffer.alloc(length)
      if (readSync(this.fd, json, 0, length, lead.length) !== length) throw new CheckpointError(`${file} is truncated in its header`)
      try {
        this.header = JSON.parse(json.toString("utf8")) as CheckpointHeader
      } catch {
        throw new CheckpointError(`${file} has a damaged header`)
      }
      const h = this.header
      this.position = lead.length + length + ((4 - ((lead.length + length) % 4)) % 4)
      const records = h.levelEnds[h.levelEnds.length - 1] ?? 0
      const expected = this.position + 4 * (2 * h.distinct + h.frontier * (META + h.widthWords) + records * EDGE)
      if (size !== expected) throw new CheckpointError(`${file} is ${size} bytes, its header describes ${expected}: it is damaged`)
    } catch (e) {
      closeSync(this.fd)
      throw e
    }
  }

  /** Reads `count` words and hands them over in blocks: visit(block, words in it). */
  private read(count: number, visit: (block: Int32Array, words: number) => void): void {
    const bytes = new Uint8Array(this.buffer.buffer)
    while (count > 0) {
      const n = Math.min(count, BLOCK_WORDS)
      let got = 0
      while (got < n * 4) {
        const r = readSync(this.fd, bytes, got, n * 4 - got, this.position + got)
        if (r === 0) throw new CheckpointError(`${this.dir}: the checkpoint ended early`)
        got += r
      }
      this.position += n * 4
      visit(this.buffer, n)
      count -= n
    }
  }

  /** The seen set's fingerprints, one call each. */
  readSeen(visit: (hi: number, lo: number) => void): void {
    this.read(2 * this.header.distinct, (block, n) => {
      for (let i = 0; i < n; i += 2) visit(block[i]!, block[i + 1]!)
    })
  }

  /** The frontier: visit(p, meta, at) for every state's metadata, then state(p, words, at) for its words. */
  readFrontier(meta: (p: number, block: Int32Array, at: number) => void, state: (p: number, block: Int32Array, at: number) => void): void {
    const rows = (width: number, visit: (p: number, block: Int32Array, at: number) => void) => {
      // Blocks hold whole rows: read one block's worth of rows at a time.
      const perBlock = Math.max(1, Math.floor(BLOCK_WORDS / width))
      for (let p = 0; p < this.header.frontier; p += perBlock) {
        const n = Math.min(perBlock, this.header.frontier - p)
        this.read(n * width, (block) => {
          for (let k = 0; k < n; k++) visit(p + k, block, k * width)
        })
      }
    }
    rows(META, meta)
    rows(this.header.widthWords, state)
  }

  /** The edge records of levels 1..depth into `into` (empty, EDGE words a row); returns how many. */
  readRecords(into: Rows): number {
    const total = this.header.levelEnds[this.header.levelEnds.length - 1] ?? 0
    into.reserve(total)
    let word = 0
    const rowWords = 2 ** into.shift * EDGE
    this.read(total * EDGE, (block, n) => {
      for (let i = 0; i < n; ) {
        const chunk = into.chunks[Math.floor(word / rowWords)]!
        const at = word % rowWords
        const take = Math.min(n - i, rowWords - at)
        chunk.set(block.subarray(i, i + take), at)
        i += take
        word += take
      }
    })
    return total
  }

  close(): void {
    closeSync(this.fd)
  }
}
