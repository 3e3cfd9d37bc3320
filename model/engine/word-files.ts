/**
 * Buffered files of int32 words: the checkpoint (checkpoint.ts) and the search on disk (disk.ts)
 * write and read their tables through these, a block at a time, with synchronous calls (the
 * search waits for its files as it waits for a level barrier).
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs"

/** Words per buffered read or write: 4 MiB. */
export const BLOCK_WORDS = 1 << 20

/** Writes all of `bytes` at the file's current position. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at)
}

/** Buffered int32 output to a file descriptor. */
export class WordWriter {
  private readonly buffer: Int32Array
  private used = 0
  /** Words written so far (flushed or not). */
  written = 0

  constructor(
    private readonly fd: number,
    blockWords = BLOCK_WORDS
  ) {
    this.buffer = new Int32Array(blockWords)
  }

  words(src: Int32Array, from: number, count: number): void {
    this.written += count
    const size = this.buffer.length
    while (count > 0) {
      const n = Math.min(count, size - this.used)
      this.buffer.set(src.subarray(from, from + n), this.used)
      this.used += n
      from += n
      count -= n
      if (this.used === size) this.flush()
    }
  }

  /** One word. */
  word(w: number): void {
    this.written++
    this.buffer[this.used++] = w
    if (this.used === this.buffer.length) this.flush()
  }

  flush(): void {
    writeAll(this.fd, new Uint8Array(this.buffer.buffer, 0, this.used * 4))
    this.used = 0
  }
}

/**
 * Reads a file of fixed-width records (`recordWords` int32 words each) front to back, a block of
 * whole records at a time: `block` and `at` locate the current record while `done` is false.
 */
export class RecordReader {
  readonly block: Int32Array
  /** Word offset of the current record in `block`. */
  at = 0
  done = false
  private end = 0
  private position = 0
  private readonly fd: number

  constructor(
    readonly path: string,
    private readonly recordWords: number,
    blockRecords: number
  ) {
    this.block = new Int32Array(recordWords * Math.max(1, blockRecords))
    this.fd = openSync(path, "r")
    this.refill()
  }

  /** Moves to the next record (done when there is none). */
  next(): void {
    this.at += this.recordWords
    if (this.at >= this.end) this.refill()
  }

  private refill(): void {
    const bytes = new Uint8Array(this.block.buffer)
    let got = 0
    for (;;) {
      const r = readSync(this.fd, bytes, got, bytes.length - got, this.position + got)
      if (r === 0) break
      got += r
      if (got === bytes.length) break
    }
    if (got % (4 * this.recordWords) !== 0) throw new Error(`${this.path} ends inside a record`)
    this.position += got
    this.at = 0
    this.end = got / 4
    this.done = got === 0
  }

  close(): void {
    closeSync(this.fd)
  }
}
