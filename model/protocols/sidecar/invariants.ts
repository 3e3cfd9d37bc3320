/** The sidecar protocol's invariants (spec/adr/0002-sidecar-recovery.md names each one). */
import { classify, publishedIs, publishedOrNewer, type SidecarRules } from "./actions.js"
import { Decision, live, SidecarState, SweepPhase, TABLES, WriterPhase } from "./state.js"

export const sidecarInvariants = (sweeps: number, rules: SidecarRules) => [
  SidecarState.invariant("OpenNeverFailsOnConvergence", "no sweep fails an open while the manifest already holds its sidecar's intended versions", (s) => {
    for (let sw = 1; sw <= sweeps; sw++) if (s.sweep.phase(sw) === SweepPhase.Failed && publishedIs(s, s.sweep.op(sw))) return false
    return true
  }),
  SidecarState.invariant("AuditAtMostOncePerOperation", "every operation has at most one recovery audit row", (s) => {
    for (let w = 1; w <= s.nodeCount; w++) if (s.audit(w) > 1) return false
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
  SidecarState.stepInvariant("ManifestVersionMonotonic", "no step lowers the manifest's version or any published table version", (a, b) => {
    if (b.manifest.version < a.manifest.version) return false
    for (let k = 1; k <= TABLES; k++) if (b.manifest.tables.at(k) < a.manifest.tables.at(k)) return false
    return true
  }),
  SidecarState.stepInvariant("NoCommittedVersionLost", "a roll-back never supersedes a table version that the manifest published or a live writer committed", (a, b) => {
    for (let k = 1; k <= TABLES; k++) {
      const v = a.heads.at(k)
      if (b.heads.at(k) >= v) continue
      if (a.manifest.tables.at(k) === v) return false
      const by = a.committedBy.at(k, v + 1)
      if (by > 0 && live(a.writer.phase(by))) return false
    }
    return true
  }),
  SidecarState.stepInvariant(
    "ManifestReflectsIntentAfterRollForward",
    "when a sweep's roll-forward converges, the manifest holds the sidecar's target versions (or newer ones)",
    (a, b) => {
      for (let sw = 1; sw <= sweeps; sw++) {
        if (a.sweep.phase(sw) === SweepPhase.Classified && a.sweep.decision(sw) === Decision.Forward && b.sweep.phase(sw) === SweepPhase.Converged && !publishedOrNewer(b, a.sweep.op(sw))) return false
      }
      return true
    }
  )
]
