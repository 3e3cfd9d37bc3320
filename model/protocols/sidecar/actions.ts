/**
 * The writers' and the sweeps' steps, as Omnigraph's multi-table write and recovery sweep do them
 * (spec/adr/0002-sidecar-recovery.md).
 *
 * A writer heals first (rolls forward any dead writer's sidecar that can be, in its own process),
 * takes the write-queue slots of the tables it writes, writes its sidecar (the intent record),
 * commits each table conditionally (one version each), publishes with a compare-and-swap on the
 * published versions of its tables, deletes its sidecar and frees its slots. It may crash at any
 * point after the sidecar, which frees its slots and leaves the sidecar for recovery.
 *
 * A sweep (another process opening the store) classifies a pending sidecar from what it can read
 * (table heads, published versions, the manifest's lineage and the sidecar's own fields), applies
 * the decision (roll forward: publish; roll back: append a restore version to each table that
 * moved and publish it), and finishes: deletes the sidecar and appends the audit row in one step,
 * only if the sidecar is still there. Classification never reads ghost state: which operation's
 * data a version holds is known to the invariants only.
 *
 * The design choices the variants change are `SidecarRules`.
 */
import { between, nodes, type Action } from "../../kit/index.js"
import { Decision, inMask, live, maxVersion, Outcome, SidecarState, SweepPhase, SWEEP_PHASES, WriterPhase, WRITER_PHASES, type DecisionCode, type SidecarBounds, type SidecarNext, type SidecarView, type WriterPhaseCode } from "./state.js"

/** Design choices the variants change. */
export interface SidecarRules {
  /**
   * What a writer does about dead writers' sidecars before it writes: "barrier" (roll forward
   * what it can, and refuse to write while any other is left: Omnigraph's RecoveryRequired);
   * "defer" (roll forward what it can and write anyway); "none".
   */
  readonly heal: "barrier" | "defer" | "none"
  /** Writers of a table are serialised: a writer holds its tables' slots from its sidecar to its end. */
  readonly writeQueue: boolean
  /**
   * A roll-back's restore of a table is conditional on the table's head still being the one the
   * sweep classified against (else the sweep defers). Without it a restore, which appends a copy
   * whatever the head is, can bury a commit made since.
   */
  readonly conditionalRestore: boolean
  /**
   * Identity-aware sidecars: each version carries its operation's id, and the manifest's lineage
   * the operation's publish; classification asks them instead of matching version numbers.
   */
  readonly identity: boolean
  /** A roll-back's publish records the operation in the manifest's lineage, and classification asks it first. */
  readonly restoreGuard: boolean
  /** A sweep may classify only sidecars whose writer is gone (crashed or failed): the lease. */
  readonly leaseRequired: boolean
  /** A sweep publishes a roll-forward with a compare-and-swap (rather than a blind write). */
  readonly sweepPublishCas: boolean
  /** What a sweep does when its roll-forward CAS loses: "reread" (converge or defer), or "fail" the open. */
  readonly onCasLoss: "reread" | "fail"
  /** A roll-forward publishes the sidecar's versions (rather than only deleting the sidecar). */
  readonly forwardPublishes: boolean
  /** Finishing appends an audit row only if this sweep deletes the sidecar. */
  readonly auditOnlyIfDeleted: boolean
  /** A table that another operation moved makes the sidecar a roll-back (rather than deferring it). */
  readonly unexpectedRollsBack: boolean
}

export const baseSidecarRules: SidecarRules = {
  heal: "barrier",
  writeQueue: true,
  conditionalRestore: true,
  identity: false,
  restoreGuard: true,
  leaseRequired: true,
  sweepPublishCas: true,
  onCasLoss: "reread",
  forwardPublishes: true,
  auditOnlyIfDeleted: true,
  unexpectedRollsBack: true
}

type View = SidecarView

