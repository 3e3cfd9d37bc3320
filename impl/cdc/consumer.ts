/**
 * The reference change-stream consumer of cdc (spec/adr/0004-change-stream-rollback.md), in
 * go-dcp's shape with the base design's rules: it streams from its acknowledged offset (vbuuid,
 * seqno and the snapshot it is in), is answered resume or rollback, receives snapshots of
 * deduplicated mutations, applies each to its sink and acknowledges it with the branch and
 * snapshot it came in, checkpoints its offset, and runs go-dcp's rollback mitigation (observe every
 * copy's persisted seqno and deliver only what all have persisted, on the branch they agree on).
 *
 * The base design's rules: told to roll back to X, the sink and the checkpoint go back together
 * (one store) to the end of the snapshot last applied whole if that is at or below X, else to 0;
 * a restart truncates the sink to the checkpoint; a new stream drops what an earlier one sent and
 * was not applied; the mitigation waits for every copy (a down one means no news) and keeps its
 * view per branch. `bugs` plants the defects named after the model variants that state them.
 *
 * The consumer reads only what the ChangeStream service tells it and its own CheckpointStore.
 */
import { Context, Effect, Either, Layer } from "effect"
import { ConsumerBusy, MitigationHolds, type CopyDown, type NotAnEnd, type NothingToSend, type StoreFailed, StreamClosed } from "./errors.js"
import { ChangeStream, vbuuidAtOrBelow, type ChangeStreamService } from "./producer.js"
import { NO_CHECKPOINT, NO_VBUUID, sameCheckpoint, type Checkpoint, type Mutation, type StreamPosition, type Vbuuid } from "./types.js"

// --- the checkpoint store ----------------------------------------------------------------------

/** What the store holds: the durable checkpoint and the sink (the mutation applied at each seqno). */
export interface StoreImage {
  readonly checkpoint: Checkpoint
  /** Sorted by seqno, at most one per seqno. */
  readonly sink: readonly Mutation[]
}

export interface CheckpointStoreService {
  readonly read: Effect.Effect<StoreImage, StoreFailed>
  /** Writes a mutation to the sink at its seqno. */
  readonly apply: (mutation: Mutation) => Effect.Effect<void, StoreFailed>
  readonly saveCheckpoint: (checkpoint: Checkpoint) => Effect.Effect<void, StoreFailed>
  /** In one write: drops the sink's mutations above `to` and makes `checkpoint` the checkpoint. */
  readonly rollback: (to: number, checkpoint: Checkpoint) => Effect.Effect<void, StoreFailed>
}

export class CheckpointStore extends Context.Tag("replcheck/cdc/CheckpointStore")<CheckpointStore, CheckpointStoreService>() {}

/** The image after applying a mutation (pure; both layers use it). */
export const withApplied = (image: StoreImage, m: Mutation): StoreImage => ({ checkpoint: image.checkpoint, sink: [...image.sink.filter((x) => x.seqno !== m.seqno), m].sort((a, b) => a.seqno - b.seqno) })
export const withRollback = (image: StoreImage, to: number, checkpoint: Checkpoint): StoreImage => ({ checkpoint, sink: image.sink.filter((x) => x.seqno <= to) })

/** A store in memory: it survives a consumer restart (the same service is opened again). */
export function memoryCheckpointStore(): CheckpointStoreService {
  let image: StoreImage = { checkpoint: NO_CHECKPOINT, sink: [] }
  return {
    read: Effect.sync(() => image),
    apply: (m) => Effect.sync(() => void (image = withApplied(image, m))),
    saveCheckpoint: (checkpoint) => Effect.sync(() => void (image = { ...image, checkpoint })),
    rollback: (to, checkpoint) => Effect.sync(() => void (image = withRollback(image, to, checkpoint)))
  }
}

export const MemoryCheckpointStore: Layer.Layer<CheckpointStore> = Layer.sync(CheckpointStore, memoryCheckpointStore)

// --- rules and bugs ------------------------------------------------------------------------------

/** The consumer's rules (the consumer's part of the model's CdcRules). */
export interface ConsumerRules {
  readonly mitigation: "off" | "persisted"
  readonly absentCopies: "ignore" | "count"
  readonly viewPerBranch: boolean
  readonly onRollback: "consistent" | "truncate-to-seqno" | "redeliver" | "catch-up"
  readonly dropUnappliedOnReconnect: boolean
  readonly ackOnReceive: boolean
  readonly ackOwnSnapshot: boolean
  readonly sendSnapshotRange: boolean
}

