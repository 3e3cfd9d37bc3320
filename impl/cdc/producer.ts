/**
 * The producer side of cdc (spec/adr/0004-change-stream-rollback.md): one vBucket's copies, an
 * active and replicas, in memory. Each copy holds the mutation stored at each seqno (nothing where
 * it never wrote or received one, or where a snapshot deduplicated it away), its high and
 * persisted seqnos, the snapshot it is receiving and the one it last persisted, the seqnos at
 * which its storage is a consistent point, its failover log (newest first) and its role. Replicas
 * are DCP consumers of the active (a handshake answered by the active's rollback rule, then
 * snapshots of deduplicated mutations); a crash loses what was not persisted; a promotion and an
 * unclean restart of the active each start a branch with a new random 64-bit vbuuid.
 *
 * `ChangeStream` is the service a change-stream consumer sees: stream requests to the cluster
 * map's active (answered by kv_engine's needsRollback), snapshot markers, mutations, observe-seqno
 * and the failover log. The cluster is plain TypeScript; the service boundary is Effect.
 *
 * The environment (the scheduler) chooses where a snapshot ends, among the source's consistent
 * points: in kv_engine its checkpoints decide.
 */
import { Context, Effect, Layer } from "effect"
import { CopyDown, NotAnEnd, NothingToSend, StreamClosed } from "./errors.js"
import type { DcpMessage, FailoverEntry, Mutation, ObservedSeqno, SnapshotRange, StreamAnswer, StreamPosition, StreamRequest, Vbuuid } from "./types.js"

export type CopyRole = "Replica" | "Active" | "Down"

export interface Copy {
  role: CopyRole
  /** stored[k - 1]: the mutation at seqno k, or null. */
  stored: Array<Mutation | null>
  high: number
  persisted: number
  snapshot: SnapshotRange
  persistedSnapshot: SnapshotRange
  /** The seqnos at which the storage is a consistent point (the end of a snapshot held whole). */
  ends: Set<number>
  failoverLog: FailoverEntry[]
  /** Failed over while down: absent from the cluster map until it restarts. */
  failedOver: boolean
}

/** A DCP stream of the producer, and whether it is still open. */
export interface ProducerStream extends StreamPosition {
  open: boolean
}

/** The producer's answer RESUME, else a rollback seqno. */
export const RESUME = -1

export interface ProducerOptions {
  readonly copies: number
  /** The failover log's capacity (kv_engine keeps 25). */
  readonly logCapacity: number
  /** A source of randomness for vbuuids (the seeded prng). */
  readonly random: () => number
  /** Called with each new branch's vbuuid, in the order branches are created (the first at construction). */
  readonly onNewBranch?: (vbuuid: Vbuuid) => void
  /** The producer's answer to a stream request (a replica's or the consumer's); default kv_engine's needsRollback. */
  readonly decide?: (copy: Copy, request: StreamRequest) => number
}

/** Where branch `vbuuid` ends on a copy: the next newer entry's seqno, or the high seqno for its current branch (-1: not in its log). */
export function branchEnd(copy: Copy, vbuuid: Vbuuid): number {
  const log = copy.failoverLog
  for (let k = 0; k < log.length; k++) if (log[k]!.vbuuid === vbuuid) return k === 0 ? copy.high : log[k - 1]!.seqno
  return -1
}

/**
 * kv_engine's FailoverTable::needsRollback: a request from seqno 0 never rolls back; a vbuuid not
 * in the log rolls back to 0; else `upper` is where that branch ended: a snapshot ending at or
 * below it resumes; otherwise roll back to `upper`, or to the snapshot's start if the requester is
 * inside a snapshot that crosses it. Written here again on purpose, over real vbuuids, rather
 * than imported from the model: a trace check compares two codings of the rule, not one with itself.
 */
export function needsRollback(copy: Copy, r: StreamRequest): number {
  if (r.start === 0) return RESUME
  const upper = branchEnd(copy, r.vbuuid)
  if (upper < 0) return 0
  let snapStart = r.snapStart
  let snapEnd = r.snapEnd
  if (r.start === snapStart) snapEnd = r.start
  if (snapEnd <= upper) return RESUME
  if (r.start === snapEnd) snapStart = r.start
  return upper < snapStart ? upper : snapStart
}

