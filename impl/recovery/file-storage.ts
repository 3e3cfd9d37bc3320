/**
 * The recovery storage on files: a node's data directory holds
 *
 *   superblock.json              {epoch, generation, tail}: replaced durably (temporary file,
 *                                fsync, rename, directory fsync)
 *   extent-g<generation>.json    the entries at or below the tail (recycled from the WAL)
 *   wal/g<generation>-<start>.ndjson
 *                                WAL segments of SEGMENT entries each, appended with an fsync
 *                                per record; garbage collection deletes a segment once every
 *                                entry in it is at or below the tail
 *   snapshot.json                the last snapshot's entries
 *
 * Every multi-file change is ordered so that a crash at any point leaves the old state or the
 * new one when the directory is opened again: a base install writes the next generation's extent,
 * then the superblock naming it, then deletes the old generation's files (which opening also
 * deletes); a recycle writes the extent (a superset of what the old superblock reads), then the
 * superblock, then deletes segments; a truncation deletes segments from the last one down, then
 * rewrites the one that holds the target. A record torn by a crash mid-append is dropped on open.
 * `failpoints` lets the crash test stop the process between these writes.
 */
import { join } from "node:path"
import { Schema } from "effect"
import { fileOps, writeDurably } from "../rollback/file-transport.js"
import type { Durable, DurableImage } from "./storage.js"
import { WalEntry } from "./types.js"

/** Entries per WAL segment. */
export const SEGMENT = 2

/** Where the crash test may stop a process inside a multi-file change. */
export type StorageFailpoint =
  | "append:after-write"
  | "truncate:after-dropping-segments"
  | "install:after-extent"
  | "install:after-superblock"
  | "recycle:after-extent"
  | "recycle:after-superblock"
  | "snapshot:after-write"

let failpoint: (at: StorageFailpoint) => void = () => {}
/** Calls `at` at each failpoint until the returned function is called. */
export function failpoints(at: (point: StorageFailpoint) => void): () => void {
  const previous = failpoint
  failpoint = at
  return () => void (failpoint = previous)
}

const Superblock = Schema.Struct({ epoch: Schema.Int, generation: Schema.Int, tail: Schema.Int })
type Superblock = typeof Superblock.Type
const decodeEntries = Schema.decodeUnknownSync(Schema.Array(WalEntry))
const decodeEntry = Schema.decodeUnknownSync(WalEntry)
const decodeSuperblock = Schema.decodeUnknownSync(Superblock)

const pad = (n: number) => String(n).padStart(8, "0")
const segmentStart = (lsn: number) => Math.floor((lsn - 1) / SEGMENT) * SEGMENT + 1

function fsyncDir(dir: string): void {
  const ops = fileOps()
  const fd = ops.openSync(dir, "r")
  try {
    ops.fsyncSync(fd)
  } finally {
    ops.closeSync(fd)
  }
}

