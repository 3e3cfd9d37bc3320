/**
 * RollbackCoordinator: the steps of ADR 0001 as a pure state machine (`next` says what to do,
 * `advance` takes the result), driven by `run` against the RollbackTransport service, and
 * `resume`, the startup step after a crash.
 *
 * What makes it safe to stop anywhere (a crash, or an error):
 * - the rollback file and the "event pending" marker are written before anything is removed;
 * - the plan is re-checked on the node's own view under the term lock, which the node holds from
 *   the check until the log is truncated (no new term, no vote in between); at the truncation the
 *   node also re-checks the commit point it has learned by now;
 * - key versions are restored before the log is truncated, so the store never serves a write the
 *   log has lost; `resume` replays the log into the key versions, so after a crash between the
 *   two they match the log again;
 * - `resume` settles a pending event: it is emitted when the log lost the entries it names, and
 *   dropped when the crash came before the truncation. Emitting is idempotent.
 */
import { Effect, Either } from "effect"
import { EventPending, StalePlan, type RollbackError } from "./errors.js"
import { RollbackPlan } from "./plan.js"
import { RollbackTransport } from "./transport.js"
import type { LogEntry, RollbackEvent, RollbackInput, RollbackPlan as Plan } from "./types.js"

export type CoordinatorState =
  | { readonly phase: "planned"; readonly plan: Plan }
  | { readonly phase: "tail-read"; readonly plan: Plan; readonly tail: readonly LogEntry[] }
  | { readonly phase: "persisted"; readonly plan: Plan; readonly tail: readonly LogEntry[]; readonly file: string }
  | { readonly phase: "keys-restored"; readonly plan: Plan; readonly tail: readonly LogEntry[]; readonly file: string }
  | { readonly phase: "recovered"; readonly plan: Plan; readonly tail: readonly LogEntry[]; readonly file: string }
  | { readonly phase: "emitted"; readonly plan: Plan; readonly file: string }
  | { readonly phase: "rejoined"; readonly plan: Plan; readonly file: string }

export type Command =
  | { readonly kind: "read-tail"; readonly fromExclusive: number; readonly toInclusive: number }
  | { readonly kind: "persist"; readonly tail: readonly LogEntry[]; readonly event: (file: string) => RollbackEvent }
  | { readonly kind: "restore-keys"; readonly target: number; readonly primary: number; readonly term: number }
  | { readonly kind: "truncate"; readonly target: number; readonly primary: number; readonly term: number }
  | { readonly kind: "emit"; readonly event: RollbackEvent }
  | { readonly kind: "rejoin"; readonly primary: number; readonly term: number }
  | { readonly kind: "done" }

/** The event a rollback owes: it names every entry of the tail. */
export function rollbackEvent(plan: Plan, tail: readonly LogEntry[], file: string): RollbackEvent {
  return {
    kind: "rollback",
    node: plan.node,
    source: plan.source,
    rejoinTerm: plan.rejoinTerm,
    commonPoint: plan.commonPoint,
    removed: tail.map((e) => ({ lsn: e.lsn, term: e.term })),
    rollbackFile: file
  }
}

/** What the coordinator does next in `state` (pure). */
export function next(state: CoordinatorState): Command {
  const p = state.plan
  switch (state.phase) {
    case "planned":
      return { kind: "read-tail", fromExclusive: p.commonPoint, toInclusive: p.tailTo }
    case "tail-read":
      return { kind: "persist", tail: state.tail, event: (file) => rollbackEvent(p, state.tail, file) }
    case "persisted":
      return { kind: "restore-keys", target: p.commonPoint, primary: p.source, term: p.rejoinTerm }
    case "keys-restored":
      return { kind: "truncate", target: p.commonPoint, primary: p.source, term: p.rejoinTerm }
    case "recovered":
      return { kind: "emit", event: rollbackEvent(p, state.tail, state.file) }
    case "emitted":
      return { kind: "rejoin", primary: p.source, term: p.rejoinTerm }
    case "rejoined":
      return { kind: "done" }
  }
}

/** The state after `next(state)` succeeded with `result` (pure). */
export function advance(state: CoordinatorState, result: unknown): CoordinatorState {
  switch (state.phase) {
    case "planned":
      return { phase: "tail-read", plan: state.plan, tail: result as readonly LogEntry[] }
    case "tail-read":
      return { phase: "persisted", plan: state.plan, tail: state.tail, file: result as string }
    case "persisted":
      return { phase: "keys-restored", plan: state.plan, tail: state.tail, file: state.file }
    case "keys-restored":
      return { phase: "recovered", plan: state.plan, tail: state.tail, file: state.file }
    case "recovered":
      return { phase: "emitted", plan: state.plan, file: state.file }
    case "emitted":
      return { phase: "rejoined", plan: state.plan, file: state.file }
    case "rejoined":
      return state
  }
}

