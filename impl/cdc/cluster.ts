/**
 * A seeded cdc cluster: one vBucket's copies (producer.ts) and the reference change-stream
 * consumer (consumer.ts) over its checkpoint store (in memory, or on files), with writes,
 * replication, persistence, crashes, restarts, failovers, lost connections and consumer restarts.
 * The same seed gives the same run. Every step is one event of the cdc model, observing the whole
 * state in the model's readable form (vbuuids as the model's branch numbers, in the order branches
 * are created; keys "kN" as N), so that each run can be validated against the model.
 *
 * The scheduler is the environment: it picks one enabled move at each step (a kind of move, then
 * its arguments), with faults (crashes, lost connections, consumer restarts) now and then, and
 * stays within the model's bounds (writes stop at maxSeqno; at most maxFailovers new branches).
 * It also plays kv_engine's checkpoint manager: it chooses where each snapshot ends. `bugs`
 * plants the deliberate defects, each named after the model variant that states it.
 */
import { Effect } from "effect"
import { TRACE_FORMAT, TRACE_VERSION, type TraceEvent, type TraceHeader } from "../../model/trace/events.js"
import { prng } from "../../model/trace/prng.js"
import { CdcConsumer, CONSUMER_BUGS, consumerRules, memoryCheckpointStore, type CheckpointStoreService } from "./consumer.js"
import { changeStream, PRODUCER_BUGS, type ProducerBug, VBucketCluster } from "./producer.js"
import type { Checkpoint, Vbuuid } from "./types.js"

/** One planted bug per model variant, named after it: the consumer's rules, the producer's decision, or kv_engine's branch point. */
export const CDC_BUGS = [
  ...(Object.keys(CONSUMER_BUGS) as Array<keyof typeof CONSUMER_BUGS>),
  ...(Object.keys(PRODUCER_BUGS) as Array<keyof typeof PRODUCER_BUGS>),
  "branch-at-snapshot-start"
] as const
export type CdcBug = (typeof CDC_BUGS)[number]

/** How often a step is a fault (a crash, a lost connection, a consumer restart) when one is possible. */
const FAULT_RATE = 0.2
/** How likely a kind of move is picked against the others (1 unless named): crashes, failovers and persistence, which make branches and rollbacks, over the consumer's restarts (which reset its mitigation). */
const WEIGHT: Readonly<Record<string, number>> = { Crash: 3, Failover: 2, Persist: 2, Observe: 2, ConsumerRestart: 0.5 }

export interface CdcRunOptions {
  readonly replicas: number
  readonly maxSeqno: number
  readonly keys: number
  readonly maxFailovers: number
  readonly seed: number
  readonly steps: number
  readonly bugs?: readonly CdcBug[]
  /** Opens the consumer's checkpoint store (again after a consumer restart); default: one in memory. */
  readonly open?: () => CheckpointStoreService
  /** Called after each step k (1-based), once its event is written. */
  readonly after?: (step: number) => void
}

export interface CdcRun {
  readonly lines: string[]
  /** Stream requests answered with a rollback. */
  readonly rollbacks: number
  /** The cluster and the consumer as the last step left them (a run of k steps is the first k steps of a longer one). */
  readonly cluster: VBucketCluster
  readonly consumer: CdcConsumer
}

const run = <A, E>(e: Effect.Effect<A, E>): A => Effect.runSync(e)