/** Planted producer bugs, each named after the model variant whose decision it plants. */
export const PRODUCER_BUGS = {
  /** Resumes on the producer's current branch whatever vbuuid the request names. */
  "resume-ignoring-vbuuid": (copy: Copy, r: StreamRequest): number => needsRollback(copy, { ...r, vbuuid: copy.failoverLog[0]!.vbuuid }),
  /** Rolls back to where the requester's branch ended, ignoring the snapshot it is in. */
  "rollback-to-branch-end": (copy: Copy, r: StreamRequest): number => {
    if (r.start === 0) return RESUME
    const upper = branchEnd(copy, r.vbuuid)
    if (upper < 0) return 0
    return r.start <= upper ? RESUME : upper
  }
} as const satisfies Record<string, (copy: Copy, r: StreamRequest) => number>
export type ProducerBug = keyof typeof PRODUCER_BUGS

/** The highest consistent point of a copy at or below `seqno` (0: the empty history is one). */
export function endAtOrBelow(copy: Copy, seqno: number): number {
  for (let k = seqno; k >= 1; k--) if (copy.ends.has(k)) return k
  return 0
}
const isEnd = (copy: Copy, seqno: number) => seqno === 0 || copy.ends.has(seqno)

/**
 * The next seqno a snapshot [from, to] of a copy's storage sends after `after`: the next stored
 * mutation that is its key's last in the range (deduplication); `to` itself when none is left.
 */
export function nextInSnapshot(copy: Copy, from: number, to: number, after: number): number {
  const keyAt = (k: number) => copy.stored[k - 1]?.key ?? null
  for (let k = after + 1; k <= to; k++) {
    const key = keyAt(k)
    if (key === null) continue
    let last = true
    for (let j = k + 1; j <= to && last; j++) if (keyAt(j) === key) last = false
    if (last && k >= from) return k
  }
  return to
}

/** The newest entry of a log at or below `seqno` (0n: none). */
export function vbuuidAtOrBelow(log: readonly FailoverEntry[], seqno: number): Vbuuid {
  for (const e of log) if (e.seqno <= seqno) return e.vbuuid
  return 0n
}

const random64 = (random: () => number): Vbuuid => (BigInt(Math.floor(random() * 2 ** 32)) << 32n) | BigInt(Math.floor(random() * 2 ** 32))

/** A vBucket's copies and the cluster map (which copy is active). Copies are numbered 1..n. */
export class VBucketCluster {
  readonly copies: Copy[]
  active = 1
  private readonly used = new Set<Vbuuid>()
  private readonly streams = new Map<number, ProducerStream>()
  private nextStream = 1
  private writes = 0

  constructor(private readonly options: ProducerOptions) {
    const first = this.newVbuuid()
    this.copies = Array.from({ length: options.copies }, (_, k) => ({
      role: k === 0 ? "Active" : "Replica",
      stored: [],
      high: 0,
      persisted: 0,
      snapshot: { start: 0, end: 0 },
      persistedSnapshot: { start: 0, end: 0 },
      ends: new Set<number>(),
      failoverLog: [{ vbuuid: first, seqno: 0 }],
      failedOver: false
    }))
  }

  private get decide(): (copy: Copy, request: StreamRequest) => number {
    return this.options.decide ?? needsRollback
  }

  /** How many branches have been created (the first history is one). */
  get branches(): number {
    return this.used.size
  }

  copy(c: number): Copy {
    const x = this.copies[c - 1]
    if (x === undefined) throw new Error(`no copy ${c}`)
    return x
  }

  branchOf(c: number): Vbuuid {
    return this.copy(c).failoverLog[0]!.vbuuid
  }

  activeUp(): boolean {
    return this.copy(this.active).role === "Active"
  }

  /** Replica r is up and on the active's branch (its stream from the active is established). */
  streaming(r: number): boolean {
    return this.copy(r).role === "Replica" && this.activeUp() && this.branchOf(r) === this.branchOf(this.active)
  }

  private newVbuuid(): Vbuuid {
    let v = random64(this.options.random)
    while (v === 0n || this.used.has(v)) v = random64(this.options.random)
    this.used.add(v)
    this.options.onNewBranch?.(v)
    return v
  }

  private truncate(x: Copy, to: number): void {
    x.stored.length = Math.min(x.stored.length, to)
    x.high = to
    for (const e of [...x.ends]) if (e > to) x.ends.delete(e)
  }

  // --- the active's writes -------------------------------------------------------------------

