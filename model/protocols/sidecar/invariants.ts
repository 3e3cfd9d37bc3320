/**
 * The sidecar protocol's invariants (spec/adr/0002-sidecar-recovery.md names each one). The ones
 * about data read the ghost record of which operations' writes each version holds (`contentOf`),
 * never version numbers as a proxy for it.
 */
import { classify, type SidecarRules } from "./actions.js"
import { contentOf, Decision, inMask, live, Outcome, SidecarState, SweepPhase, WriterPhase, type SidecarStateView } from "./state.js"

/** Does the published version of every table of op w's sidecar hold w's data? */
function publishedHoldsOpData(s: SidecarStateView, w: number): boolean {
  const tables = s.sidecar.tables(w)
  for (let t = 1; t <= s.heads.length; t++) if (inMask(tables, t) && (contentOf(s, t, s.manifest.at(t)) & (1 << (w - 1))) === 0) return false
  return true
}

/** Does the published version of some table of op w's sidecar hold w's data? */
function publishedHoldsAnyOpData(s: SidecarStateView, w: number): boolean {
  const tables = s.sidecar.tables(w)
  for (let t = 1; t <= s.heads.length; t++) if (inMask(tables, t) && (contentOf(s, t, s.manifest.at(t)) & (1 << (w - 1))) !== 0) return true
  return false
}

/** The step appends an audit row for op w with this outcome. */
const recorded = (a: SidecarStateView, b: SidecarStateView, w: number, outcome: number) => b.audit.rows(w) > a.audit.rows(w) && b.audit.outcome(w) === outcome

export const sidecarInvariants = (sweeps: number, rules: SidecarRules) => [
  SidecarState.invariant("OpenNeverFailsOnConvergence", "no sweep fails an open while the published versions already hold its operation's data", (s) => {
    for (let sw = 1; sw <= sweeps; sw++) if (s.sweep.phase(sw) === SweepPhase.Failed && publishedHoldsOpData(s, s.sweep.op(sw))) return false
    return true
  }),
  SidecarState.invariant("AuditAtMostOncePerOperation", "every operation has at most one recovery audit row", (s) => {
    for (let w = 1; w <= s.nodeCount; w++) if (s.audit.rows(w) > 1) return false
    return true
  }),
  SidecarState.invariant(
    "NoSidecarLeftAtQuiescence",
    "the sweeps never stop with a sidecar left: once every writer has finished and every sweep is idle, a pending sidecar means some sweep can still resolve one",
    (s) => {
      for (let w = 1; w <= s.nodeCount; w++) if (s.writer.phase(w) === WriterPhase.Start || live(s.writer.phase(w))) return true
      for (let sw = 1; sw <= sweeps; sw++) if (s.sweep.phase(sw) !== SweepPhase.Idle) return true
      let pending = false
      for (let w = 1; w <= s.nodeCount; w++) {
        if (!s.sidecar.pending(w)) continue
        pending = true
        if (classify(rules, s, w) !== Decision.None) return true
      }
      return !pending
    }
  ),
  SidecarState.stepInvariant("VersionsMonotonic", "no step lowers a table's head or its published version", (a, b) => {
    for (let t = 1; t <= a.heads.length; t++) if (b.heads.at(t) < a.heads.at(t) || b.manifest.at(t) < a.manifest.at(t)) return false
    return true
  }),
  SidecarState.stepInvariant(
    "NoCommittedDataLost",
    "no step removes an operation's data from a table's published version, or a live writer's data from a table's head",
    (a, b) => {
      for (let t = 1; t <= a.heads.length; t++) {
        const published = contentOf(a, t, a.manifest.at(t))
        if ((published & ~contentOf(b, t, b.manifest.at(t))) !== 0) return false
        const head = contentOf(a, t, a.heads.at(t))
        if (head === 0) continue
        const after = contentOf(b, t, b.heads.at(t))
        for (let w = 1; w <= a.nodeCount; w++) if (live(a.writer.phase(w)) && (head & ~after & (1 << (w - 1))) !== 0) return false
      }
      return true
    }
  ),
  SidecarState.stepInvariant(
    "RollForwardReflectsOpData",
    "when an operation is recorded as rolled forward, the published version of each of its tables holds its data",
    (a, b) => {
      for (let w = 1; w <= a.nodeCount; w++) if (recorded(a, b, w, Outcome.RolledForward) && !publishedHoldsOpData(b, w)) return false
      return true
    }
  ),
  SidecarState.stepInvariant(
    "RollBackLeavesNoOpData",
    "when an operation is recorded as rolled back, no published version of its tables holds its data",
    (a, b) => {
      for (let w = 1; w <= a.nodeCount; w++) if (recorded(a, b, w, Outcome.RolledBack) && publishedHoldsAnyOpData(b, w)) return false
      return true
    }
  ),
  SidecarState.stepInvariant(
    "ConvergeAfterCasLossReflectsOpData",
    "when a sweep's roll-forward loses its compare-and-swap and converges on what it re-reads, the published version of each of the operation's tables holds the operation's data",
    (a, b) => {
      for (let sw = 1; sw <= sweeps; sw++) {
        if (a.sweep.phase(sw) !== SweepPhase.Classified || a.sweep.decision(sw) !== Decision.Forward || b.sweep.phase(sw) !== SweepPhase.Converged) continue
        const w = a.sweep.op(sw)
        // The CAS lost: some table of the sidecar was no longer published at its pin, and the
        // sweep wrote nothing.
        let lost = false
        let wrote = false
        for (let t = 1; t <= a.heads.length; t++) {
          if (inMask(a.sidecar.tables(w), t) && a.manifest.at(t) !== a.sidecar.expected.at(w, t)) lost = true
          if (a.manifest.at(t) !== b.manifest.at(t)) wrote = true
        }
        if (lost && !wrote && !publishedHoldsOpData(b, w)) return false
      }
      return true
    }
  )
]
