/**
 * The reference cdc consumer through its Effect services (ChangeStream over a cluster, the
 * in-memory CheckpointStore): a scripted failover to a replica that persisted only part of a
 * snapshot, where the producer answers the consumer's request with a rollback and the sink and the
 * checkpoint go back together to a point the sink is consistent at.
 */
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { CheckpointStore, makeConsumer, MemoryCheckpointStore } from "../../../impl/cdc/consumer.js"
import { ChangeStreamLive, VBucketCluster } from "../../../impl/cdc/producer.js"
import { prng } from "../../../model/trace/prng.js"

describe("the reference cdc consumer", () => {
  it("rolls its sink and checkpoint back together when a failover's branch starts below its snapshot", () => {
    const cluster = new VBucketCluster({ copies: 2, logCapacity: 3, random: prng(7) })
    const first = cluster.branchOf(1)
    cluster.write("k1")
    cluster.write("k2")
    cluster.persist(1)
    // The replica takes a snapshot [1, 2], receives seqno 1 only, and persists it: a partial snapshot.
    cluster.replicaMarker(2, 2)
    expect(cluster.replicaReceive(2)).toBe(1)
    cluster.persist(2)

    const layer = Layer.merge(ChangeStreamLive(cluster), MemoryCheckpointStore)
    const program = Effect.gen(function* () {
      const consumer = yield* makeConsumer()
      const store = yield* CheckpointStore
      // The mitigation holds everything until it has observed every copy's persisted seqno.
      expect(yield* consumer.observe()).toBe(true)
      expect(consumer.persistView).toBe(1)
      expect((yield* consumer.open())._tag).toBe("Streaming")
      yield* consumer.marker(2)
      expect(yield* consumer.receive()).toBe("received")
      // Seqno 2 is persisted on the active only: held back.
      const applied = yield* consumer.apply()
      expect(applied).toMatchObject({ seqno: 1, key: "k1", vbuuid: first })
      expect(yield* consumer.canReceive()).toBe(false)
      yield* consumer.saveCheckpoint()
      expect((yield* store.read).checkpoint).toEqual({ vbuuid: first, seqno: 1, snapStart: 0, snapEnd: 2 })

      // The active crashes; the replica is promoted and branches at its last consistent point, 0.
      cluster.crash(1)
      expect(yield* consumer.stream).toBeNull()
      cluster.failover(2)
      const second = cluster.branchOf(2)
      expect(second).not.toBe(first)
      expect(cluster.copy(2).failoverLog).toEqual([
        { vbuuid: second, seqno: 0 },
        { vbuuid: first, seqno: 0 }
      ])
      // Its request (first branch, seqno 1 inside [0, 2]) crosses the branch point: roll back to 0.
      expect(yield* consumer.open()).toEqual({ _tag: "RolledBack", seqno: 0, to: 0 })
      expect(yield* store.read).toEqual({ checkpoint: { vbuuid: second, seqno: 0, snapStart: 0, snapEnd: 0 }, sink: [] })
      expect((yield* consumer.open())._tag).toBe("Streaming")
    })
    Effect.runSync(Effect.provide(program, layer))
  })
})
