/**
 * The sidecar protocol's invariants (spec/adr/0002-sidecar-recovery.md names each one). The ones
 * about data read the ghost record of which operations' writes each version holds (`contentOf`),
 * never version numbers as a proxy for it. Each finds its first offender (0: none), and its
 * witness names it.
 */
import { classify, type SidecarRules } from "./actions.js"
import { contentOf, Decision, inMask, live, Outcome, SidecarState, SweepPhase, WriterPhase, type SidecarStateView } from "./state.js"

/** The first table of op w's sidecar whose published version lacks w's data, or 0. */
function tableLackingOpData(s: SidecarStateView, w: number): number {
  const tables = s.sidecar.tables(w)
  for (let t = 1; t <= s.heads.length; t++) if (inMask(tables, t) && (contentOf(s, t, s.manifest.at(t)) & (1 << (w - 1))) === 0) return t
  return 0
}

/** The first table of op w's sidecar whose published version holds w's data, or 0. */
function tableHoldingOpData(s: SidecarStateView, w: number): number {
  const tables = s.sidecar.tables(w)
  for (let t = 1; t <= s.heads.length; t++) if (inMask(tables, t) && (contentOf(s, t, s.manifest.at(t)) & (1 << (w - 1))) !== 0) return t
  return 0
}

/** The step appends an audit row for op w with this outcome. */
const recorded = (a: SidecarStateView, b: SidecarStateView, w: number, outcome: number) => b.audit.rows(w) > a.audit.rows(w) && b.audit.outcome(w) === outcome

/** The lowest operation in a bitmask of operations (bit w - 1). */
const lowestOp = (mask: number) => 32 - Math.clz32(mask & -mask)

/** The first sweep that failed an open whose op's data every published table of its sidecar holds, or 0. */
function failedOnConvergence(s: SidecarStateView, sweeps: number): number {
  for (let sw = 1; sw <= sweeps; sw++) if (s.sweep.phase(sw) === SweepPhase.Failed && tableLackingOpData(s, s.sweep.op(sw)) === 0) return sw
  return 0
}

/** The first op with more than one audit row, or 0. */
function auditedTwice(s: SidecarStateView): number {
  for (let w = 1; w <= s.nodeCount; w++) if (s.audit.rows(w) > 1) return w
  return 0
}

/** At quiescence (every writer finished, every sweep idle), the first pending sidecar when no sweep can resolve any, or 0. */
function stuckSidecar(s: SidecarStateView, sweeps: number, rules: SidecarRules): number {
  for (let w = 1; w <= s.nodeCount; w++) if (s.writer.phase(w) === WriterPhase.Start || live(s.writer.phase(w))) return 0
  for (let sw = 1; sw <= sweeps; sw++) if (s.sweep.phase(sw) !== SweepPhase.Idle) return 0
  let first = 0
  for (let w = 1; w <= s.nodeCount; w++) {
    if (!s.sidecar.pending(w)) continue
    if (classify(rules, s, w) !== Decision.None) return 0
    if (first === 0) first = w
  }
  return first
}

/** The first table whose head or published version the step lowers, or 0. */
function loweredTable(a: SidecarStateView, b: SidecarStateView): number {
  for (let t = 1; t <= a.heads.length; t++) if (b.heads.at(t) < a.heads.at(t) || b.manifest.at(t) < a.manifest.at(t)) return t
  return 0
}

/**
 * The first table from whose published version the step removes an operation's data, as t * 2,
 * or from whose head it removes a live writer's data, as t * 2 + 1; or 0.
 */
function tableLosingData(a: SidecarStateView, b: SidecarStateView): number {
  for (let t = 1; t <= a.heads.length; t++) {
    if ((contentOf(a, t, a.manifest.at(t)) & ~contentOf(b, t, b.manifest.at(t))) !== 0) return t * 2
    if (liveDataLost(a, b, t) !== 0) return t * 2 + 1
  }
  return 0
}

/** The live writers whose data the step removes from table t's head, as a bitmask (bit w - 1). */
function liveDataLost(a: SidecarStateView, b: SidecarStateView, t: number): number {
  const head = contentOf(a, t, a.heads.at(t))
  if (head === 0) return 0
  const lost = head & ~contentOf(b, t, b.heads.at(t))
  let mask = 0
  for (let w = 1; w <= a.nodeCount; w++) if (live(a.writer.phase(w)) && (lost & (1 << (w - 1))) !== 0) mask |= 1 << (w - 1)
  return mask
}

/** The first op the step records with this outcome while its published data disagrees (rolled forward: a table lacks it; rolled back: a table holds it), or 0. */
function recordedAgainstData(a: SidecarStateView, b: SidecarStateView, outcome: number): number {
  for (let w = 1; w <= a.nodeCount; w++) {
    if (!recorded(a, b, w, outcome)) continue
    if (outcome === Outcome.RolledForward ? tableLackingOpData(b, w) !== 0 : tableHoldingOpData(b, w) !== 0) return w
  }
  return 0
}

/** The first sweep whose roll-forward lost its CAS (a pinned table republished, nothing written) and converged with a table lacking the op's data, or 0. */
function convergedWithoutData(a: SidecarStateView, b: SidecarStateView, sweeps: number): number {
  for (let sw = 1; sw <= sweeps; sw++) {
    if (a.sweep.phase(sw) !== SweepPhase.Classified || a.sweep.decision(sw) !== Decision.Forward || b.sweep.phase(sw) !== SweepPhase.Converged) continue
    const w = a.sweep.op(sw)
    if (casLostOn(a, w) !== 0 && !wroteManifest(a, b) && tableLackingOpData(b, w) !== 0) return sw
  }
  return 0
}