export const baseConsumerRules: ConsumerRules = {
  mitigation: "persisted",
  absentCopies: "count",
  viewPerBranch: true,
  onRollback: "consistent",
  dropUnappliedOnReconnect: true,
  ackOnReceive: false,
  ackOwnSnapshot: true,
  sendSnapshotRange: true
}

/** The consumer's planted bugs, each named after the model variant whose rules it plants. */
export const CONSUMER_BUGS = {
  "go-dcp": { onRollback: "catch-up", dropUnappliedOnReconnect: false, absentCopies: "ignore", viewPerBranch: false },
  "mitigation-off": { mitigation: "off" },
  "truncate-to-rollback-seqno": { onRollback: "truncate-to-seqno" },
  "truncate-to-rollback-seqno-unmitigated": { onRollback: "truncate-to-seqno", mitigation: "off" },
  "mitigation-ignores-absent-copies": { onRollback: "truncate-to-seqno", absentCopies: "ignore" },
  "rising-mitigation-view": { onRollback: "truncate-to-seqno", viewPerBranch: false },
  "checkpoint-before-apply": { ackOnReceive: true },
  "ack-with-stream-snapshot": { ackOwnSnapshot: false },
  "no-snapshot-range": { sendSnapshotRange: false },
  "catch-up-after-rollback": { onRollback: "catch-up" },
  "redeliver-without-truncating": { onRollback: "redeliver" },
  "apply-after-reconnect": { dropUnappliedOnReconnect: false }
} as const satisfies Record<string, Partial<ConsumerRules>>
export type ConsumerBug = keyof typeof CONSUMER_BUGS

export const consumerRules = (bugs: Iterable<string>): ConsumerRules => {
  let r = baseConsumerRules
  for (const b of bugs) if (b in CONSUMER_BUGS) r = { ...r, ...CONSUMER_BUGS[b as ConsumerBug] }
  return r
}

// --- the consumer ----------------------------------------------------------------------------------

/** The consumer's view of its stream (its own copy: see StreamPosition). */
export type StreamView = StreamPosition

/** A mutation received and not yet applied, with the branch and snapshot it came in. */
export interface Received {
  readonly mutation: Mutation
  readonly vbuuid: Vbuuid
  readonly snapStart: number
  readonly snapEnd: number
}

export type OpenOutcome = { readonly _tag: "Streaming"; readonly source: number } | { readonly _tag: "RolledBack"; readonly seqno: number; readonly to: number }

export class CdcConsumer {
  private streamView: StreamView | null = null
  received: Received | null = null
  offset: Checkpoint
  /** The end of the last snapshot received and applied whole: a point the sink is consistent at. */
  consistent = 0
  /** After a rollback (catch-up only), events at or below this seqno are dropped. */
  catchup = 0
  /** The highest seqno the mitigation has seen persisted on every copy, and the branch they were on then. */
  persistView = 0
  persistViewBranch: Vbuuid = NO_VBUUID

  private constructor(
    private readonly source: ChangeStreamService,
    readonly store: CheckpointStoreService,
    readonly rules: ConsumerRules,
    checkpoint: Checkpoint
  ) {
    this.offset = checkpoint
  }

  private get truncates(): boolean {
    return this.rules.onRollback === "consistent" || this.rules.onRollback === "truncate-to-seqno"
  }

  /** Starts a consumer (again after a crash) from its store: memory is empty, the offset is the checkpoint, and a sink that rolls back goes back to it. */
  static start(source: ChangeStreamService, store: CheckpointStoreService, rules: ConsumerRules): Effect.Effect<CdcConsumer, StoreFailed> {
    return Effect.gen(function* () {
      const { checkpoint, sink } = yield* store.read
      const consumer = new CdcConsumer(source, store, rules, checkpoint)
      if (consumer.truncates && sink.some((m) => m.seqno > checkpoint.seqno)) yield* store.rollback(checkpoint.seqno, checkpoint)
      return consumer
    })
  }

  /** The stream, if it is still open (a lost connection or a crashed source closes it). */
  get stream(): Effect.Effect<StreamView | null> {
    return Effect.gen(this, function* () {
      if (this.streamView !== null && !(yield* this.source.isOpen(this.streamView.id))) this.streamView = null
      return this.streamView
    })
  }

