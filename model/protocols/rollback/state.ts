/**
 * The rollback protocol's variables: RaftMongo's, plus each server's rollback coordinator (its
 * volatile progress: phase, source, common point, watermark, rejoin term) and its durable
 * rollback files (the [term, index] entries written before a truncation).
 */
import { defineState, nodeId, oneOf, perNode, record, setOf, uint, type Code, type NextView, type PreView, type ReadableOf, type StateView } from "../../kit/index.js"
import { entry, logCapacity, raftMongoVariables, type RaftBounds } from "../raftmongo/state.js"

/** The coordinator's phases, in order. */
export const PHASES = ["Idle", "Planned", "Persisted", "Recovered", "Emitted"] as const
export const Phase = oneOf(...PHASES)
/** A phase as views read and write it. */
export type PhaseCode = Code<(typeof PHASES)[number]>
/** A phase's name, for messages (code 5 is the Checked phase variant recover-check-then-truncate appends). */
export const phaseName = (code: number): string => PHASES[code] ?? (code === PHASES.length ? "Checked" : `phase ${code}`)

/** The variables, with the coordinator's phases given (a variant may add one). */
export const rollbackVariablesWith =
  <P extends string>(phases: readonly P[]) =>
  (b: RaftBounds) => ({
    ...raftMongoVariables(b),
    rollback: perNode(
      record({
        phase: oneOf(...phases),
        /** The server the plan was made against; the server itself while idle. */
        source: nodeId,
        commonPoint: uint(logCapacity(b)),
        /** The learned commit point's index when the plan was made. */
        watermark: uint(logCapacity(b)),
        /** The source's term when the plan was made. */
        rejoinTerm: uint(b.maxTerm + 1)
      })
    ),
    rollbackFiles: perNode(setOf(entry(b)))
  })

export const rollbackVariables = rollbackVariablesWith(PHASES)
export const RollbackState = defineState(rollbackVariables)
/** A readable rollback state. */
export type ReadableRollbackState = ReadableOf<typeof RollbackState>

type Decl = ReturnType<typeof rollbackVariables>
export type RollbackView = PreView<Decl>
export type RollbackNext = NextView<Decl>
export type RollbackStateView = StateView<Decl>

/** The coordinator at rest: phase Idle, source itself, everything else 0 (its volatile progress lost). */
export function resetCoordinator(t: RollbackNext, i: number): void {
  t.rollback.setPhase(i, Phase.Idle)
  t.rollback.setSource(i, i)
  t.rollback.setCommonPoint(i, 0)
  t.rollback.setWatermark(i, 0)
  t.rollback.setRejoinTerm(i, 0)
}
