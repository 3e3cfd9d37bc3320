/**
 * sidecar's variables (spec/adr/0002-sidecar-recovery.md): the table heads, the manifest (its
 * version and the published version of each table), which operation committed each table
 * version, each writer's progress and sidecar, each sweep's progress, and each operation's audit
 * rows. Node ids are writers (one operation each); sweeps are numbered 1..sweeps.
 */
import { arrayOf, bool, defineState, global, oneOf, perNode, record, uint, type Code, type NextView, type PreView, type StateView } from "../../kit/index.js"

export interface SidecarBounds {
  readonly writers: number
  readonly sweeps: number
}

export const TABLES = 2
export const WRITER_PHASES = ["Start", "SidecarWritten", "CommittedFirst", "CommittedBoth", "Published", "Done", "Crashed", "Aborted"] as const
export const SWEEP_PHASES = ["Idle", "Classified", "Converged", "Failed"] as const
export const DECISIONS = ["None", "Forward", "Back", "Abort"] as const
export const WriterPhase = oneOf(...WRITER_PHASES)
export const SweepPhase = oneOf(...SWEEP_PHASES)
export const Decision = oneOf(...DECISIONS)
export type WriterPhaseCode = Code<(typeof WRITER_PHASES)[number]>
export type DecisionCode = Code<(typeof DECISIONS)[number]>

/** Table versions: each writer commits at most one version of each table. */
const version = (b: SidecarBounds) => uint(b.writers)

export const sidecarVariables = (b: SidecarBounds) => ({
  heads: global(arrayOf(version(b), TABLES)),
  manifest: global(record({ version: uint(255), tables: arrayOf(version(b), TABLES) })),
  /** committedBy[t][v + 1]: the writer whose commit made version v of table t (0: none). */
  committedBy: global(arrayOf(arrayOf(uint(b.writers), b.writers + 1), TABLES)),
  writer: perNode(record({ phase: WriterPhase, seen: uint(255) })),
  sidecar: perNode(record({ pending: bool, expected: arrayOf(version(b), TABLES), target: arrayOf(uint(b.writers + 1), TABLES) })),
  sweep: global(arrayOf(record({ phase: SweepPhase, op: uint(b.writers), decision: Decision, seen: uint(255) }), b.sweeps)),
  audit: perNode(uint(255))
})

export const SidecarState = defineState(sidecarVariables)
type Decl = ReturnType<typeof sidecarVariables>
export type SidecarView = PreView<Decl>
export type SidecarNext = NextView<Decl>
export type SidecarStateView = StateView<Decl>

/** A writer between writing its sidecar and publishing: alive and holding its lease. */
export const live = (phase: WriterPhaseCode) => phase >= WriterPhase.SidecarWritten && phase <= WriterPhase.Published
