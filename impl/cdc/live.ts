/**
 * The reference cdc consumer run live, as go-dcp runs it: three fibers over one consumer. The
 * rollback mitigation observes every copy's persisted seqno on a schedule; the checkpointer saves
 * the offset on another (go-dcp checkpoints periodically, not per mutation); the stream loop
 * (re)opens the stream, takes the producer's snapshot markers, receives and applies what the
 * mitigation lets out, and sleeps when there is nothing to do: a copy down, the mitigation holding
 * the next seqno back, or nothing new. Fibers interleave only where one yields, so each step of the
 * consumer (consumer.ts) runs whole. The simulator (cluster.ts) drives the same consumer one step
 * at a time instead, so that every step is an event of the model.
 */
import { Duration, Effect, Schedule, type Scope } from "effect"
import type { CdcConsumer } from "./consumer.js"
import type { StoreFailed } from "./errors.js"
import type { ChangeStreamService } from "./producer.js"

export interface LiveOptions {
  /** How often the mitigation observes every copy (go-dcp's rollbackMitigation interval). */
  readonly observeEvery: Duration.DurationInput
  /** How often the offset is checkpointed, if it moved. */
  readonly checkpointEvery: Duration.DurationInput
  /** How long the stream loop sleeps when it can do nothing. */
  readonly idle: Duration.DurationInput
}

/** The mitigation's fiber body: observe now, then every `every`, for ever. */
export const mitigation = (consumer: CdcConsumer, every: Duration.DurationInput): Effect.Effect<never> =>
  Effect.repeat(consumer.observe(), Schedule.spaced(every)).pipe(Effect.zipRight(Effect.never))

/** The checkpointer's fiber body: every `every`, save the offset if it moved past the durable checkpoint. */
export const checkpointer = (consumer: CdcConsumer, every: Duration.DurationInput): Effect.Effect<never, StoreFailed> =>
  Effect.repeat(
    Effect.flatMap(consumer.dirty(), (dirty) => (dirty ? consumer.saveCheckpoint() : Effect.void)),
    Schedule.spaced(every)
  ).pipe(Effect.zipRight(Effect.never))

/** A step's outcome as a move: made (true) or not now (false: the active down, the stream closed under it, the mitigation holding); a store failure fails. */
const attempt = <A, E extends { readonly _tag: string }>(step: Effect.Effect<A, E>): Effect.Effect<boolean, StoreFailed> =>
  step.pipe(
    Effect.as(true),
    Effect.catchAll((e) => (e._tag === "StoreFailed" ? Effect.fail(e as unknown as StoreFailed) : Effect.succeed(false)))
  )

/** One move of the stream loop, if one can be made now: true if it made one. */
export const streamMove = (consumer: CdcConsumer, source: ChangeStreamService): Effect.Effect<boolean, StoreFailed> =>
  Effect.gen(function* () {
    const stream = yield* consumer.stream
    if (stream === null) return yield* attempt(consumer.open())
    if (consumer.received !== null) return yield* attempt(consumer.apply())
    if (yield* consumer.canReceive()) return yield* attempt(consumer.receive())
    if (stream.position !== stream.snapEnd || !consumer.mayDeliver(stream, stream.position + 1)) return false
    const ends = yield* source.markerEnds(stream.id)
    // The producer sends the largest snapshot it has (kv_engine sends a checkpoint's whole range).
    if (ends.length === 0) return false
    return yield* attempt(consumer.marker(ends[ends.length - 1]!))
  })

/** The stream loop: moves while it can, then sleeps `idle`, for ever. */
export const streamLoop = (consumer: CdcConsumer, source: ChangeStreamService, idle: Duration.DurationInput): Effect.Effect<never, StoreFailed> =>
  Effect.forever(Effect.flatMap(streamMove(consumer, source), (moved) => (moved ? Effect.yieldNow() : Effect.sleep(idle))))

/** Runs the consumer live in the current scope: the three fibers, interrupted when the scope closes. */
export const runLive = (consumer: CdcConsumer, source: ChangeStreamService, options: LiveOptions): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    yield* Effect.forkScoped(mitigation(consumer, options.observeEvery))
    yield* Effect.forkScoped(checkpointer(consumer, options.checkpointEvery))
    yield* Effect.forkScoped(streamLoop(consumer, source, options.idle))
  })
