/**
 * The rollback protocol's variables: RaftMongo's, plus what each server holds itself:
 *
 * - its view of who leads in its current term (learned from heartbeats, lost when its term moves);
 * - its key versions: the writes its store serves, applied in the step that logs them, so they
 *   differ from the log only while a rollback restores them, or after a crash in between;
 * - its rollback coordinator's volatile progress (phase, source, common point, watermark, rejoin
 *   term; lost in a crash);
 * - its durable rollback files and the "event pending" marker written with them (the entries an
 *   operator event still has to name).
 *
 * Two ghosts record history for the invariants only: the operator events each server emitted and
 * the entries removed from each server's log.
 */
import { defineState, ghost, nodeId, nodeOrNone, oneOf, perNode, record, seqOf, setOf, uint, type Code, type NextView, type PreView, type ReadableOf, type StateView } from "../../kit/index.js"
import { entry, logCapacity, raftMongoVariables, type RaftBounds } from "../raftmongo/state.js"

/**
 * The coordinator's phases, in order. KeysRestored is the one in which it holds the term lock:
 * from the check of its plan until the log is truncated, the server takes no new term and casts no
 * vote.
 */
export const PHASES = ["Idle", "Planned", "Persisted", "KeysRestored", "Recovered", "Emitted"] as const
export const Phase = oneOf(...PHASES)
/** A phase as views read and write it. */
export type PhaseCode = Code<(typeof PHASES)[number]>
export const phaseName = (code: number): string => PHASES[code] ?? `phase ${code}`

/** No server: a leader view that knows no leader in the server's current term. */
export const NO_LEADER = 0

export const rollbackVariables = (b: RaftBounds) => ({
  ...raftMongoVariables(b),
  /** The server that this server believes leads in its current term; NO_LEADER when it knows none. */
  leaderView: perNode(nodeOrNone),
  /** The writes this server's store serves, one per log entry it applied (by term, as the log holds them). */
  keyVersions: perNode(seqOf(record({ term: uint(b.maxTerm + 1) }), logCapacity(b))),
  rollback: perNode(
    record({
      phase: Phase,
      /** The server the plan was made against; the server itself while idle. */
      source: nodeId,
      commonPoint: uint(logCapacity(b)),
      /** The learned commit point's index when the plan was made. */
      watermark: uint(logCapacity(b)),
      /** The server's term when the plan was made (the term in which it believed the source led). */
      rejoinTerm: uint(b.maxTerm + 1)
    })
  ),
  /** Durable: every entry ever saved to the server's rollback files. */
  rollbackFiles: perNode(setOf(entry(b))),
  /** Durable: the saved entries whose operator event is still to be emitted (the "event pending" marker). */
  pendingEvent: perNode(setOf(entry(b))),
  /** History: the entries named by the operator events each server emitted (an output no step reads). */
  events: ghost(perNode(setOf(entry(b)))),
  /** History: the entries removed from each server's log. */
  removed: ghost(perNode(setOf(entry(b))))
})

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

/** Does server i's log hold the entry (term, index)? */
export const holdsEntry = (s: PreView<Decl> | StateView<Decl>, i: number, term: number, index: number): boolean =>
  s.log.length(i) >= index && s.log.term(i, index) === term