export function runCdcCluster(options: CdcRunOptions): CdcRun {
  const random = prng(options.seed)
  const bugs = new Set<string>(options.bugs ?? [])
  const rules = consumerRules(bugs)
  const atSnapshotStart = bugs.has("branch-at-snapshot-start")
  const n = options.replicas + 1
  const ids = Array.from({ length: n }, (_, k) => k + 1)
  const maxBranch = options.maxFailovers + 1
  const branchNumber = new Map<Vbuuid, number>()
  const producerBug = (Object.keys(PRODUCER_BUGS) as ProducerBug[]).find((b) => bugs.has(b))
  const cluster = new VBucketCluster({
    copies: n,
    logCapacity: maxBranch,
    random,
    onNewBranch: (v) => branchNumber.set(v, branchNumber.size + 1),
    ...(producerBug ? { decide: PRODUCER_BUGS[producerBug] } : {})
  })
  const source = changeStream(cluster)
  const memory = memoryCheckpointStore()
  const open = options.open ?? (() => memory)
  let consumer = run(CdcConsumer.start(source, open(), rules))
  let rollbacks = 0

  const header: TraceHeader = {
    kind: "header",
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    protocol: "cdc",
    config: { replicas: options.replicas, maxSeqno: options.maxSeqno, keys: options.keys, maxFailovers: options.maxFailovers },
    nodes: ids
  }
  const lines = [JSON.stringify(header)]
  let seq = 0

  const branch = (v: Vbuuid) => (v === 0n ? 0 : (branchNumber.get(v) ?? -1))
  const keyNumber = (key: string) => Number(key.slice(1))
  const point = (c: Checkpoint) => ({ uuid: branch(c.vbuuid), seqno: c.seqno, snapStart: c.snapStart, snapEnd: c.snapEnd })
  const seqnos = Array.from({ length: options.maxSeqno }, (_, k) => k + 1)
  /** The whole state, in the model's readable form. */
  const observe = () => {
    const stream = run(consumer.stream)
    const r = consumer.received
    const image = run(consumer.store.read)
    const sink = new Map(image.sink.map((m) => [m.seqno, m]))
    return {
      role: cluster.copies.map((x) => x.role),
      stored: cluster.copies.map((x) =>
        seqnos.map((k) => {
          const m = x.stored[k - 1] ?? null
          return m === null ? { key: 0, branch: 0 } : { key: keyNumber(m.key), branch: branch(m.vbuuid) }
        })
      ),
      high: cluster.copies.map((x) => x.high),
      persisted: cluster.copies.map((x) => x.persisted),
      snapshot: cluster.copies.map((x) => ({ ...x.snapshot })),
      persistedSnapshot: cluster.copies.map((x) => ({ ...x.persistedSnapshot })),
      ends: cluster.copies.map((x) => [...x.ends].reduce((mask, k) => mask | (1 << (k - 1)), 0)),
      failoverLog: cluster.copies.map((x) => x.failoverLog.map((e) => ({ uuid: branch(e.vbuuid), seqno: e.seqno }))),
      failedOver: cluster.copies.map((x) => x.failedOver),
      active: cluster.active,
      branches: cluster.branches,
      stream:
        stream === null
          ? { state: "Closed", source: 0, uuid: 0, position: 0, snapStart: 0, snapEnd: 0, first: false }
          : { state: "Open", source: stream.source, uuid: branch(stream.vbuuid), position: stream.position, snapStart: stream.snapStart, snapEnd: stream.snapEnd, first: stream.first },
      received:
        r === null
          ? { seqno: 0, key: 0, branch: 0, uuid: 0, snapStart: 0, snapEnd: 0 }
          : { seqno: r.mutation.seqno, key: keyNumber(r.mutation.key), branch: branch(r.mutation.vbuuid), uuid: branch(r.vbuuid), snapStart: r.snapStart, snapEnd: r.snapEnd },
      offset: point(consumer.offset),
      checkpoint: point(image.checkpoint),
      consistent: consumer.consistent,
      catchup: consumer.catchup,
      persistView: consumer.persistView,
      persistViewBranch: branch(consumer.persistViewBranch),
      sink: seqnos.map((k) => {
        const m = sink.get(k)
        return m === undefined ? { key: 0, branch: 0 } : { key: keyNumber(m.key), branch: branch(m.vbuuid) }
      })
    }
  }
  const emit = (action: string, args: Record<string, number>) => {
    const event: TraceEvent = { kind: "event", seq: ++seq, node: null, action, args, observed: observe() }
    lines.push(JSON.stringify(event))
  }

  interface Move {
    readonly kind: string
    readonly go: () => void
  }
  /** Every move the cluster can make now: the protocol's own, and faults. */
  const moves = (): { readonly out: Move[]; readonly faulty: Move[] } => {
    const out: Move[] = []
    const faulty: Move[] = []
    const add = (kind: string, args: Record<string, number>, act: () => void, fault = false) => (fault ? faulty : out).push({ kind, go: () => (act(), emit(kind, args)) })
    const active = cluster.copy(cluster.active)
    if (cluster.activeUp() && active.high < options.maxSeqno) for (let key = 1; key <= options.keys; key++) add("Write", { key }, () => cluster.write(`k${key}`))
    for (const c of ids) {
      const x = cluster.copy(c)
      if (x.role === "Replica" && cluster.activeUp() && cluster.branchOf(c) !== cluster.branchOf(cluster.active)) add("ReplicaHandshake", { r: c }, () => cluster.replicaHandshake(c))
      for (const end of cluster.replicaMarkerEnds(c)) add("ReplicaMarker", { r: c, end }, () => cluster.replicaMarker(c, end))
      if (cluster.streaming(c) && x.high < x.snapshot.end) add("ReplicaReceive", { r: c }, () => cluster.replicaReceive(c))
      if (x.role !== "Down" && x.persisted < x.high) add("Persist", { c }, () => cluster.persist(c))
      // The model's branch budget spent, a crashed active could never come back (its restart and a
      // failover would each start a branch): the scheduler crashes it only while branches are left.
      if (x.role !== "Down" && (c !== cluster.active || cluster.branches < maxBranch)) add("Crash", { c }, () => cluster.crash(c), true)
      if (x.role === "Down" && (cluster.active !== c || cluster.branches < maxBranch)) add("Restart", { c }, () => cluster.restart(c, atSnapshotStart))
      if (!cluster.activeUp() && x.role === "Replica" && cluster.branches < maxBranch) add("Failover", { n: c }, () => cluster.failover(c, atSnapshotStart))
    }
    const stream = run(consumer.stream)
    if (stream === null && cluster.activeUp())
      add("OpenStream", {}, () => {
        if (run(consumer.open())._tag === "RolledBack") rollbacks++
      })
    if (stream !== null && stream.position === stream.snapEnd && consumer.mayDeliver(stream, stream.position + 1))
      for (const end of cluster.markerEnds(stream.id)) add("SnapshotMarker", { end }, () => run(consumer.marker(end)))
    if (run(consumer.canReceive())) add("Receive", {}, () => run(consumer.receive()))
    if (consumer.received !== null) add("Apply", {}, () => run(consumer.apply()))
    if (run(consumer.dirty())) add("SaveCheckpoint", {}, () => run(consumer.saveCheckpoint()))
    if (run(consumer.observation()) !== null) add("Observe", {}, () => run(consumer.observe()))
    if (stream !== null) add("ConnectionLost", {}, () => run(consumer.connectionLost()), true)
    add(
      "ConsumerRestart",
      {},
      () => {
        // The process dies: its connection closes and its memory is gone; the store is opened again.
        run(consumer.connectionLost())
        consumer = run(CdcConsumer.start(source, open(), rules))
      },
      true
    )
    return { out, faulty }
  }

  /** A kind of move, then one of its moves (so that moves with many arguments do not crowd out the rest). */
  const pick = (pool: readonly Move[]): Move => {
    const kinds = [...new Set(pool.map((m) => m.kind))]
    const total = kinds.reduce((sum, k) => sum + (WEIGHT[k] ?? 1), 0)
    let at = random() * total
    const kind = kinds.find((k) => (at -= WEIGHT[k] ?? 1) < 0) ?? kinds[kinds.length - 1]!
    const of = pool.filter((m) => m.kind === kind)
    return of[Math.floor(random() * of.length)]!
  }

  for (let step = 0; step < options.steps; step++) {
    const { out, faulty } = moves()
    const pool = out.length === 0 || (faulty.length > 0 && random() < FAULT_RATE) ? faulty : out
    pick(pool).go()
    options.after?.(step + 1)
  }
  return { lines, rollbacks, cluster, consumer }
}

export const CDC_ACTIONS = [
  "Write",
  "ReplicaHandshake",
  "ReplicaMarker",
  "ReplicaReceive",
  "Persist",
  "Crash",
  "Restart",
  "Failover",
  "OpenStream",
  "SnapshotMarker",
  "Receive",
  "Apply",
  "SaveCheckpoint",
  "Observe",
  "ConnectionLost",
  "ConsumerRestart"
] as const
