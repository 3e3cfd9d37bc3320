/**
 * The cdc consumer's real crash test (test/impl/cdc/crash.test.ts) runs one seeded cluster run
 * (cluster.ts) with the consumer's store on files, in a child process that SIGKILLs itself after a
 * step or inside a store write (crash-child.ts). The producer lives in the child's memory too, but
 * a run of k steps is the first k steps of a longer one: the test replays the run to the step it
 * was killed at to get the producer back, restarts the consumer from what the killed process left
 * on disk, and `catchUp` lets the cluster settle and the consumer stream until it has everything.
 * `sinkProblems` then says what the sink holds that the surviving history does not, and what it
 * lacks.
 */
import { Effect } from "effect"
import type { CdcRunOptions } from "./cluster.js"
import { CdcConsumer, type StoreImage } from "./consumer.js"
import { changeStream, type VBucketCluster } from "./producer.js"

/**
 * The run the crash test kills at every step. Seed 144 of these bounds was picked (by scanning seeds)
 * for what it reaches: a failover, a rollback answer that truncates a sink holding mutations, a
 * consumer restart that truncates the sink to its checkpoint, and checkpoints and applies on both
 * sides of the failover. The test asserts that it still does.
 */
export const CRASH_RUN: Omit<CdcRunOptions, "open" | "after"> = { replicas: 1, maxSeqno: 3, keys: 2, maxFailovers: 2, seed: 144, steps: 60 }

const run = <A, E>(e: Effect.Effect<A, E>): A => Effect.runSync(e)

/** At most this many moves settle the cluster or catch the consumer up; more is a livelock, reported. */
const PATIENCE = 1_000

/**
 * What a restarted cluster and consumer do next: every copy down restarts (the active, back from an
 * unclean shutdown, on a new branch), replicas catch up with the active and every copy persists
 * everything, so the mitigation lets it all out; the consumer (the one started from the store)
 * streams, rolling back when told, until it has applied the active's last seqno, and checkpoints.
 * Throws if either does not get there.
 */
export function catchUp(cluster: VBucketCluster, consumer: CdcConsumer): void {
  const n = cluster.copies.length
  for (let c = 1; c <= n; c++) if (cluster.copy(c).role === "Down") cluster.restart(c)
  const active = cluster.copy(cluster.active)
  for (let c = 1; c <= n; c++) {
    if (c === cluster.active) continue
    if (!cluster.streaming(c)) cluster.replicaHandshake(c)
    for (let moves = 0; cluster.copy(c).high < active.high; moves++) {
      if (moves > PATIENCE) throw new Error(`replica ${c} does not catch up`)
      const x = cluster.copy(c)
      if (x.high < x.snapshot.end) cluster.replicaReceive(c)
      else cluster.replicaMarker(c, Math.max(...cluster.replicaMarkerEnds(c)))
    }
  }
  for (let c = 1; c <= n; c++) if (cluster.copy(c).persisted < cluster.copy(c).high) cluster.persist(c)

  for (let moves = 0; ; moves++) {
    if (moves > PATIENCE) throw new Error("the consumer does not catch up")
    run(consumer.observe())
    const stream = run(consumer.stream)
    if (stream === null) run(consumer.open())
    else if (consumer.received !== null) run(consumer.apply())
    else if (run(consumer.canReceive())) run(consumer.receive())
    else if (stream.position < active.high && stream.position === stream.snapEnd) run(consumer.marker(Math.max(...cluster.markerEnds(stream.id))))
    else if (stream.position === active.high && stream.position === stream.snapEnd) break
    else throw new Error(`the consumer is stuck at seqno ${stream.position} of ${active.high}`)
  }
  run(consumer.saveCheckpoint())
}

/** Starts the consumer again from a store image's service, over the replayed cluster. */
export const restartConsumer = (cluster: VBucketCluster, store: Parameters<typeof CdcConsumer.start>[1], rules: Parameters<typeof CdcConsumer.start>[2]): CdcConsumer =>
  run(CdcConsumer.start(changeStream(cluster), store, rules))

/**
 * What is wrong with a sink against the active's storage (the surviving history): a mutation the
 * active does not hold at its seqno (a phantom), and a key whose latest mutation there is missing.
 */
export function sinkProblems(cluster: VBucketCluster, image: StoreImage): string[] {
  const active = cluster.copy(cluster.active)
  const problems: string[] = []
  for (const m of image.sink) {
    const there = active.stored[m.seqno - 1] ?? null
    if (there === null || there.value !== m.value || there.vbuuid !== m.vbuuid) problems.push(`phantom ${m.value} at seqno ${m.seqno}`)
  }
  const latest = new Map<string, number>()
  for (let k = 1; k <= active.high; k++) {
    const m = active.stored[k - 1]
    if (m) latest.set(m.key, k)
  }
  for (const [key, k] of latest) {
    const want = active.stored[k - 1]!
    if (!image.sink.some((m) => m.seqno === k && m.value === want.value)) problems.push(`missed ${want.value} at seqno ${k} (the latest of ${key})`)
  }
  return problems
}