  /** A client write on the active: the next seqno, a complete snapshot of its own. */
  write(key: string): Mutation {
    const x = this.copy(this.active)
    if (x.role !== "Active") throw new Error("the active copy is down")
    const seqno = x.high + 1
    const mutation: Mutation = { seqno, key, value: `${key}@${++this.writes}`, vbuuid: x.failoverLog[0]!.vbuuid }
    x.stored[seqno - 1] = mutation
    x.high = seqno
    x.snapshot = { start: seqno, end: seqno }
    x.ends.add(seqno)
    return mutation
  }

  // --- replication (each replica is a DCP consumer of the active) ------------------------------

  /** Replica r (on another branch than the active's) requests a stream: rolls back if told to, and takes the active's failover log. */
  replicaHandshake(r: number): { readonly decision: number; readonly to: number } {
    const x = this.copy(r)
    const a = this.copy(this.active)
    const decision = this.decide(a, { vbuuid: this.branchOf(r), start: x.high, snapStart: x.snapshot.start, snapEnd: x.snapshot.end })
    // Told to roll back, it goes back to a consistent point at or below the seqno; resumed inside a
    // snapshot of its old producer, it drops that snapshot's items and takes it again.
    const to = decision !== RESUME ? endAtOrBelow(x, Math.min(decision, x.high)) : x.high < x.snapshot.end ? x.snapshot.start - 1 : RESUME
    if (to !== RESUME) {
      this.truncate(x, to)
      if (x.persisted > to) x.persisted = to
      x.snapshot = { start: to, end: to }
      if (x.persistedSnapshot.end > to) x.persistedSnapshot = { start: to, end: to }
    }
    x.failoverLog = a.failoverLog.map((e) => ({ ...e }))
    return { decision, to }
  }

  /** The active's consistent points a snapshot to replica r may end at now. */
  replicaMarkerEnds(r: number): number[] {
    const x = this.copy(r)
    if (!this.streaming(r) || x.high !== x.snapshot.end) return []
    return this.endsIn(this.active, x.high + 1, this.copy(this.active).high)
  }

  replicaMarker(r: number, end: number): void {
    const x = this.copy(r)
    if (!this.replicaMarkerEnds(r).includes(end)) throw new Error(`copy ${r} cannot take a snapshot ending at ${end}`)
    x.snapshot = { start: x.high + 1, end }
  }

  /** Replica r receives the next mutation of its snapshot (or advances to its end). */
  replicaReceive(r: number): number {
    const x = this.copy(r)
    if (!this.streaming(r) || x.high >= x.snapshot.end) throw new Error(`copy ${r} is not inside a snapshot`)
    const a = this.copy(this.active)
    const k = nextInSnapshot(a, x.snapshot.start, x.snapshot.end, x.high)
    const m = a.stored[k - 1] ?? null
    for (let j = x.stored.length; j < k - 1; j++) x.stored[j] = null
    x.stored[k - 1] = m
    x.high = k
    if (k === x.snapshot.end) x.ends.add(k)
    return k
  }

  // --- persistence and faults ------------------------------------------------------------------

  /** A flush: everything the copy holds, with the snapshot its last item belongs to. */
  persist(c: number): void {
    const x = this.copy(c)
    if (x.role === "Down" || x.persisted >= x.high) throw new Error(`copy ${c} has nothing to persist`)
    const fresh = x.snapshot.start > x.high
    x.persisted = x.high
    x.persistedSnapshot = fresh ? { start: x.high, end: x.high } : { ...x.snapshot }
  }

  /** A crash: what was not persisted is lost; streams from the copy break. */
  crash(c: number): void {
    const x = this.copy(c)
    if (x.role === "Down") throw new Error(`copy ${c} is down`)
    x.role = "Down"
    this.truncate(x, x.persisted)
    x.snapshot = { ...x.persistedSnapshot }
    for (const s of this.streams.values()) if (s.source === c) s.open = false
  }

  /** A restart: a replica comes back as one; the active, back from an unclean shutdown, starts a branch. */
  restart(c: number, branchAtSnapshotStart = false): void {
    const x = this.copy(c)
    if (x.role !== "Down") throw new Error(`copy ${c} is up`)
    x.failedOver = false
    if (this.active !== c) {
      x.role = "Replica"
      return
    }
    x.role = "Active"
    this.newBranch(c, branchAtSnapshotStart)
  }