/** The first table of op w's sidecar no longer published at its pin (the CAS loses), or 0. */
function casLostOn(s: SidecarStateView, w: number): number {
  for (let t = 1; t <= s.heads.length; t++) if (inMask(s.sidecar.tables(w), t) && s.manifest.at(t) !== s.sidecar.expected.at(w, t)) return t
  return 0
}

/** Does the step change the manifest (publish any table)? */
const wroteManifest = (a: SidecarStateView, b: SidecarStateView) => {
  for (let t = 1; t <= a.heads.length; t++) if (a.manifest.at(t) !== b.manifest.at(t)) return true
  return false
}

/** "table 2's published version 1" */
const published = (s: SidecarStateView, t: number) => `table ${t}'s published version ${s.manifest.at(t)}`

export const sidecarInvariants = (sweeps: number, rules: SidecarRules) => [
  SidecarState.invariant(
    "OpenNeverFailsOnConvergence",
    "no sweep fails an open while the published versions already hold its operation's data",
    (s) => failedOnConvergence(s, sweeps) === 0,
    (s) => {
      const sw = failedOnConvergence(s, sweeps)
      const w = s.sweep.op(sw)
      const tables = s.sidecar.tables(w)
      const at: string[] = []
      for (let t = 1; t <= s.heads.length; t++) if (inMask(tables, t)) at.push(`table ${t} at version ${s.manifest.at(t)}`)
      return `sweep ${sw} failed op ${w}, yet its data is published in ${at.join(" and ")}`
    }
  ),
  SidecarState.invariant(
    "AuditAtMostOncePerOperation",
    "every operation has at most one recovery audit row",
    (s) => auditedTwice(s) === 0,
    (s) => {
      const w = auditedTwice(s)
      return `op ${w} has ${s.audit.rows(w)} recovery audit rows`
    }
  ),
  SidecarState.invariant(
    "NoSidecarLeftAtQuiescence",
    "the sweeps never stop with a sidecar left: once every writer has finished and every sweep is idle, a pending sidecar means some sweep can still resolve one",
    (s) => stuckSidecar(s, sweeps, rules) === 0,
    (s) => {
      const w = stuckSidecar(s, sweeps, rules)
      return `all writers finished and sweeps idle, but no sweep can resolve op ${w}'s pending sidecar`
    }
  ),
  SidecarState.stepInvariant(
    "VersionsMonotonic",
    "no step lowers a table's head or its published version",
    (a, b) => loweredTable(a, b) === 0,
    (a, b) => {
      const t = loweredTable(a, b)
      return b.heads.at(t) < a.heads.at(t) ? `table ${t}'s head goes from ${a.heads.at(t)} down to ${b.heads.at(t)}` : `table ${t}'s published version goes from ${a.manifest.at(t)} down to ${b.manifest.at(t)}`
    }
  ),
  SidecarState.stepInvariant(
    "NoCommittedDataLost",
    "no step removes an operation's data from a table's published version, or a live writer's data from a table's head",
    (a, b) => tableLosingData(a, b) === 0,
    (a, b) => {
      const found = tableLosingData(a, b)
      const t = found >> 1
      if (found % 2 === 0) {
        const w = lowestOp(contentOf(a, t, a.manifest.at(t)) & ~contentOf(b, t, b.manifest.at(t)))
        return `table ${t}'s published version goes from ${a.manifest.at(t)} to ${b.manifest.at(t)}, which lacks op ${w}'s data`
      }
      const w = lowestOp(liveDataLost(a, b, t))
      return `table ${t}'s head goes from ${a.heads.at(t)} to ${b.heads.at(t)}, which lacks live writer ${w}'s data`
    }
  ),
  SidecarState.stepInvariant(
    "RollForwardReflectsOpData",
    "when an operation is recorded as rolled forward, the published version of each of its tables holds its data",
    (a, b) => recordedAgainstData(a, b, Outcome.RolledForward) === 0,
    (a, b) => {
      const w = recordedAgainstData(a, b, Outcome.RolledForward)
      return `op ${w} is recorded rolled forward, but ${published(b, tableLackingOpData(b, w))} lacks its data`
    }
  ),
  SidecarState.stepInvariant(
    "RollBackLeavesNoOpData",
    "when an operation is recorded as rolled back, no published version of its tables holds its data",
    (a, b) => recordedAgainstData(a, b, Outcome.RolledBack) === 0,
    (a, b) => {
      const w = recordedAgainstData(a, b, Outcome.RolledBack)
      return `op ${w} is recorded rolled back, but ${published(b, tableHoldingOpData(b, w))} holds its data`
    }
  ),
  SidecarState.stepInvariant(
    "ConvergeAfterCasLossReflectsOpData",
    "when a sweep's roll-forward loses its compare-and-swap and converges on what it re-reads, the published version of each of the operation's tables holds the operation's data",
    (a, b) => convergedWithoutData(a, b, sweeps) === 0,
    (a, b) => {
      const sw = convergedWithoutData(a, b, sweeps)
      const w = a.sweep.op(sw)
      return `sweep ${sw} converged on op ${w} after a lost CAS; ${published(b, tableLackingOpData(b, w))} lacks its data`
    }
  )
]
