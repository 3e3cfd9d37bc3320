/**
 * RecoveryStorage's rules (pins against garbage collection, snapshots, a crash forgets pins and
 * trust) on both durable layers, and the file layer against the memory layer: after any sequence
 * of operations, and after reopening the directory, both hold the same history.
 */
import { mkdtempSync, writeFileSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fc, test } from "@fast-check/vitest"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { fileDurable, SEGMENT } from "../../../impl/recovery/file-storage.js"
import { memoryDurable, recoveryStorage, type Durable } from "../../../impl/recovery/storage.js"
import type { WalEntry } from "../../../impl/recovery/types.js"

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runSync(e)
const fail = <A, E>(e: Effect.Effect<A, E>) => Effect.runSync(Effect.flip(e))
const entry = (lsn: number, epoch = 1): WalEntry => ({ lsn, epoch, data: `e${epoch}l${lsn}` })
const fresh = () => mkdtempSync(join(tmpdir(), "replcheck-recovery-storage-"))
const layers: Array<[string, () => Durable]> = [
  ["memory", memoryDurable],
  ["files", () => fileDurable(fresh())]
]

describe.each(layers)("RecoveryStorage rules (%s)", (_, make) => {
  const withEntries = (n: number) => {
    const durable = make()
    const storage = recoveryStorage(durable)
    for (let k = 1; k <= n; k++) run(storage.append(entry(k)))
    return { durable, storage }
  }

  it("garbage collection stops at the lowest WAL or snapshot pin and at what replication needs, never at a full-base pin", () => {
    const { storage } = withEntries(5)
    const wal = run(storage.pinWal(2))
    run(storage.pinFullBase(1))
    expect(run(storage.collect(5, 4))).toBe(2)
    run(storage.release(wal))
    expect(run(storage.collect(5, 4))).toBe(4)
    run(storage.takeSnapshot(4))
    run(storage.pinSnapshot(4))
    expect(run(storage.collect(5, 5))).toBe(4)
  })

  it("a WAL pin whose start is recycled is refused, and so is a snapshot pin of another LSN", () => {
    const { storage } = withEntries(4)
    run(storage.collect(3, 4))
    expect(fail(storage.pinWal(2))).toMatchObject({ _tag: "PinRefused", kind: "wal", lsn: 2 })
    expect(run(storage.pinWal(3)).lsn).toBe(3)
    expect(fail(storage.pinSnapshot(2))).toMatchObject({ _tag: "PinRefused", kind: "snapshot" })
  })

  it("a pinned snapshot is not replaced; a read of a recycled entry and a truncation below the tail are refused", () => {
    const { storage } = withEntries(4)
    run(storage.takeSnapshot(2))
    run(storage.pinSnapshot(2))
    expect(fail(storage.takeSnapshot(4))).toMatchObject({ _tag: "SnapshotPinned", lsn: 2 })
    run(storage.collect(2, 4))
    expect(fail(storage.read(1, 2))).toMatchObject({ _tag: "EntryRecycled", lsn: 2, tail: 2 })
    expect(run(storage.read(2, 4)).map((e) => e.lsn)).toEqual([3, 4])
    expect(fail(storage.truncate(1))).toMatchObject({ _tag: "TruncationUnsafe", target: 1, tail: 2 })
  })

  it("the boundary entry's epoch is still known; recycled ones are not", () => {
    const { storage } = withEntries(3)
    run(storage.collect(2, 3))
    const h = run(storage.history(3))
    expect([1, 2, 3].map(h.epochAt)).toEqual([null, 1, 1])
  })

  it("refuseNextPin refuses exactly one pin", () => {
    const { storage } = withEntries(2)
    run(storage.refuseNextPin)
    expect(fail(storage.pinFullBase(2))).toMatchObject({ _tag: "PinRefused", reason: "the storage refused the pin" })
    expect(run(storage.pinFullBase(2)).kind).toBe("fullBase")
  })

  it("a crash (a new service over the same durable storage) forgets every pin and the snapshot's trust", () => {
    const { durable, storage } = withEntries(3)
    run(storage.takeSnapshot(3))
    run(storage.pinWal(1))
    expect(run(storage.image).snapshot).toBe(3)
    const restarted = recoveryStorage(durable)
    expect(run(restarted.pins)).toEqual([])
    expect(run(restarted.image).snapshot).toBe(0)
    expect(run(restarted.collect(3, 3))).toBe(3)
  })
})