export interface RollbackOutcome {
  readonly plan: Plan
  readonly rollbackFile: string
  /** Every phase the coordinator went through, in order (for traces). */
  readonly phases: readonly CoordinatorState["phase"][]
}

/** What `resume` did with a pending event. */
export type Resumed = { readonly kind: "nothing-pending" } | { readonly kind: "emitted"; readonly event: RollbackEvent } | { readonly kind: "dropped"; readonly event: RollbackEvent }

const holds = (log: readonly LogEntry[], e: { readonly lsn: number; readonly term: number }) => log.some((x) => x.lsn === e.lsn && x.term === e.term)

/** Does the node still believe the plan's primary leads in the plan's term? (Unknown: no.) */
const planStillCurrent = (primary: number, term: number) =>
  Effect.gen(function* () {
    const view = yield* (yield* RollbackTransport).leaderView()
    return view !== null && view.primary === primary && view.term === term
  })

/** Nothing is removed after all: the key versions catch up with the log and no event is owed. */
const abandon = Effect.gen(function* () {
  const transport = yield* RollbackTransport
  yield* transport.replayKeyVersions()
  yield* transport.clearEventPending()
})

/** Runs one command against the transport (the truncation's re-check included); its result for `advance`. */
export const runCommand = (command: Command) =>
  Effect.gen(function* () {
    const transport = yield* RollbackTransport
    switch (command.kind) {
      case "read-tail":
        return yield* transport.readDivergentTail(command.fromExclusive, command.toInclusive)
      case "persist": {
        const file = yield* transport.persistRollbackFile(command.tail)
        yield* transport.markEventPending(command.event(file))
        return file
      }
      case "restore-keys": {
        if (!(yield* planStillCurrent(command.primary, command.term))) {
          yield* abandon
          return yield* new StalePlan({ primary: command.primary, term: command.term })
        }
        return yield* transport.restoreKeyVersions(command.target)
      }
      case "truncate": {
        if (!(yield* planStillCurrent(command.primary, command.term))) {
          yield* abandon
          return yield* new StalePlan({ primary: command.primary, term: command.term })
        }
        return yield* transport.truncateLog(command.target).pipe(Effect.tapErrorTag("CommitPointMoved", () => abandon))
      }
      case "emit": {
        yield* transport.emitRollbackEvent(command.event)
        return yield* transport.clearEventPending()
      }
      case "rejoin":
        return yield* transport.rejoinAsReplica(command.primary, command.term)
      case "done":
        return undefined
    }
  })

export const RollbackCoordinator = {
  /**
   * Plans, then runs every step against the transport; fails with the first step's typed error.
   * Refuses (EventPending) while an earlier rollback's event is owed: call `resume` first.
   */
  run: Effect.fn("RollbackCoordinator.run")(function* (input: RollbackInput) {
    const transport = yield* RollbackTransport
    const owed = yield* transport.pendingEvent()
    if (owed !== null) return yield* new EventPending({ rollbackFile: owed.rollbackFile })
    const planned = RollbackPlan.compute(input)
    if (Either.isLeft(planned)) return yield* planned.left
    let state: CoordinatorState = { phase: "planned", plan: planned.right }
    const phases: CoordinatorState["phase"][] = ["planned"]
    for (;;) {
      const command = next(state)
      if (command.kind === "done") break
      // The term lock is held from the check of the plan through the truncation.
      const result: unknown =
        command.kind === "restore-keys"
          ? yield* transport.withTermLock(
              Effect.gen(function* () {
                yield* runCommand(command)
                state = advance(state, undefined)
                phases.push(state.phase)
                return yield* runCommand(next(state))
              })
            )
          : yield* runCommand(command)
      state = advance(state, result)
      phases.push(state.phase)
    }
    return { plan: state.plan, rollbackFile: "file" in state ? state.file : "", phases } satisfies RollbackOutcome
  }) as (input: RollbackInput) => Effect.Effect<RollbackOutcome, RollbackError, RollbackTransport>,

  /**
   * The startup step after a crash: releases a term lock the crashed process left, replays the log
   * into the key versions, and settles a pending event (emitted if the log lost its entries,
   * dropped if the crash came before the truncation).
   */
  resume: Effect.fn("RollbackCoordinator.resume")(function* () {
    const transport = yield* RollbackTransport
    yield* transport.releaseStaleTermLock()
    yield* transport.replayKeyVersions()
    const owed = yield* transport.pendingEvent()
    if (owed === null) return { kind: "nothing-pending" } satisfies Resumed as Resumed
    const log = yield* transport.readLog()
    const lost = owed.removed.filter((e) => !holds(log, e))
    if (lost.length > 0) yield* transport.emitRollbackEvent({ ...owed, removed: lost })
    yield* transport.clearEventPending()
    return (lost.length > 0 ? { kind: "emitted", event: { ...owed, removed: lost } } : { kind: "dropped", event: owed }) satisfies Resumed as Resumed
  }) as () => Effect.Effect<Resumed, RollbackError, RollbackTransport>
}
