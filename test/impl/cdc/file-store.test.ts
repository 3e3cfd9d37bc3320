/**
 * The consumer's file store (impl/cdc/file-store.ts): a round trip through its file, and a change
 * cut by a power loss or a process crash at every step of its durable write leaves the old state or
 * the new one (on the simulated disk of test/support/power-loss-fs.ts).
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { CheckpointStore, type StoreImage } from "../../../impl/cdc/consumer.js"
import { FileCheckpointStore, fileCheckpointStore, readStore, storeText } from "../../../impl/cdc/file-store.js"
import type { Checkpoint, Mutation } from "../../../impl/cdc/types.js"
import { useFileOps } from "../../../impl/rollback/file-transport.js"
import { PowerLossFs } from "../../support/power-loss-fs.js"

const vbuuid = 0xfedc_ba98_7654_3210n
const m = (seqno: number, key: string): Mutation => ({ seqno, key, value: `${key}@${seqno}`, vbuuid })
const cp = (seqno: number, snapStart = seqno, snapEnd = seqno): Checkpoint => ({ vbuuid, seqno, snapStart, snapEnd })
const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runSync(e)

describe("the cdc consumer's file store", () => {
  it("round-trips the checkpoint (a 64-bit vbuuid) and the sink, through the layer too", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "replcheck-cdc-store-")), "store")
    const store = fileCheckpointStore(dir)
    run(store.apply(m(1, "k1")))
    run(store.apply(m(3, "k2")))
    run(store.apply(m(2, "k1")))
    run(store.saveCheckpoint(cp(3, 2, 3)))
    const expected: StoreImage = { checkpoint: cp(3, 2, 3), sink: [m(1, "k1"), m(2, "k1"), m(3, "k2")] }
    expect(run(store.read)).toEqual(expected)
    expect(readStore(dir)).toEqual(expected)
    const reopened = run(Effect.provide(CheckpointStore, FileCheckpointStore(dir)))
    expect(run(reopened.read)).toEqual(expected)
    run(reopened.rollback(1, cp(1)))
    expect(readStore(dir)).toEqual({ checkpoint: cp(1), sink: [m(1, "k1")] })
  })

  it("a checkpoint replace cut at any step leaves the old state or the new one (power loss and process crash)", () => {
    const dir = "/data/consumer"
    const before: StoreImage = { checkpoint: cp(1), sink: [m(1, "k1"), m(2, "k2")] }
    const after: StoreImage = { checkpoint: cp(2, 2, 3), sink: before.sink }
    const outcomes = new Set<string>()
    for (let k = 1; ; k++) {
      const disk = new PowerLossFs()
      const restore = useFileOps(disk)
      let cut = false
      try {
        disk.mkdirSync(dir)
        const store = fileCheckpointStore(dir)
        run(store.apply(before.sink[0]!))
        run(store.apply(before.sink[1]!))
        run(store.saveCheckpoint(before.checkpoint))
        disk.cut(k)
        try {
          run(store.saveCheckpoint(after.checkpoint))
        } catch (e) {
          // Effect wraps the StoreFailed of a cut write; the disk says whether the power went.
          if (!disk.off) throw e
          cut = true
        }
        for (const [how, next] of [["power loss", disk.afterPowerLoss()], ["crash", disk.afterCrash()]] as const) {
          useFileOps(next)
          next.mkdirSync(dir)
          const found = readStore(dir)
          const which = storeText(found) === storeText(before) ? "old" : storeText(found) === storeText(after) ? "new" : "neither"
          expect(which, `${how} at operation ${k}`).not.toBe("neither")
          if (!cut) expect(which, `${how}, uncut`).toBe("new")
          outcomes.add(`${how}: ${which}`)
          // What a reopened store finds is what it keeps (a leftover temporary file is gone).
          expect(run(fileCheckpointStore(dir).read)).toEqual(found)
        }
      } finally {
        restore()
      }
      if (!cut) break
    }
    // The cut points cover both outcomes.
    expect(outcomes).toEqual(new Set(["power loss: old", "power loss: new", "crash: old", "crash: new"]))
  })
})