/** Opens (or creates) a node's data directory, finishing or undoing whatever a crash interrupted. */
export function fileDurable(dir: string): Durable {
  const ops = fileOps()
  const walDir = join(dir, "wal")
  ops.mkdirSync(walDir, { recursive: true })
  const superPath = join(dir, "superblock.json")
  let sb: Superblock = ops.existsSync(superPath) ? decodeSuperblock(JSON.parse(ops.readFileSync(superPath, "utf8"))) : { epoch: 0, generation: 0, tail: 0 }
  const extentPath = (g: number) => join(dir, `extent-g${g}.json`)
  const segmentPath = (g: number, start: number) => join(walDir, `g${g}-${pad(start)}.ndjson`)
  const segmentsOf = (g: number) =>
    ops
      .readdirSync(walDir)
      .filter((f) => f.startsWith(`g${g}-`) && f.endsWith(".ndjson"))
      .map((f) => Number(f.slice(`g${g}-`.length, -".ndjson".length)))
      .sort((a, b) => a - b)

  // Files of any other generation are what a base install left behind (or had not yet named);
  // a temporary file is a durable write that never reached its rename.
  for (const d of [dir, walDir]) for (const f of ops.readdirSync(d)) if (f.endsWith(".tmp")) ops.rmSync(join(d, f), { force: true })
  for (const f of ops.readdirSync(dir)) if (/^extent-g\d+\.json$/.test(f) && f !== `extent-g${sb.generation}.json`) ops.rmSync(join(dir, f), { force: true })
  for (const f of ops.readdirSync(walDir)) if (!f.startsWith(`g${sb.generation}-`)) ops.rmSync(join(walDir, f), { force: true })
  const extent = ops.existsSync(extentPath(sb.generation)) ? decodeEntries(JSON.parse(ops.readFileSync(extentPath(sb.generation), "utf8"))).slice(0, sb.tail) : []
  let entries: WalEntry[] = [...extent]
  for (const start of segmentsOf(sb.generation)) {
    const path = segmentPath(sb.generation, start)
    const lines = ops.readFileSync(path, "utf8").split("\n")
    const records: WalEntry[] = []
    let torn = false
    for (const line of lines) {
      if (line === "") continue
      try {
        records.push(decodeEntry(JSON.parse(line)))
      } catch {
        torn = true
        break
      }
    }
    if (torn) writeDurably(path, records.map((e) => JSON.stringify(e) + "\n").join(""))
    for (const e of records) if (e.lsn > sb.tail && e.lsn === entries.length + 1) entries.push(e)
  }
  const snapshotPath = join(dir, "snapshot.json")
  let snapshot: WalEntry[] = ops.existsSync(snapshotPath) ? [...decodeEntries(JSON.parse(ops.readFileSync(snapshotPath, "utf8")))] : []

  const writeSuperblock = (next: Superblock) => {
    writeDurably(superPath, JSON.stringify(next) + "\n")
    sb = next
  }
  const deleteSegments = (g: number, keep: (start: number) => boolean) => {
    const doomed = segmentsOf(g).filter((s) => !keep(s)).reverse()
    for (const start of doomed) ops.rmSync(segmentPath(g, start), { force: true })
    if (doomed.length > 0) fsyncDir(walDir)
  }
  return {
    image: (): DurableImage => ({ epoch: sb.epoch, entries, tail: sb.tail, snapshot: snapshot.length }),
    setEpoch: (epoch) => writeSuperblock({ ...sb, epoch }),
    append: (entry) => {
      const path = segmentPath(sb.generation, segmentStart(entry.lsn))
      const fresh = !ops.existsSync(path)
      const fd = ops.openSync(path, "a")
      try {
        ops.writeSync(fd, JSON.stringify(entry) + "\n")
        failpoint("append:after-write")
        ops.fsyncSync(fd)
      } finally {
        ops.closeSync(fd)
      }
      if (fresh) fsyncDir(walDir)
      entries = [...entries, entry]
    },
    truncate: (lsn) => {
      deleteSegments(sb.generation, (start) => start <= lsn)
      failpoint("truncate:after-dropping-segments")
      const start = segmentStart(lsn + 1)
      const path = segmentPath(sb.generation, start)
      if (start <= lsn && ops.existsSync(path)) {
        const kept = entries.slice(start - 1, lsn)
        writeDurably(path, kept.map((e) => JSON.stringify(e) + "\n").join(""))
      }
      entries = entries.slice(0, lsn)
    },
    installBase: (base) => {
      const next = sb.generation + 1
      writeDurably(extentPath(next), JSON.stringify(base) + "\n")
      failpoint("install:after-extent")
      const previous = sb.generation
      writeSuperblock({ epoch: sb.epoch, generation: next, tail: base.length })
      failpoint("install:after-superblock")
      ops.rmSync(extentPath(previous), { force: true })
      deleteSegments(previous, () => false)
      entries = [...base]
    },
    recycle: (upTo) => {
      writeDurably(extentPath(sb.generation), JSON.stringify(entries.slice(0, upTo)) + "\n")
      failpoint("recycle:after-extent")
      writeSuperblock({ ...sb, tail: upTo })
      failpoint("recycle:after-superblock")
      deleteSegments(sb.generation, (start) => start + SEGMENT - 1 > upTo)
    },
    writeSnapshot: (base) => {
      writeDurably(snapshotPath, JSON.stringify(base) + "\n")
      failpoint("snapshot:after-write")
      snapshot = [...base]
    },
    snapshotEntries: () => snapshot
  }
}
