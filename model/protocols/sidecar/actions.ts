/**
 * The writers' and the sweeps' steps. A writer writes its sidecar (intent record), commits each
 * table conditionally, publishes the manifest with a compare-and-swap and deletes the sidecar,
 * and may crash after any phase. A sweep classifies a pending sidecar, applies its decision (roll
 * forward: publish; roll back: restore the tables; abort) and finishes (deletes it, audit row).
 * The design choices the variants change are `SidecarRules`.
 */
import { between, nodes, type Action } from "../../kit/index.js"
import { Decision, live, SidecarState, SweepPhase, TABLES, WRITER_PHASES, SWEEP_PHASES, WriterPhase, type DecisionCode, type SidecarNext, type SidecarView, type WriterPhaseCode } from "./state.js"

/** Design choices the variants change. */
export interface SidecarRules {
  /** A sweep may classify only sidecars whose writer is gone (crashed or aborted): the lease. */
  readonly leaseRequired: boolean
  /** Every writer heals first: it starts only when no dead writer's sidecar is pending. */
  readonly healFirst: boolean
  /** A writer's expected versions are the manifest's (published) rather than the table heads. */
  readonly expectPublished: boolean
  /** A sweep publishes a roll-forward with a compare-and-swap (rather than a blind write). */
  readonly sweepPublishCas: boolean
  /** What a sweep does when its roll-forward CAS loses: "reread" (converge or defer), or "fail" the open. */
  readonly onCasLoss: "reread" | "fail"
  /** A roll-forward publishes the sidecar's versions (rather than only deleting the sidecar). */
  readonly forwardPublishes: boolean
  /** Finishing appends an audit row only if this sweep deletes the sidecar. */
  readonly auditOnlyIfDeleted: boolean
  /**
   * A sidecar none of whose versions is any table's head (its op left nothing visible) is
   * aborted: deleted with an audit row. Without this, such a sidecar is "unexpected" forever.
   */
  readonly abortWhenNothingVisible: boolean
  /**
   * A sidecar whose versions (or newer ones) the manifest already published belongs to an op that
   * completed its publish: the sweep only deletes it, never rolls it back.
   */
  readonly publishedMeansDone: boolean
}

export const baseSidecarRules: SidecarRules = {
  leaseRequired: true,
  healFirst: true,
  expectPublished: true,
  sweepPublishCas: true,
  onCasLoss: "reread",
  forwardPublishes: true,
  auditOnlyIfDeleted: true,
  abortWhenNothingVisible: true,
  publishedMeansDone: true
}

type View = SidecarView

/** The manifest holds op w's versions or newer ones: the op's publish already happened. */
export function publishedOrNewer(s: View, w: number): boolean {
  for (let t = 1; t <= TABLES; t++) if (s.manifest.tables.at(t) < s.sidecar.target.at(w, t)) return false
  return true
}

/** The manifest holds exactly op w's versions. */
export function publishedIs(s: View, w: number): boolean {
  for (let t = 1; t <= TABLES; t++) if (s.manifest.tables.at(t) !== s.sidecar.target.at(w, t)) return false
  return true
}

/** Does table t's head hold op w's target version, committed by w? */
const rolledPast = (s: View, w: number, t: number) => {
  const target = s.sidecar.target.at(w, t)
  return s.heads.at(t) === target && s.committedBy.at(t, target + 1) === w
}

/**
 * How a sweep classifies op w's sidecar now, table by table: rolled past expected (the head is
 * this op's version), no movement (the head is the expected version), or unexpected (another op
 * moved the table). Every table past: Forward; some: Back (restore those); none: Abort (nothing
 * of this op is visible). With abortWhenNothingVisible off, an unexpected table defers (None).
 */
export function classify(rules: SidecarRules, s: View, w: number): DecisionCode {
  if (rules.publishedMeansDone && publishedOrNewer(s, w)) return Decision.Forward
  let past = 0
  let unexpected = false
  for (let t = 1; t <= TABLES; t++) {
    if (rolledPast(s, w, t)) past++
    else if (s.heads.at(t) !== s.sidecar.expected.at(w, t)) unexpected = true
  }
  if (!rules.abortWhenNothingVisible) return unexpected ? Decision.None : past === TABLES ? Decision.Forward : Decision.Back
  return past === TABLES ? Decision.Forward : past > 0 ? Decision.Back : Decision.Abort
}

