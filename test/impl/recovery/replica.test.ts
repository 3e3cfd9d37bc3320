/**
 * The replica's side of the driver's messages: fencing on the epoch it has accepted (every
 * message from an older primary is refused, and a node that is not a replica refuses all), the
 * handshake's report, and appends only at the next LSN. The cluster's scheduler never sends a
 * fenced message, so these paths are tested here.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { replicaLink } from "../../../impl/recovery/replica.js"
import { memoryDurable, recoveryStorage } from "../../../impl/recovery/storage.js"

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runSync(e)
const fail = <A, E>(e: Effect.Effect<A, E>) => Effect.runSync(Effect.flip(e))
const entry = (lsn: number, epoch: number) => ({ lsn, epoch, data: `e${epoch}l${lsn}` })

function replica(epoch: number, epochs: readonly number[]) {
  const storage = recoveryStorage(memoryDurable())
  run(storage.setEpoch(epoch))
  epochs.forEach((e, k) => run(storage.append(entry(k + 1, e))))
  let isReplica = true
  return { storage, link: replicaLink(() => storage, () => isReplica), demote: () => void (isReplica = false) }
}

describe("replica link", () => {
  it("a handshake adopts the primary's epoch and reports the flushed LSN and the entry's epoch at min(flushed, committed)", () => {
    const r = replica(1, [1, 1, 2])
    expect(run(r.link.handshake(3, 2))).toEqual({ flushed: 3, epochAtCheck: 1 })
    expect(run(r.storage.image).epoch).toBe(3)
    expect(run(r.link.handshake(3, 5))).toEqual({ flushed: 3, epochAtCheck: 2 })
    expect(run(replica(1, []).link.handshake(1, 4))).toEqual({ flushed: 0, epochAtCheck: 0 })
  })

  it("refuses every message from a primary older than the epoch it accepted, and changes nothing", () => {
    const r = replica(3, [1, 2])
    const before = run(r.storage.image)
    const messages: Array<Effect.Effect<unknown, { readonly _tag: string }>> = [r.link.handshake(2, 1), r.link.append(2, entry(3, 2)), r.link.truncate(2, 1), r.link.installBase(2, [entry(1, 2)])]
    for (const e of messages) {
      expect(fail(e)).toMatchObject({ _tag: "Fenced", epoch: 2, replicaEpoch: 3 })
    }
    expect(run(r.storage.image)).toEqual(before)
  })

  it("a node that is not a replica refuses even its own epoch", () => {
    const r = replica(2, [1])
    r.demote()
    expect(fail(r.link.handshake(2, 1))).toMatchObject({ _tag: "Fenced" })
  })

  it("takes an entry only at its next LSN; a base adopts the epoch and moves the WAL's start", () => {
    const r = replica(1, [1])
    expect(fail(r.link.append(1, entry(3, 1)))).toMatchObject({ _tag: "NotNextEntry", lsn: 3, flushed: 1 })
    run(r.link.append(1, entry(2, 1)))
    run(r.link.installBase(2, [entry(1, 1), entry(2, 2), entry(3, 2)]))
    const image = run(r.storage.image)
    expect([image.epoch, image.tail, image.entries.map((e) => e.epoch)]).toEqual([2, 3, [1, 2, 2]])
    expect(fail(r.link.truncate(2, 1))).toMatchObject({ _tag: "TruncationUnsafe", target: 1, tail: 3 })
  })
})