  /** The active is down: replica n is promoted, and starts a branch. */
  failover(n: number, branchAtSnapshotStart = false): void {
    if (this.activeUp()) throw new Error("the active copy is up")
    const x = this.copy(n)
    if (x.role !== "Replica") throw new Error(`copy ${n} is not an up replica`)
    this.copy(this.active).failedOver = true
    this.active = n
    x.role = "Active"
    this.newBranch(n, branchAtSnapshotStart)
  }

  /**
   * A new branch on copy c: at the persisted snapshot's end if all of it was persisted, else at its
   * last consistent point below, as kv_engine does since MB-35003 (before it, and with the planted
   * bug branch-at-snapshot-start: the snapshot's start); entries above it leave
   * the log. As an active its writes are complete snapshots: its high seqno is a consistent point.
   */
  private newBranch(c: number, atSnapshotStart: boolean): void {
    const x = this.copy(c)
    const whole = x.persisted === x.persistedSnapshot.end
    const at = whole ? x.persistedSnapshot.end : atSnapshotStart ? x.persistedSnapshot.start : endAtOrBelow(x, x.persisted)
    const vbuuid = this.newVbuuid()
    const kept = x.failoverLog.filter((e) => e.seqno <= at)
    x.failoverLog = [{ vbuuid, seqno: at }, ...kept.slice(0, this.options.logCapacity - 1)]
    x.snapshot = { start: x.high, end: x.high }
    if (x.high > 0) x.ends.add(x.high)
  }

  /** Copy c's consistent points in [from, to]. */
  endsIn(c: number, from: number, to: number): number[] {
    const x = this.copy(c)
    const out: number[] = []
    for (let k = from; k <= to; k++) if (isEnd(x, k)) out.push(k)
    return out
  }

  // --- the change stream a consumer sees ----------------------------------------------------------

  /** A stream request to the cluster map's active. */
  streamRequest(request: StreamRequest): StreamAnswer | CopyDown {
    const c = this.active
    const x = this.copy(c)
    if (x.role !== "Active") return new CopyDown({ copy: c })
    const decision = this.decide(x, request)
    if (decision !== RESUME) return { _tag: "Rollback", seqno: decision }
    // The stream starts after the request's seqno on the current branch; its first marker starts
    // at the request's snapshot start (it may continue that snapshot).
    const s: ProducerStream = { id: this.nextStream++, source: c, vbuuid: x.failoverLog[0]!.vbuuid, position: request.start, snapStart: request.snapStart, snapEnd: request.start, first: true, open: true }
    this.streams.set(s.id, s)
    return { _tag: "Ok", stream: s.id, source: c, failoverLog: x.failoverLog.map((e) => ({ ...e })) }
  }

  stream(id: number): ProducerStream | undefined {
    const s = this.streams.get(id)
    return s?.open ? s : undefined
  }

  /** The ends a marker of an open stream may have now ([] inside a snapshot, or with nothing past its position). */
  markerEnds(id: number): number[] {
    const s = this.stream(id)
    if (s === undefined || s.position !== s.snapEnd) return []
    return this.endsIn(s.source, s.position + 1, this.copy(s.source).high)
  }

  /** A snapshot starts after the last one sent; the first after a request at the request's snapshot start if lower. */
  marker(id: number, end: number): Extract<DcpMessage, { _tag: "SnapshotMarker" }> | StreamClosed | NotAnEnd {
    const s = this.stream(id)
    if (s === undefined) return new StreamClosed({ stream: id })
    if (!this.markerEnds(id).includes(end)) return new NotAnEnd({ end })
    const next = s.position + 1
    s.snapStart = s.first && s.snapStart < next ? s.snapStart : next
    s.snapEnd = end
    s.first = false
    return { _tag: "SnapshotMarker", start: s.snapStart, end }
  }

  /** The seqno the stream sends next inside its snapshot. */
  peek(id: number): number | StreamClosed | NothingToSend {
    const s = this.stream(id)
    if (s === undefined) return new StreamClosed({ stream: id })
    if (s.position >= s.snapEnd) return new NothingToSend({ position: s.position, reason: "the stream has sent its whole snapshot" })
    return nextInSnapshot(this.copy(s.source), s.snapStart, s.snapEnd, s.position)
  }

  next(id: number): DcpMessage | StreamClosed | NothingToSend {
    const seq = this.peek(id)
    if (typeof seq !== "number") return seq
    const s = this.stream(id)!
    s.position = seq
    const m = this.copy(s.source).stored[seq - 1] ?? null
    return m === null ? { _tag: "SeqnoAdvanced", seqno: seq } : { _tag: "Mutation", mutation: m }
  }

