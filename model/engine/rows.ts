/**
 * Append-only tables of fixed-width rows (int32 words), held in chunks of 2^shift rows rather
 * than in one typed array, so that no table stops at a typed-array limit: the level stores
 * (states, their metadata and locks) and the edge records grow by adding a chunk, without copying.
 *
 * Trade-off: row p lives in chunk p >>> shift at word (p & mask) * stride, two integer operations
 * and one more array load per row; these tables are touched once per new state, never per
 * successor. (The seen set and the level maps, probed per successor, are segmented hash tables:
 * seen-set.ts.)
 */
import { allocInt32 } from "./seen-set.js"

/** Rows per chunk, as a power of two: 2^16 rows of a few dozen words is a few MiB per chunk. */
export const DEFAULT_CHUNK_SHIFT = 16

/** The largest chunk, in bytes; a wide state shrinks the rows per chunk to stay under it. */
const MAX_CHUNK_BYTES = 1 << 28

/** The chunk shift for rows of `stride` words: `wanted`, lowered until a chunk fits MAX_CHUNK_BYTES. */
export function chunkShiftFor(stride: number, wanted: number): number {
  let shift = wanted
  while (shift > 0 && stride * 4 * 2 ** shift > MAX_CHUNK_BYTES) shift--
  return shift
}

export class Rows {
  readonly chunks: Int32Array[] = []
  readonly shift: number
  readonly mask: number
  /** Rows the chunks hold (a field, not a getter: it is read per appended row). */
  capacity = 0
  private readonly rowsPerChunk: number

  constructor(
    readonly stride: number,
    wantedShift: number,
    private readonly shared: boolean
  ) {
    this.shift = chunkShiftFor(Math.max(1, stride), wantedShift)
    this.rowsPerChunk = 2 ** this.shift
    this.mask = this.rowsPerChunk - 1
  }

  /** Makes room for rows 0 .. count - 1 (new chunks are zeroed). */
  reserve(count: number): void {
    while (this.capacity < count) {
      this.chunks.push(allocInt32(this.stride * this.rowsPerChunk, this.shared))
      this.capacity += this.rowsPerChunk
    }
  }

  /** The chunk that holds row p. */
  chunk(p: number): Int32Array {
    return this.chunks[p >>> this.shift]!
  }

  /** The word where row p starts within its chunk. */
  offset(p: number): number {
    return (p & this.mask) * this.stride
  }

  /** Bytes held. */
  get bytes(): number {
    return this.capacity * this.stride * 4
  }
}
