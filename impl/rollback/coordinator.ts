/**
 * RollbackCoordinator: the steps of ADR 0001 as a pure state machine (`next` says what to do,
 * `advance` takes the result), driven by `run` against the RollbackTransport service. Every step
 * is safe to repeat after a crash: the plan is recomputed from durable state, the rollback file
 * name depends only on the tail, and recovery to the same LSN is idempotent.
 */
import { Effect, Either } from "effect"
import { StalePlan, type RollbackError } from "./errors.js"
import { RollbackPlan } from "./plan.js"
import { RollbackTransport } from "./transport.js"
import type { LogEntry, RollbackEvent, RollbackInput, RollbackPlan as Plan } from "./types.js"

export type CoordinatorState =
  | { readonly phase: "planned"; readonly plan: Plan }
  | { readonly phase: "tail-read"; readonly plan: Plan; readonly tail: readonly LogEntry[] }
  | { readonly phase: "persisted"; readonly plan: Plan; readonly tail: readonly LogEntry[]; readonly file: string }
  | { readonly phase: "recovered"; readonly plan: Plan; readonly tail: readonly LogEntry[]; readonly file: string }
  | { readonly phase: "emitted"; readonly plan: Plan; readonly file: string }
  | { readonly phase: "rejoined"; readonly plan: Plan; readonly file: string }

export type Command =
  | { readonly kind: "read-tail"; readonly fromExclusive: number; readonly toInclusive: number }
  | { readonly kind: "persist"; readonly tail: readonly LogEntry[] }
  | { readonly kind: "recover"; readonly target: number }
  | { readonly kind: "emit"; readonly event: RollbackEvent }
  | { readonly kind: "rejoin"; readonly primary: number; readonly term: number }
  | { readonly kind: "done" }

/** What the coordinator does next in `state` (pure). */
export function next(state: CoordinatorState): Command {
  const p = state.plan
  switch (state.phase) {
    case "planned":
      return { kind: "read-tail", fromExclusive: p.commonPoint, toInclusive: p.tailTo }
    case "tail-read":
      return { kind: "persist", tail: state.tail }
    case "persisted":
      return { kind: "recover", target: p.commonPoint }
    case "recovered":
      return {
        kind: "emit",
        event: { kind: "rollback", node: p.node, source: p.source, rejoinTerm: p.rejoinTerm, commonPoint: p.commonPoint, removed: state.tail.length, rollbackFile: state.file }
      }
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

export const RollbackCoordinator = {
  /** Plans, then runs every step against the transport; fails with the first step's typed error. */
  run: Effect.fn("RollbackCoordinator.run")(function* (input: RollbackInput) {
    const transport = yield* RollbackTransport
    const planned = RollbackPlan.compute(input)
    if (Either.isLeft(planned)) return yield* planned.left
    let state: CoordinatorState = { phase: "planned", plan: planned.right }
    const phases: CoordinatorState["phase"][] = ["planned"]
    for (;;) {
      const command = next(state)
      const result: unknown =
        command.kind === "read-tail"
          ? yield* transport.readDivergentTail(command.fromExclusive, command.toInclusive)
          : command.kind === "persist"
            ? yield* transport.persistRollbackFile(command.tail)
            : command.kind === "recover"
              ? yield* Effect.gen(function* () {
                  const p = state.plan
                  if (!(yield* transport.planStillCurrent(p.source, p.rejoinTerm))) return yield* new StalePlan({ primary: p.source, term: p.rejoinTerm })
                  return yield* transport.recoverToLsn(command.target)
                })
              : command.kind === "emit"
                ? yield* transport.emitRollbackEvent(command.event)
                : command.kind === "rejoin"
                  ? yield* transport.rejoinAsReplica(command.primary, command.term)
                  : undefined
      if (command.kind === "done") break
      state = advance(state, result)
      phases.push(state.phase)
    }
    return { plan: state.plan, rollbackFile: "file" in state ? state.file : "", phases } satisfies RollbackOutcome
  }) as (input: RollbackInput) => Effect.Effect<RollbackOutcome, RollbackError, RollbackTransport>
}