/** The published version of every table of op w's sidecar is at least its post-commit pin (Omnigraph's "intent satisfied"). */
export function publishedReachesTarget(s: View, w: number): boolean {
  const tables = s.sidecar.tables(w)
  for (let t = 1; t <= s.heads.length; t++) if (inMask(tables, t) && s.manifest.at(t) < s.sidecar.target.at(w, t)) return false
  return true
}

/**
 * How a sweep classifies op w's sidecar now, from what it can read.
 *
 * Identity-blind (Omnigraph's strict mode): per table, the head is the published version (no
 * movement), or one past it with the sidecar's pin equal to the published version and its
 * post-commit pin equal to the head (rolled past expected), or anything else (unexpected). All
 * rolled past: roll forward. Else, if no table moved and some published version is past the
 * sidecar's pin, the operation's publish happened and only its sidecar is left (done forward).
 * Else roll back (a table moved by another operation too, unless `unexpectedRollsBack` is off,
 * which defers). With the restore guard, a roll-back already in the lineage comes first.
 *
 * Identity-aware: the lineage first (a publish or a roll-back of this operation is visible: done);
 * then per table, whether the head's transaction is the operation's own. All own, and pins
 * aligned: roll forward. Else roll back (restoring only the tables whose head is its own).
 */
export function classify(rules: SidecarRules, s: View, w: number): DecisionCode {
  const tables = s.sidecar.tables(w)
  const T = s.heads.length
  if (rules.identity) {
    if (s.lineage.forward.has(w)) return Decision.DoneForward
    if (s.lineage.back.has(w)) return Decision.DoneBack
    let foreign = false
    for (let t = 1; t <= T; t++) {
      if (!inMask(tables, t)) continue
      if (s.tag.at(t, s.heads.at(t) + 1) !== w || s.manifest.at(t) !== s.sidecar.expected.at(w, t)) foreign = true
    }
    return foreign ? Decision.Back : Decision.Forward
  }
  if (rules.restoreGuard && s.lineage.back.has(w)) return Decision.DoneBack
  let past = 0
  let moved = 0
  let unexpected = 0
  let pinPassed = false
  let count = 0
  for (let t = 1; t <= T; t++) {
    if (!inMask(tables, t)) continue
    count++
    const head = s.heads.at(t)
    const pin = s.manifest.at(t)
    if (pin > s.sidecar.expected.at(w, t)) pinPassed = true
    if (head === pin) continue
    moved++
    if (head === pin + 1 && s.sidecar.expected.at(w, t) === pin && s.sidecar.target.at(w, t) === head) past++
    else unexpected++
  }
  if (past === count) return Decision.Forward
  if (moved === 0 && pinPassed) return Decision.DoneForward
  if (unexpected > 0 && !rules.unexpectedRollsBack) return Decision.None
  return Decision.Back
}

/** Publishes op w's post-commit pins on its tables (with identity: and its publish in the lineage). */
function publishForward(rules: SidecarRules, t: SidecarNext, s: View, w: number): void {
  const tables = s.sidecar.tables(w)
  for (let k = 1; k <= s.heads.length; k++) if (inMask(tables, k)) t.manifest.set(k, s.sidecar.target.at(w, k))
  if (rules.identity) t.lineage.forward.add(w)
}

/** The CAS of a forward publish: every table of op w's sidecar is still published at its pin. */
function pinsHold(s: View, w: number): boolean {
  const tables = s.sidecar.tables(w)
  for (let k = 1; k <= s.heads.length; k++) if (inMask(tables, k) && s.manifest.at(k) !== s.sidecar.expected.at(w, k)) return false
  return true
}

/** Frees every write-queue slot writer `holder` holds. */
function releaseQueue(t: SidecarNext, s: View, holder: number): void {
  for (let k = 1; k <= s.heads.length; k++) if (s.queue.at(k) === holder) t.queue.set(k, 0)
}

/** Are the write-queue slots of every table in `tables` free? */
function slotsFree(s: View, tables: number): boolean {
  for (let k = 1; k <= s.heads.length; k++) if (inMask(tables, k) && s.queue.at(k) !== 0) return false
  return true
}