  /** Whether the mitigation lets seqno `seq` of the stream out. */
  mayDeliver(stream: StreamView, seq: number): boolean {
    return this.rules.mitigation === "off" || (seq <= this.persistView && (!this.rules.viewPerBranch || this.persistViewBranch === stream.vbuuid))
  }

  private ack(vbuuid: Vbuuid, seqno: number, snapStart: number, snapEnd: number): void {
    // go-dcp's setOffset: the offset never moves back.
    if (seqno <= this.offset.seqno) return
    this.offset = { vbuuid, seqno, snapStart, snapEnd }
  }

  /** Requests a stream from the offset: a stream, or a rollback (the sink and checkpoint go back together). */
  open(): Effect.Effect<OpenOutcome, CopyDown | ConsumerBusy | StoreFailed> {
    return Effect.gen(this, function* () {
      if ((yield* this.stream) !== null) return yield* Effect.fail(new ConsumerBusy({ step: "open", reason: "the stream is open" }))
      const o = this.offset
      const request = { vbuuid: o.vbuuid, start: o.seqno, snapStart: this.rules.sendSnapshotRange ? o.snapStart : o.seqno, snapEnd: this.rules.sendSnapshotRange ? o.snapEnd : o.seqno }
      const answer = yield* this.source.streamRequest(request)
      if (this.rules.dropUnappliedOnReconnect) this.received = null
      if (answer._tag === "Ok") {
        this.streamView = { id: answer.stream, source: answer.source, vbuuid: answer.failoverLog[0]!.vbuuid, position: request.start, snapStart: request.snapStart, snapEnd: request.start, first: true }
        return { _tag: "Streaming", source: answer.source } as const
      }
      // Rollback: the next request starts at the rollback point, on the newest branch at or below it.
      const decision = answer.seqno
      const to = this.rules.onRollback === "consistent" ? (this.consistent <= decision ? this.consistent : 0) : decision
      const log = yield* this.source.failoverLog
      this.offset = { vbuuid: vbuuidAtOrBelow(log, to), seqno: to, snapStart: to, snapEnd: to }
      if (this.rules.onRollback === "catch-up") this.catchup = request.start
      if (this.truncates) {
        yield* this.store.rollback(to, this.offset)
        this.consistent = to
      }
      return { _tag: "RolledBack", seqno: decision, to } as const
    })
  }

  /** Takes the stream's next snapshot marker (ending at `end`, the producer's choice), if the mitigation lets its start out. */
  marker(end: number): Effect.Effect<void, StreamClosed | NotAnEnd | MitigationHolds | ConsumerBusy> {
    return Effect.gen(this, function* () {
      const s = yield* this.stream
      if (s === null) return yield* Effect.fail(new StreamClosed({ stream: 0 }))
      if (s.position !== s.snapEnd) return yield* Effect.fail(new ConsumerBusy({ step: "marker", reason: "inside a snapshot" }))
      if (!this.mayDeliver(s, s.position + 1)) return yield* Effect.fail(new MitigationHolds({ seqno: s.position + 1, view: this.persistView }))
      const m = yield* this.source.snapshotMarker(s.id, end)
      s.snapStart = m.start
      s.snapEnd = m.end
      s.first = false
    })
  }

  /** Whether a receive can happen now (an open stream inside a snapshot, nothing pending, the mitigation lets the next seqno out). */
  canReceive(): Effect.Effect<boolean> {
    return Effect.gen(this, function* () {
      const s = yield* this.stream
      if (s === null || this.received !== null || s.position >= s.snapEnd) return false
      const seq = yield* Effect.either(this.source.peek(s.id))
      return Either.isRight(seq) && this.mayDeliver(s, seq.right)
    })
  }

