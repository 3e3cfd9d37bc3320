/**
 * sidecar's variables (spec/adr/0002-sidecar-recovery.md).
 *
 * What the code can see: each table's head version, the manifest (the published version of each
 * table, and its lineage: which operations' roll-back or publish commits it holds), the write
 * queue's holder of each table, each writer's progress, each sidecar's fields, each sweep's
 * progress, and each operation's audit rows. With identity-aware sidecars (a variant) each table
 * version also carries the id of the operation whose transaction made it.
 *
 * Ghost (for invariants only, never read by an action): which operation's data each table
 * version adds (`author`) and which version a restore version copies (`restoredFrom`). From the
 * two an invariant reads the data a version holds, as the set of operations whose writes it
 * contains (see `contentOf`).
 *
 * Node ids are writers (one operation each); sweeps are numbered 1..sweeps; tables 1..tables.
 * Arrays over versions are indexed version + 1 (version 0 is the initial one).
 */
import { arrayOf, bool, defineState, ghost, global, nodeOrNone, nodeSet, oneOf, perNode, record, uint, type Code, type NextView, type PreView, type StateView } from "../../kit/index.js"

export interface SidecarBounds {
  readonly writers: number
  readonly sweeps: number
  readonly tables: number
}

export const WRITER_PHASES = ["Start", "Armed", "Committed", "Published", "Done", "Crashed", "Failed"] as const
export const SWEEP_PHASES = ["Idle", "Classified", "Converged", "Failed"] as const
/**
 * A sweep's decision on a sidecar: roll forward (publish its versions); roll back (restore and
 * publish its tables); record an outcome that is already visible (a stale sidecar of a finished
 * publish, or a roll-back or publish that the manifest's lineage shows) without writing; or
 * none (the sidecar cannot be resolved now: deferred).
 */
export const DECISIONS = ["None", "Forward", "Back", "DoneForward", "DoneBack"] as const
export const OUTCOMES = ["None", "RolledForward", "RolledBack"] as const
export const WriterPhase = oneOf(...WRITER_PHASES)
export const SweepPhase = oneOf(...SWEEP_PHASES)
export const Decision = oneOf(...DECISIONS)
export const Outcome = oneOf(...OUTCOMES)
export type WriterPhaseCode = Code<(typeof WRITER_PHASES)[number]>
export type DecisionCode = Code<(typeof DECISIONS)[number]>

/**
 * The highest table version: each writer commits a table at most once, and each of its commits
 * is undone by at most one restore version. Steps that would pass it are not taken (the model's
 * only cap). It binds nowhere in the design or its variants but unconditional-restore, whose
 * repeated restores pass it after its counterexample: checked with a cap 3 higher and an
 * invariant that no head passes 2 * writers, at the defaults for every variant and for the
 * design up to 4 writers, 3 sweeps and 3 tables (ADR 0002).
 */
export const maxVersion = (b: SidecarBounds) => 2 * b.writers

export const sidecarVariables = (b: SidecarBounds) => {
  const version = uint(maxVersion(b))
  const perVersion = <T extends Parameters<typeof arrayOf>[0]>(elem: T) => arrayOf(arrayOf(elem, maxVersion(b) + 1), b.tables)
  return {
    heads: global(arrayOf(version, b.tables)),
    /** The published version of each table. */
    manifest: global(arrayOf(version, b.tables)),
    /** The manifest's lineage: operations whose roll-back (or, identity-aware, publish) commit it holds. */
    lineage: global(record({ back: nodeSet, forward: nodeSet })),
    /** The writer holding each table's write-queue slot (0: free). The queue is the writers' process's; sweeps run in other processes. */
    queue: global(arrayOf(nodeOrNone, b.tables)),
    /** Identity-aware sidecars only: the operation whose transaction made each version (0: none or a restore). */
    tag: global(perVersion(nodeOrNone)),
    writer: perNode(record({ phase: WriterPhase, last: uint(b.tables) })),
    /** The intent record: its tables (a bitmask, bit t - 1), and per table the pin (expected) and the post-commit pin (target). */
    sidecar: perNode(record({ pending: bool, tables: uint(2 ** b.tables - 1), expected: arrayOf(version, b.tables), target: arrayOf(version, b.tables) })),
    sweep: global(arrayOf(record({ phase: SweepPhase, op: nodeOrNone, decision: Decision }), b.sweeps)),
    /** The manifest's version of each table that a sweep read when it classified (a roll-back restores and CASes from it). */
    sweepPins: global(arrayOf(arrayOf(version, b.tables), b.sweeps)),
    /** The head of each table that a sweep read when it classified (a conditional restore checks it). */
    sweepHeads: global(arrayOf(arrayOf(version, b.tables), b.sweeps)),
    audit: perNode(record({ rows: uint(255), outcome: Outcome })),
    author: ghost(global(perVersion(nodeOrNone))),
    /** restoredFrom[t][v + 1]: for a restore version, the version it copies, plus 1 (0: not a restore). */
    restoredFrom: ghost(global(perVersion(uint(maxVersion(b) + 1))))
  }
}

export const SidecarState = defineState(sidecarVariables)
type Decl = ReturnType<typeof sidecarVariables>
export type SidecarView = PreView<Decl>
export type SidecarNext = NextView<Decl>
export type SidecarStateView = StateView<Decl>

/** A writer between writing its sidecar and publishing: alive, and holding its queue slots. */
export const live = (phase: WriterPhaseCode) => phase >= WriterPhase.Armed && phase <= WriterPhase.Published

export const inMask = (mask: number, t: number) => (mask & (1 << (t - 1))) !== 0

/** The data version v of table t holds: the set of operations whose writes it contains, as a bitmask (bit w - 1). */
export function contentOf(s: SidecarStateView, t: number, v: number): number {
  let mask = 0
  while (v > 0) {
    const from = s.restoredFrom.at(t, v + 1)
    if (from > 0) {
      v = from - 1
      continue
    }
    const by = s.author.at(t, v + 1)
    if (by > 0) mask |= 1 << (by - 1)
    v--
  }
  return mask
}