function publish(t: SidecarNext, w: number): void {
  t.manifest.version = t.manifest.version + 1
  for (let k = 1; k <= TABLES; k++) t.manifest.tables.set(k, t.sidecar.target.at(w, k))
}

const writerIn = (...phases: WriterPhaseCode[]) =>
  [
    (s: View, a: { w: number }) => phases.includes(s.writer.phase(a.w)),
    "wrong-phase",
    (s: View, a: { w: number }) => `writer ${a.w} is ${WRITER_PHASES[s.writer.phase(a.w)]}, not ${phases.map((p) => WRITER_PHASES[p]).join(" or ")}`
  ] as const
const sweepIn = (phase: (typeof SweepPhase)["Idle" | "Classified" | "Converged"]) =>
  [
    (s: View, a: { sweep: number }) => s.sweep.phase(a.sweep) === phase,
    "wrong-phase",
    (s: View, a: { sweep: number }) => `sweep ${a.sweep} is ${SWEEP_PHASES[s.sweep.phase(a.sweep)]}, not ${SWEEP_PHASES[phase]}`
  ] as const

export function sidecarActions(b: { sweeps: number }, rules: SidecarRules): Array<Action<View, SidecarNext>> {
  const maxVersion = (s: View) => s.nodeCount
  return [
    SidecarState.action("WriteSidecar")
      .exists("w", nodes)
      .require(...writerIn(WriterPhase.Start))
      .require(
        (s) => {
          if (!rules.healFirst) return true
          for (let o = 1; o <= s.nodeCount; o++) if (s.sidecar.pending(o) && !live(s.writer.phase(o))) return false
          return true
        },
        "heal-first",
        "a dead writer's sidecar is still pending (heal first)"
      )
      .then((t, a, s) => {
        t.writer.setPhase(a.w, WriterPhase.SidecarWritten)
        t.writer.setSeen(a.w, s.manifest.version)
        for (let k = 1; k <= TABLES; k++) {
          const expected = rules.expectPublished ? s.manifest.tables.at(k) : s.heads.at(k)
          t.sidecar.expected.set(a.w, k, expected)
          t.sidecar.target.set(a.w, k, expected + 1)
        }
        t.sidecar.setPending(a.w, true)
      }),
    SidecarState.action("CommitTable")
      .exists("w", nodes)
      .require(...writerIn(WriterPhase.SidecarWritten, WriterPhase.CommittedFirst))
      .exists("table", between<View, { w: number }>((s, a) => (s.writer.phase(a.w) === WriterPhase.SidecarWritten ? 1 : 2), (s, a) => (s.writer.phase(a.w) === WriterPhase.SidecarWritten ? 1 : 2)))
      .then((t, a, s) => {
        const k = a.table
        const target = s.sidecar.target.at(a.w, k)
        // A conditional commit: the table must still be at the expected version.
        if (s.heads.at(k) === s.sidecar.expected.at(a.w, k) && target <= maxVersion(s)) {
          t.heads.set(k, target)
          t.committedBy.set(k, target + 1, a.w)
          t.writer.setPhase(a.w, k === 1 ? WriterPhase.CommittedFirst : WriterPhase.CommittedBoth)
        } else t.writer.setPhase(a.w, WriterPhase.Aborted)
      }),
    SidecarState.action("PublishManifest")
      .exists("w", nodes)
      .require(...writerIn(WriterPhase.CommittedBoth))
      .then((t, a, s) => {
        if (s.manifest.version === s.writer.seen(a.w)) {
          publish(t, a.w)
          t.writer.setPhase(a.w, WriterPhase.Published)
        } else t.writer.setPhase(a.w, WriterPhase.Aborted)
      }),
    SidecarState.action("DeleteSidecar")
      .exists("w", nodes)
      .require(...writerIn(WriterPhase.Published))
      .then((t, a) => {
        t.sidecar.setPending(a.w, false)
        t.writer.setPhase(a.w, WriterPhase.Done)
      }),
    SidecarState.action("CrashWriter")
      .exists("w", nodes)
      .require((s, a) => live(s.writer.phase(a.w)), "not-live", (s, a) => `writer ${a.w} is ${WRITER_PHASES[s.writer.phase(a.w)]}, not between its sidecar and its publish`)
      .then((t, a) => t.writer.setPhase(a.w, WriterPhase.Crashed)),
    SidecarState.action("SweepClassify")
      .exists("sweep", between(1, b.sweeps))
      .require(...sweepIn(SweepPhase.Idle))
      .exists("w", nodes)
      .require((s, a) => s.sidecar.pending(a.w), "no-sidecar", "writer {w} has no pending sidecar")
      .require((s, a) => !rules.leaseRequired || !live(s.writer.phase(a.w)), "leased", "writer {w} is alive and holds its lease")
      .let("decision", (s, a) => classify(rules, s, a.w))
      .require((_s, a) => a.decision !== Decision.None, "deferred", "writer {w}'s sidecar cannot be classified now (a table moved on without it)")
      .then((t, a, s) => {
        t.sweep.setPhase(a.sweep, SweepPhase.Classified)
        t.sweep.setOp(a.sweep, a.w)
        t.sweep.setDecision(a.sweep, a.decision)
        t.sweep.setSeen(a.sweep, s.manifest.version)
      }),
    SidecarState.action("SweepApply")
      .exists("sweep", between(1, b.sweeps))
      .require(...sweepIn(SweepPhase.Classified))
      .then((t, a, s) => {
        const w = s.sweep.op(a.sweep)
        const decision = s.sweep.decision(a.sweep)
        if (decision === Decision.Forward && !rules.forwardPublishes) t.sweep.setPhase(a.sweep, SweepPhase.Converged)
        else if (decision === Decision.Forward) {
          if (rules.publishedMeansDone && publishedOrNewer(s, w) && s.sweep.seen(a.sweep) === s.manifest.version) {
            // Classified as already published, and nothing was published since: just converge.
            t.sweep.setPhase(a.sweep, SweepPhase.Converged)
          } else if (!rules.sweepPublishCas || s.manifest.version === s.sweep.seen(a.sweep)) {
            publish(t, w)
            t.sweep.setPhase(a.sweep, SweepPhase.Converged)
          } else if (rules.onCasLoss === "fail") t.sweep.setPhase(a.sweep, SweepPhase.Failed)
          // The CAS lost: re-read the manifest; converge if it holds the goal (or newer), else defer.
          else if (publishedOrNewer(s, w)) t.sweep.setPhase(a.sweep, SweepPhase.Converged)
          else t.sweep.setPhase(a.sweep, SweepPhase.Idle)
        } else if (decision === Decision.Abort) t.sweep.setPhase(a.sweep, SweepPhase.Converged)
        else {
          // Roll back: restore each table that still holds this op's version.
          for (let k = 1; k <= TABLES; k++) if (rolledPast(s, w, k)) t.heads.set(k, s.sidecar.expected.at(w, k))
          t.sweep.setPhase(a.sweep, SweepPhase.Converged)
        }
      }),
    SidecarState.action("SweepFinish")
      .exists("sweep", between(1, b.sweeps))
      .require(...sweepIn(SweepPhase.Converged))
      .then((t, a, s) => {
        const w = s.sweep.op(a.sweep)
        const pending = s.sidecar.pending(w)
        if (pending) t.sidecar.setPending(w, false)
        if ((pending || !rules.auditOnlyIfDeleted) && s.audit(w) < 255) t.setAudit(w, s.audit(w) + 1)
        t.sweep.setPhase(a.sweep, SweepPhase.Idle)
        t.sweep.setOp(a.sweep, 0)
        t.sweep.setDecision(a.sweep, Decision.None)
        t.sweep.setSeen(a.sweep, 0)
      })
  ]
}