/** Deletes op w's sidecar and appends its audit row: one step. */
function finish(t: SidecarNext, s: View, w: number, outcome: (typeof Outcome)["RolledForward" | "RolledBack"]): void {
  t.sidecar.setPending(w, false)
  if (s.audit.rows(w) < 255) t.audit.setRows(w, s.audit.rows(w) + 1)
  t.audit.setOutcome(w, outcome)
}

const isForward = (d: DecisionCode) => d === Decision.Forward || d === Decision.DoneForward

/** Whether heal can resolve op o's sidecar in the writer's own process: roll-forwards only (a roll-back is left for a sweep). */
const healable = (rules: SidecarRules, s: View, o: number) => {
  const d = classify(rules, s, o)
  return d !== Decision.Back && d !== Decision.None
}

/** A dead writer's sidecar that the writer may not write past: any (barrier), a healable one (defer), none. */
function blocksWriter(rules: SidecarRules, s: View, w: number): boolean {
  if (rules.heal === "none") return false
  for (let o = 1; o <= s.nodeCount; o++) {
    if (o === w || !s.sidecar.pending(o) || live(s.writer.phase(o))) continue
    if (rules.heal === "barrier" || healable(rules, s, o)) return true
  }
  return false
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

/** The lowest of op w's sidecar's tables past table `after` (0: none left). */
function tableAfter(s: View, w: number, after: number): number {
  const tables = s.sidecar.tables(w)
  for (let k = after + 1; k <= s.heads.length; k++) if (inMask(tables, k)) return k
  return 0
}

export function sidecarActions(b: SidecarBounds, rules: SidecarRules): Array<Action<View, SidecarNext>> {
  const cap = maxVersion(b)
  /** Back to idle: drops the sweep's record. */
  const idle = (t: SidecarNext, sweep: number) => {
    t.sweep.setPhase(sweep, SweepPhase.Idle)
    t.sweep.setOp(sweep, 0)
    t.sweep.setDecision(sweep, Decision.None)
    for (let k = 1; k <= b.tables; k++) {
      t.sweepPins.set(sweep, k, 0)
      t.sweepHeads.set(sweep, k, 0)
    }
  }
  const allTables = 2 ** b.tables - 1
  return [
    SidecarState.action("Heal")
      .exists("w", nodes)
      .require(...writerIn(WriterPhase.Start))
      .require(() => rules.heal !== "none", "no-heal", "writers do not heal (this variant)")
      .exists("o", nodes)
      .require((s, a) => s.sidecar.pending(a.o) && !live(s.writer.phase(a.o)), "no-dead-sidecar", "writer {o} has no sidecar left by a dead writer")
      .require((s, a) => !rules.writeQueue || slotsFree(s, s.sidecar.tables(a.o)), "queued", "a write-queue slot of a table of writer {o}'s sidecar is held")
      .let("decision", (s, a) => classify(rules, s, a.o))
      .require((s, a) => healable(rules, s, a.o), "needs-roll-back", "writer {o}'s sidecar needs a roll-back, which heal leaves to a sweep")
      .then((t, a, s) => {
        // In the writer's own process, under the sidecar's queue slots: classify, publish, finish.
        // A roll-forward's CAS cannot lose here: its classification saw every pin in place.
        if (a.decision === Decision.Forward) publishForward(rules, t, s, a.o)
        finish(t, s, a.o, a.decision === Decision.DoneBack ? Outcome.RolledBack : Outcome.RolledForward)
      }),
    SidecarState.action("WriteSidecar")
      .exists("w", nodes)
      .require(...writerIn(WriterPhase.Start))
      .exists("tables", between(1, allTables))
      .require((s, a) => !rules.writeQueue || slotsFree(s, a.tables), "queued", "a write-queue slot of these tables is held")
      .require((s, a) => !blocksWriter(rules, s, a.w), "heal-first", "a dead writer's sidecar is still pending (heal first)")
      .require(
        (s, a) => {
          // Only a write that would arm, and so commit past the cap, is not taken.
          let drift = false
          let full = false
          for (let k = 1; k <= b.tables; k++) {
            if (!inMask(a.tables, k)) continue
            if (s.heads.at(k) !== s.manifest.at(k)) drift = true
            if (s.manifest.at(k) >= cap) full = true
          }
          return drift || !full
        },
        "version-cap",
        `a table of these is at the model's highest version (${cap})`
      )
      .then((t, a, s) => {
        // A fresh read of the manifest; a table whose head is past its published version has
        // drifted (another writer's unpublished commit), and the write refuses.
        for (let k = 1; k <= b.tables; k++) {
          if (!inMask(a.tables, k)) continue
          if (s.heads.at(k) !== s.manifest.at(k)) {
            t.writer.setPhase(a.w, WriterPhase.Failed)
            return
          }
        }
        t.writer.setPhase(a.w, WriterPhase.Armed)
        t.sidecar.setPending(a.w, true)
        t.sidecar.setTables(a.w, a.tables)
        for (let k = 1; k <= b.tables; k++) {
          if (!inMask(a.tables, k)) continue
          if (rules.writeQueue) t.queue.set(k, a.w)
          t.sidecar.expected.set(a.w, k, s.manifest.at(k))
          t.sidecar.target.set(a.w, k, s.manifest.at(k) + 1)
        }
      }),
    SidecarState.action("CommitTable")
      .exists("w", nodes)
      .require(...writerIn(WriterPhase.Armed))
      .let("table", (s, a) => tableAfter(s, a.w, s.writer.last(a.w)))
      .then((t, a, s) => {
        const k = a.table
        const target = s.sidecar.target.at(a.w, k)
        // A conditional commit, with no rebase: the table must still be at the pin.
        if (s.heads.at(k) !== s.sidecar.expected.at(a.w, k)) {
          t.writer.setPhase(a.w, WriterPhase.Failed)
          releaseQueue(t, s, a.w)
          return
        }
        t.heads.set(k, target)
        t.ghost.author.set(k, target + 1, a.w)
        if (rules.identity) t.tag.set(k, target + 1, a.w)
        t.writer.setLast(a.w, k)
        if (tableAfter(s, a.w, k) === 0) t.writer.setPhase(a.w, WriterPhase.Committed)
      }),
    SidecarState.action("PublishManifest")
      .exists("w", nodes)
      .require(...writerIn(WriterPhase.Committed))
      .then((t, a, s) => {
        if (pinsHold(s, a.w)) {
          publishForward(rules, t, s, a.w)
          t.writer.setPhase(a.w, WriterPhase.Published)
        } else {
          t.writer.setPhase(a.w, WriterPhase.Failed)
          releaseQueue(t, s, a.w)
        }
      }),
    SidecarState.action("DeleteSidecar")
      .exists("w", nodes)
      .require(...writerIn(WriterPhase.Published))
      .then((t, a, s) => {
        t.sidecar.setPending(a.w, false)
        t.writer.setPhase(a.w, WriterPhase.Done)
        releaseQueue(t, s, a.w)
      }),
    SidecarState.action("CrashWriter")
      .exists("w", nodes)
      .require((s, a) => live(s.writer.phase(a.w)), "not-live", (s, a) => `writer ${a.w} is ${WRITER_PHASES[s.writer.phase(a.w)]}, not between its sidecar and its publish`)
      .then((t, a, s) => {
        t.writer.setPhase(a.w, WriterPhase.Crashed)
        releaseQueue(t, s, a.w)
      }),
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
        for (let k = 1; k <= b.tables; k++) {
          t.sweepPins.set(a.sweep, k, s.manifest.at(k))
          t.sweepHeads.set(a.sweep, k, s.heads.at(k))
        }
      }),
    SidecarState.action("SweepApply")
      .exists("sweep", between(1, b.sweeps))
      .require(...sweepIn(SweepPhase.Classified))
      .require(
        (s, a) => {
          // Only a roll-back that would append a restore version past the cap is not taken.
          const w = s.sweep.op(a.sweep)
          if (s.sweep.decision(a.sweep) !== Decision.Back) return true
          let full = false
          for (let k = 1; k <= b.tables; k++) {
            if (!inMask(s.sidecar.tables(w), k) || !restores(rules, s, a.sweep, w, k)) continue
            if (rules.conditionalRestore && s.heads.at(k) !== s.sweepHeads.at(a.sweep, k)) return true
            if (s.heads.at(k) >= cap) full = true
          }
          return !full
        },
        "version-cap",
        `a table this roll-back restores is at the model's highest version (${cap})`
      )
      .then((t, a, s) => {
        const w = s.sweep.op(a.sweep)
        const decision = s.sweep.decision(a.sweep)
        const tables = s.sidecar.tables(w)
        if (decision === Decision.DoneForward || decision === Decision.DoneBack) t.sweep.setPhase(a.sweep, SweepPhase.Converged)
        else if (decision === Decision.Forward) {
          if (!rules.forwardPublishes) t.sweep.setPhase(a.sweep, SweepPhase.Converged)
          else if (!rules.sweepPublishCas || pinsHold(s, w)) {
            publishForward(rules, t, s, w)
            t.sweep.setPhase(a.sweep, SweepPhase.Converged)
          } else if (rules.onCasLoss === "fail") t.sweep.setPhase(a.sweep, SweepPhase.Failed)
          // The CAS lost: re-read the manifest; converge if the intent is satisfied, else defer.
          else if (rules.identity ? s.lineage.forward.has(w) : publishedReachesTarget(s, w)) t.sweep.setPhase(a.sweep, SweepPhase.Converged)
          else idle(t, a.sweep)
        } else {
          // Roll back: a restore version (a copy of the published version read at classification)
          // on each table `restores` picks; then publish them, by CAS from the versions read.
          if (rules.conditionalRestore) {
            for (let k = 1; k <= b.tables; k++) if (inMask(tables, k) && restores(rules, s, a.sweep, w, k) && s.heads.at(k) !== s.sweepHeads.at(a.sweep, k)) return idle(t, a.sweep)
          }
          let cas = true
          for (let k = 1; k <= b.tables; k++) {
            if (!inMask(tables, k) || !restores(rules, s, a.sweep, w, k)) continue
            const pin = s.sweepPins.at(a.sweep, k)
            const head = s.heads.at(k) + 1
            t.heads.set(k, head)
            t.ghost.restoredFrom.set(k, head + 1, pin + 1)
            if (s.manifest.at(k) !== pin) cas = false
          }
          if (!cas) return idle(t, a.sweep)
          for (let k = 1; k <= b.tables; k++) if (inMask(tables, k) && restores(rules, s, a.sweep, w, k)) t.manifest.set(k, s.heads.at(k) + 1)
          if (rules.restoreGuard || rules.identity) t.lineage.back.add(w)
          t.sweep.setPhase(a.sweep, SweepPhase.Converged)
        }
      }),
    SidecarState.action("SweepFinish")
      .exists("sweep", between(1, b.sweeps))
      .require(...sweepIn(SweepPhase.Converged))
      .then((t, a, s) => {
        const w = s.sweep.op(a.sweep)
        const pending = s.sidecar.pending(w)
        if (pending || !rules.auditOnlyIfDeleted) finish(t, s, w, isForward(s.sweep.decision(a.sweep)) ? Outcome.RolledForward : Outcome.RolledBack)
        idle(t, a.sweep)
      })
  ]
}

/**
 * Does this sweep's roll-back of op w restore table k? Identity-blind: every table whose head
 * moved past the published version the sweep read. Identity-aware: every table whose head is the
 * operation's own version (another operation's head is not its to undo).
 */
function restores(rules: SidecarRules, s: View, sweep: number, w: number, k: number): boolean {
  if (rules.identity) return s.tag.at(k, s.heads.at(k) + 1) === w
  return s.heads.at(k) !== s.sweepPins.at(sweep, k)
}
