/**
 * The reference cdc consumer run live (impl/cdc/live.ts) under the test clock: the mitigation is a
 * fiber that observes every copy on its schedule, and nothing reaches the sink before it has seen
 * that every copy persisted it; a mutation only the active holds never reaches the sink, and after
 * the active fails over to the replica (which never had it) the stream reopens on the new branch
 * with no rollback to make and goes on; the checkpointer saves the offset on its own schedule.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { baseConsumerRules, CdcConsumer, memoryCheckpointStore } from "../../../impl/cdc/consumer.js"
import { runLive, streamLoop } from "../../../impl/cdc/live.js"
import { changeStream, VBucketCluster } from "../../../impl/cdc/producer.js"
import { prng } from "../../../model/trace/prng.js"

const options = { observeEvery: "1 second", checkpointEvery: "5 seconds", idle: "100 millis" } as const

/** A replica takes everything the active has, in one snapshot. */
function replicate(cluster: VBucketCluster, r: number) {
  const ends = cluster.replicaMarkerEnds(r)
  cluster.replicaMarker(r, ends[ends.length - 1]!)
  while (cluster.copy(r).high < cluster.copy(r).snapshot.end) cluster.replicaReceive(r)
}

describe("the reference cdc consumer, live", () => {
  it.scoped("delivers only what the mitigation fiber has seen persisted on every copy, and checkpoints on its schedule", () =>
    Effect.gen(function* () {
      const cluster = new VBucketCluster({ copies: 2, logCapacity: 4, random: prng(3) })
      const source = changeStream(cluster)
      const store = memoryCheckpointStore()
      const consumer = yield* CdcConsumer.start(source, store, baseConsumerRules)
      const sink = () => Effect.map(store.read, (image) => image.sink.map((m) => m.value))
      cluster.write("k1")
      cluster.write("k2")
      replicate(cluster, 2)
      cluster.persist(1)

      yield* runLive(consumer, source, options)
      yield* TestClock.adjust("3 seconds")
      // Observed three times: the replica has persisted nothing, so nothing went out.
      expect(yield* sink()).toEqual([])
      expect(consumer.persistView).toBe(0)

      cluster.persist(2)
      // The next observation is at 3 s; until then the loop still holds.
      expect(yield* sink()).toEqual([])
      yield* TestClock.adjust("1 second")
      expect(consumer.persistView).toBe(2)
      // The stream loop sees it on its next round, at most one idle sleep later.
      yield* TestClock.adjust("100 millis")
      expect(yield* sink()).toEqual(["k1@1", "k2@2"])
      // Not yet checkpointed (it is 4.1 s): the checkpointer's second round is at 5 s.
      expect((yield* store.read).checkpoint.seqno).toBe(0)
      yield* TestClock.adjust("1 second")
      // The stream's first snapshot starts at the request's snapshot start (0, from nothing).
      expect((yield* store.read).checkpoint).toEqual({ vbuuid: cluster.branchOf(1), seqno: 2, snapStart: 0, snapEnd: 2 })

      // k3 is written and persisted on the active only, then the active crashes and the replica,
      // which never had it, takes over on a new branch.
      cluster.write("k3")
      cluster.persist(1)
      yield* TestClock.adjust("10 seconds")
      expect(yield* sink()).toEqual(["k1@1", "k2@2"])
      cluster.crash(1)
      cluster.failover(2)
      cluster.restart(1)
      yield* TestClock.adjust("10 seconds")
      // The old active is back as a replica on the old branch: the mitigation waits for it.
      cluster.replicaHandshake(1)
      cluster.write("k1")
      replicate(cluster, 1)
      yield* TestClock.adjust("10 seconds")
      expect(yield* sink()).toEqual(["k1@1", "k2@2"])
      cluster.persist(2)
      cluster.persist(1)
      yield* TestClock.adjust("10 seconds")
      // k3 never reached the sink; the new branch's k1 did, and the checkpoint is on the new branch.
      expect(yield* sink()).toEqual(["k1@1", "k2@2", "k1@4"])
      expect((yield* store.read).checkpoint).toMatchObject({ vbuuid: cluster.branchOf(2), seqno: 3 })
    })
  )

  it.scoped("with the mitigation off, the same stream loop lets the active's unreplicated mutation out", () =>
    Effect.gen(function* () {
      const cluster = new VBucketCluster({ copies: 2, logCapacity: 4, random: prng(3) })
      const source = changeStream(cluster)
      const store = memoryCheckpointStore()
      const consumer = yield* CdcConsumer.start(source, store, { ...baseConsumerRules, mitigation: "off" })
      cluster.write("k1")
      const loop = yield* Effect.fork(streamLoop(consumer, source, options.idle))
      yield* TestClock.adjust("1 second")
      expect((yield* store.read).sink.map((m) => m.value)).toEqual(["k1@1"])
      yield* Fiber.interrupt(loop)
    })
  )
})