type Op = { op: "append"; epoch: number } | { op: "truncate"; to: number } | { op: "install"; length: number; epoch: number } | { op: "recycle"; upTo: number } | { op: "epoch"; epoch: number } | { op: "snapshot"; at: number }

const ops: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant("append" as const), epoch: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ op: fc.constant("truncate" as const), to: fc.nat(8) }),
    fc.record({ op: fc.constant("install" as const), length: fc.nat(6), epoch: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ op: fc.constant("recycle" as const), upTo: fc.nat(8) }),
    fc.record({ op: fc.constant("epoch" as const), epoch: fc.nat(5) }),
    fc.record({ op: fc.constant("snapshot" as const), at: fc.nat(8) })
  ),
  { maxLength: 25 }
)

/** Applies an operation the way the service would allow it (truncation and recycling within range). */
function apply(d: Durable, o: Op): void {
  const { entries, tail } = d.image()
  if (o.op === "append") d.append(entry(entries.length + 1, o.epoch))
  else if (o.op === "truncate" && o.to >= tail && o.to <= entries.length) d.truncate(o.to)
  else if (o.op === "install") d.installBase(Array.from({ length: o.length }, (_, k) => entry(k + 1, o.epoch)))
  else if (o.op === "recycle" && o.upTo > tail && o.upTo <= entries.length) d.recycle(o.upTo)
  else if (o.op === "epoch") d.setEpoch(o.epoch)
  else if (o.op === "snapshot" && o.at <= entries.length) d.writeSnapshot(entries.slice(0, o.at))
}

describe("the file layer", () => {
  test.prop([ops], { numRuns: 60 })("holds what the memory layer holds, also when reopened after every operation", (sequence) => {
    const dir = fresh()
    const memory = memoryDurable()
    let files = fileDurable(dir)
    for (const o of sequence) {
      apply(memory, o)
      apply(files, o)
      expect(files.image()).toEqual(memory.image())
      files = fileDurable(dir)
      expect(files.image()).toEqual(memory.image())
      expect(files.snapshotEntries()).toEqual(memory.snapshotEntries())
    }
  })

  it(`keeps WAL segments of ${SEGMENT} entries and deletes a segment once all of it is recycled`, () => {
    const dir = fresh()
    const d = fileDurable(dir)
    for (let k = 1; k <= 5; k++) d.append(entry(k))
    expect(readdirSync(join(dir, "wal")).sort()).toEqual(["g0-00000001.ndjson", "g0-00000003.ndjson", "g0-00000005.ndjson"])
    d.recycle(3)
    expect(readdirSync(join(dir, "wal")).sort()).toEqual(["g0-00000003.ndjson", "g0-00000005.ndjson"])
    d.recycle(4)
    expect(readdirSync(join(dir, "wal")).sort()).toEqual(["g0-00000005.ndjson"])
    expect(fileDurable(dir).image().entries.map((e) => e.lsn)).toEqual([1, 2, 3, 4, 5])
  })

  it("drops a record torn by a crash mid-append, and a temporary file no rename reached", () => {
    const dir = fresh()
    const d = fileDurable(dir)
    for (let k = 1; k <= 3; k++) d.append(entry(k))
    writeFileSync(join(dir, "wal", "g0-00000003.ndjson"), JSON.stringify(entry(3)) + '\n{"lsn":4,"epo')
    writeFileSync(join(dir, "superblock.json.tmp"), "{")
    const reopened = fileDurable(dir)
    expect(reopened.image().entries.map((e) => e.lsn)).toEqual([1, 2, 3])
    expect(readdirSync(dir)).not.toContain("superblock.json.tmp")
    reopened.append(entry(4))
    expect(fileDurable(dir).image().entries.map((e) => e.lsn)).toEqual([1, 2, 3, 4])
  })
})