  /** Receives the stream's next message: a mutation to apply, or one dropped (catch-up) or absent (the snapshot's end deduplicated away). */
  receive(): Effect.Effect<"received" | "skipped", StreamClosed | NothingToSend | MitigationHolds | ConsumerBusy> {
    return Effect.gen(this, function* () {
      const s = yield* this.stream
      if (s === null) return yield* Effect.fail(new StreamClosed({ stream: 0 }))
      if (this.received !== null) return yield* Effect.fail(new ConsumerBusy({ step: "receive", reason: "a mutation is still to be applied" }))
      const seq = yield* this.source.peek(s.id)
      if (!this.mayDeliver(s, seq)) return yield* Effect.fail(new MitigationHolds({ seqno: seq, view: this.persistView }))
      const message = yield* this.source.next(s.id)
      s.position = seq
      if (message._tag !== "Mutation" || seq <= this.catchup) {
        if (seq === s.snapEnd) this.consistent = seq
        return "skipped" as const
      }
      this.received = { mutation: message.mutation, vbuuid: s.vbuuid, snapStart: s.snapStart, snapEnd: s.snapEnd }
      if (this.rules.ackOnReceive) this.ack(s.vbuuid, seq, s.snapStart, s.snapEnd)
      return "received" as const
    })
  }

  /** Applies the received mutation to the sink, and acknowledges it with the branch and snapshot it came in. */
  apply(): Effect.Effect<Mutation, ConsumerBusy | StoreFailed> {
    return Effect.gen(this, function* () {
      const r = this.received
      if (r === null) return yield* Effect.fail(new ConsumerBusy({ step: "apply", reason: "nothing received" }))
      const seq = r.mutation.seqno
      yield* this.store.apply(r.mutation)
      this.received = null
      if (seq === r.snapEnd) this.consistent = seq
      if (this.rules.ackOnReceive) return r.mutation
      if (this.rules.ackOwnSnapshot) this.ack(r.vbuuid, seq, r.snapStart, r.snapEnd)
      else {
        const s = yield* this.stream
        this.ack(s?.vbuuid ?? NO_VBUUID, seq, s?.snapStart ?? 0, s?.snapEnd ?? 0)
      }
      return r.mutation
    })
  }

  /** Whether the offset moved past the durable checkpoint. */
  dirty(): Effect.Effect<boolean, StoreFailed> {
    return Effect.map(this.store.read, (image) => !sameCheckpoint(image.checkpoint, this.offset))
  }

  saveCheckpoint(): Effect.Effect<void, StoreFailed> {
    return this.store.saveCheckpoint(this.offset)
  }

  /**
   * What observe-seqno on every copy tells the mitigation now: the lowest persisted seqno and the
   * branch, if every copy it waits for answers and they agree on the branch; null when that is no
   * news (a copy down, the copies disagree, nothing moves the view on).
   */
  observation(): Effect.Effect<{ readonly safe: number; readonly vbuuid: Vbuuid } | null> {
    return Effect.gen(this, function* () {
      if (this.rules.mitigation === "off") return null
      const map = yield* this.source.clusterMap
      let safe = -1
      let vbuuid: Vbuuid | null = null
      for (const { copy, inMap } of map.copies) {
        if (this.rules.absentCopies === "ignore" && !inMap) continue
        const o = yield* Effect.either(this.source.observeSeqno(copy))
        if (Either.isLeft(o)) return null
        if (vbuuid !== null && o.right.vbuuid !== vbuuid) return null
        vbuuid = o.right.vbuuid
        if (safe < 0 || o.right.persistedSeqno < safe) safe = o.right.persistedSeqno
      }
      if (vbuuid === null) return null
      const news = this.rules.viewPerBranch && vbuuid !== this.persistViewBranch ? true : safe > this.persistView
      return news ? { safe, vbuuid } : null
    })
  }

  /** Observes every copy; moves the mitigation's view on if that is news. */
  observe(): Effect.Effect<boolean> {
    return Effect.gen(this, function* () {
      const o = yield* this.observation()
      if (o === null) return false
      if (this.rules.viewPerBranch) {
        this.persistView = o.vbuuid === this.persistViewBranch ? Math.max(o.safe, this.persistView) : o.safe
        this.persistViewBranch = o.vbuuid
      } else this.persistView = o.safe
      return true
    })
  }

  /** The connection is lost (or the consumer process dies): the stream closes. */
  connectionLost(): Effect.Effect<void> {
    return Effect.gen(this, function* () {
      if (this.streamView !== null) yield* this.source.close(this.streamView.id)
      this.streamView = null
    })
  }
}

/** A consumer over the services in context. */
export const makeConsumer = (rules: ConsumerRules = baseConsumerRules) =>
  Effect.gen(function* () {
    const source = yield* ChangeStream
    const store = yield* CheckpointStore
    return yield* CdcConsumer.start(source, store, rules)
  })