  close(id: number): void {
    const s = this.streams.get(id)
    if (s !== undefined) s.open = false
    this.streams.delete(id)
  }

  observeSeqno(c: number): ObservedSeqno | CopyDown {
    const x = this.copy(c)
    if (x.role === "Down") return new CopyDown({ copy: c })
    return { vbuuid: x.failoverLog[0]!.vbuuid, persistedSeqno: x.persisted }
  }
}

// --- the service ----------------------------------------------------------------------------------

/** The cluster map as a consumer reads it: every copy, and whether it is in the map (not failed over and absent). */
export interface ClusterMap {
  readonly active: number
  readonly copies: ReadonlyArray<{ readonly copy: number; readonly inMap: boolean }>
}

export interface ChangeStreamService {
  /** A stream request to the active: a stream, or the seqno to roll back to. */
  readonly streamRequest: (request: StreamRequest) => Effect.Effect<StreamAnswer, CopyDown>
  /** The next snapshot marker of a stream, ending at `end` (the environment's choice of the source's consistent points). */
  readonly snapshotMarker: (stream: number, end: number) => Effect.Effect<Extract<DcpMessage, { _tag: "SnapshotMarker" }>, StreamClosed | NotAnEnd>
  /** The ends the stream's next snapshot marker may have now, lowest first (the source's consistent points past its position; [] inside a snapshot or with nothing new). */
  readonly markerEnds: (stream: number) => Effect.Effect<readonly number[]>
  /** The seqno of the stream's next message (what a consumer's buffer holds at its head). */
  readonly peek: (stream: number) => Effect.Effect<number, StreamClosed | NothingToSend>
  /** The stream's next mutation (or the seqno it advanced to). */
  readonly next: (stream: number) => Effect.Effect<DcpMessage, StreamClosed | NothingToSend>
  readonly isOpen: (stream: number) => Effect.Effect<boolean>
  readonly close: (stream: number) => Effect.Effect<void>
  /** observe-seqno on one copy. */
  readonly observeSeqno: (copy: number) => Effect.Effect<ObservedSeqno, CopyDown>
  /** The active's failover log. */
  readonly failoverLog: Effect.Effect<readonly FailoverEntry[], CopyDown>
  readonly clusterMap: Effect.Effect<ClusterMap>
}

export class ChangeStream extends Context.Tag("replcheck/cdc/ChangeStream")<ChangeStream, ChangeStreamService>() {}

/** The cluster's answer as an Effect: its typed errors (returned, not thrown, on the hot path) become failures. */
const lift = <A>(f: () => A): Effect.Effect<Exclude<A, Error>, Extract<A, Error>> =>
  Effect.suspend(() => {
    const v = f()
    return v instanceof Error ? Effect.fail(v as Extract<A, Error>) : Effect.succeed(v as Exclude<A, Error>)
  })

/** The ChangeStream service over a cluster. */
export function changeStream(cluster: VBucketCluster): ChangeStreamService {
  return {
    streamRequest: (request) => lift(() => cluster.streamRequest(request)),
    snapshotMarker: (stream, end) => lift(() => cluster.marker(stream, end)),
    markerEnds: (stream) => Effect.sync(() => cluster.markerEnds(stream)),
    peek: (stream) => lift(() => cluster.peek(stream)),
    next: (stream) => lift(() => cluster.next(stream)),
    isOpen: (stream) => Effect.sync(() => cluster.stream(stream) !== undefined),
    close: (stream) => Effect.sync(() => cluster.close(stream)),
    observeSeqno: (copy) => lift(() => cluster.observeSeqno(copy)),
    failoverLog: Effect.suspend(() => {
      const x = cluster.copy(cluster.active)
      return x.role === "Down" ? Effect.fail(new CopyDown({ copy: cluster.active })) : Effect.succeed(x.failoverLog.map((e) => ({ ...e })))
    }),
    clusterMap: Effect.sync(() => ({ active: cluster.active, copies: cluster.copies.map((x, k) => ({ copy: k + 1, inMap: !x.failedOver })) }))
  }
}

/** The ChangeStream layer over a cluster. */
export const ChangeStreamLive = (cluster: VBucketCluster): Layer.Layer<ChangeStream> => Layer.succeed(ChangeStream, changeStream(cluster))
