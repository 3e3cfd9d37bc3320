/**
 * The recovery driver's steps (spec/adr/0003-replica-recovery-driver.md), after the execution
 * driver of SeaweedFS's sw-block replication engine (Phase 06): per replica, the primary
 * classifies the gap from what the replica reports in a handshake and its own retained history,
 * acquires the pins the plan needs, executes step by step, completes and releases.
 *
 * Around it: client writes and live shipping to replicas in sync, the commit point, WAL garbage
 * collection below the oldest pin, snapshots, lost connections, failover (the master assigns a new
 * epoch, a node accepts it in a step of its own) and crashes.
 *
 * Locality: a primary's decisions read only its own variables and what the replica reported in
 * the handshake (`classify` takes the report as arguments and never looks at the replica). Steps
 * that move data to a replica (a shipped entry, a streamed entry, a truncation, a base transfer)
 * are messages: they read the primary's WAL and write the replica, which accepts them only from a
 * primary whose epoch is at least its own (fencing).
 *
 * The design choices the variants change are `RecoveryRules`.
 */
import { between, nodes, oneOf, type Action, type Code } from "../../kit/index.js"
import { Kind, len, Phase, PHASES, RecoveryState, Role, View, VIEWS, type PhaseCode, type RecoveryBounds, type RecoveryNext, type RecoveryView } from "./state.js"

/** Design choices the variants change. */
export interface RecoveryRules {
  /**
   * The handshake also reports the epoch of the replica's entry at min(flushed, committed), and
   * the primary compares it with its own: a mismatch is a diverged history, which needs a rebuild.
   * Off: the gap is classified from LSNs alone, as Phase 06's ClassifyRecoveryOutcome does.
   */
  readonly handshakeChecksHistory: boolean
  /** Taking a WAL pin re-checks that its start is still retained (the pinner refuses a recycled start). */
  readonly pinRechecksTail: boolean
  /** Classification and the catch-up's WAL pin are one step (the test-only convenience helpers). */
  readonly planPinsAtomically: boolean
  /** A refused WAL pin of a snapshot+tail rebuild releases the snapshot pin taken before it. */
  readonly releaseSnapshotOnWalPinFailure: boolean
  /** Truncation removes the replica's entries above the target (off: it is only recorded). */
  readonly truncateReplica: boolean
  /** Truncation re-checks the primary's committed LSN against the plan's target first (a moved one re-plans). */
  readonly truncateRechecksCommit: boolean
  /** Completion refuses an invalidated session (the executor re-checks its authority). */
  readonly completeChecksAuthority: boolean
  /** A catch-up streams up to the primary's committed LSN now (off: to the target frozen at planning). */
  readonly targetFollowsCommit: boolean
  /** An epoch change marks open sessions invalidated, for their executors to release (off: it drops them, and their pins stay held). */
  readonly invalidateKeepsPlan: boolean
  /** A new snapshot is not taken while the current one is pinned. */
  readonly snapshotRespectsPins: boolean
}

export const baseRecoveryRules: RecoveryRules = {
  handshakeChecksHistory: true,
  pinRechecksTail: true,
  planPinsAtomically: false,
  releaseSnapshotOnWalPinFailure: true,
  truncateReplica: true,
  truncateRechecksCommit: true,
  completeChecksAuthority: true,
  targetFollowsCommit: true,
  invalidateKeepsPlan: true,
  snapshotRespectsPins: true
}

/** The gap as the primary classifies it (the engine's outcomes, with the replica-ahead case named). */
export const OUTCOMES = ["ZeroGap", "CatchUp", "Truncate", "NeedsRebuild"] as const
export const Outcome = oneOf(...OUTCOMES)
export type OutcomeCode = Code<(typeof OUTCOMES)[number]>

type View_ = RecoveryView
type ViewCode = Code<(typeof VIEWS)[number]>
type Next = RecoveryNext

/**
 * Classifies replica's gap on primary p from the handshake's report: the replica's flushed LSN and
 * the epoch of its entry at min(flushed, p's committed LSN) (0 when that is 0). Reads only p's own
 * variables. A diverged history (checked when the rules say so), or a start below p's retained WAL,
 * needs a rebuild; equal LSNs are a zero gap; a replica ahead of the committed LSN is truncated to
 * it; otherwise it catches up from its flushed LSN.
 */
export function classify(rules: RecoveryRules, s: View_, p: number, flushed: number, reportedEpoch: number): OutcomeCode {
  const committed = s.committed(p)
  const tail = s.tail(p)
  if (rules.handshakeChecksHistory) {
    const checked = Math.min(flushed, committed)
    // Below the WAL's tail the primary has no record to compare with (only the boundary's header).
    if (checked > 0 && (checked < tail || s.log.at(p, checked) !== reportedEpoch)) return Outcome.NeedsRebuild
  }
  if (flushed === committed) return Outcome.ZeroGap
  if (flushed > committed) return Outcome.Truncate
  if (flushed >= tail) return Outcome.CatchUp
  return Outcome.NeedsRebuild
}

/** The epoch the replica reports for its entry at min(flushed, committed): what the handshake carries besides the flushed LSN. */
export function reportedEpoch(s: View_, p: number, r: number): number {
  const checked = Math.min(len(s, r), s.committed(p))
  return checked > 0 ? s.log.at(r, checked) : 0
}

/** Where a session's stream ends: the committed LSN now, or (frozen) the one at planning. */
const goal = (rules: RecoveryRules, s: View_, p: number, r: number) => (rules.targetFollowsCommit ? s.committed(p) : s.sender.target(p, r))

/**
 * The lowest LSN GC may not pass: the committed LSN, what every replica in sync has acknowledged
 * (the shipper's own floor), and every WAL and snapshot pin of p.
 */
export function retentionFloor(s: View_, p: number): number {
  let floor = s.committed(p)
  for (let r = 1; r <= s.nodeCount; r++) {
    if (r !== p && s.sender.view(p, r) === View.InSync && s.sender.acked(p, r) < floor) floor = s.sender.acked(p, r)
    const wal = s.sender.walPin(p, r)
    if (wal !== 0 && wal - 1 < floor) floor = wal - 1
    const snapshot = s.sender.snapshotPin(p, r)
    if (snapshot !== 0 && snapshot - 1 < floor) floor = snapshot - 1
  }
  return floor
}

/** Best-effort commit: the highest LSN every replica in sync has acknowledged (the primary's head with none). Never lowered. */
function recomputeCommit(t: Next, p: number): void {
  let c = t.log.length(p)
  for (let r = 1; r <= t.nodeCount; r++) if (r !== p && t.sender.view(p, r) === View.InSync && t.sender.acked(p, r) < c) c = t.sender.acked(p, r)
  if (c > t.committed(p)) t.setCommitted(p, c)
}

function releasePins(t: Next, p: number, r: number, keepSnapshot = false): void {
  t.sender.setWalPin(p, r, 0)
  if (!keepSnapshot) t.sender.setSnapshotPin(p, r, 0)
  t.sender.setFullBasePin(p, r, 0)
}

/** Ends the session p -> r (its fields back to zero, its pins as they are) with the primary's view of r. */
function endSession(t: Next, p: number, r: number, view: ViewCode): void {
  t.sender.setView(p, r, view)
  t.sender.setPhase(p, r, Phase.None)
  t.sender.setInvalidated(p, r, false)
  t.sender.setKind(p, r, Kind.CatchUp)
  t.sender.setEpoch(p, r, 0)
  t.sender.setStart(p, r, 0)
  t.sender.setProgress(p, r, 0)
  t.sender.setTarget(p, r, 0)
}

function openSession(t: Next, s: View_, p: number, r: number, kind: number, phase: PhaseCode, start: number, progress: number, target: number): void {
  t.sender.setPhase(p, r, phase)
  t.sender.setKind(p, r, kind as never)
  t.sender.setEpoch(p, r, s.epoch(p))
  t.sender.setStart(p, r, start)
  t.sender.setProgress(p, r, progress)
  t.sender.setTarget(p, r, target)
}

/** Everything primary p held for its replicas: lost with its memory (a crash or a demotion). */
function forgetSenders(t: Next, p: number): void {
  for (let r = 1; r <= t.nodeCount; r++) {
    endSession(t, p, r, View.Disconnected)
    releasePins(t, p, r)
    t.sender.setAcked(p, r, 0)
  }
}

/** A plan that failed (a pin refused): release what it holds and leave the replica out of sync. */
function failPlan(rules: RecoveryRules, t: Next, s: View_, p: number, r: number): void {
  const rebuild = s.sender.kind(p, r) === Kind.Rebuild
  releasePins(t, p, r, rebuild && !rules.releaseSnapshotOnWalPinFailure && s.sender.phase(p, r) === Phase.SnapshotPinned)
  endSession(t, p, r, rebuild ? View.NeedsRebuild : View.Disconnected)
}

type PR = { readonly p: number; readonly r: number }

const isPrimary = [(s: View_, a: { p: number }) => s.role(a.p) === Role.Primary, "not-primary", "node {p} is not a primary"] as const
const isPeer = [(_s: View_, a: PR) => a.r !== a.p, "self", "node {r} is the primary itself"] as const
const phaseIn = (...phases: PhaseCode[]) =>
  [
    (s: View_, a: PR) => phases.includes(s.sender.phase(a.p, a.r) as PhaseCode),
    "wrong-phase",
    (s: View_, a: PR) => `the session of ${a.p} for ${a.r} is ${PHASES[s.sender.phase(a.p, a.r)]}, not ${phases.map((x) => PHASES[x]).join(" or ")}`
  ] as const
const notInvalidated = [(s: View_, a: PR) => !s.sender.invalidated(a.p, a.r), "invalidated", "the session of {p} for {r} was invalidated (its executor releases it)"] as const
/** The replica accepts the session's messages: it is up, a replica, and not fenced at a newer epoch. */
const replicaAccepts = [
  (s: View_, a: PR) => s.role(a.r) === Role.Replica && s.epoch(a.r) <= s.sender.epoch(a.p, a.r),
  "unreachable",
  "node {r} is down, a primary, or at a newer epoch than the session"
] as const

export function recoveryActions(b: RecoveryBounds, rules: RecoveryRules): Array<Action<View_, Next>> {
  const pair = (name: string) => RecoveryState.action(name).exists("p", nodes).require(...isPrimary).exists("r", nodes).require(...isPeer)
  return [
    RecoveryState.action("Write")
      .exists("p", nodes)
      .require(...isPrimary)
      .require((s, a) => len(s, a.p) < b.maxLsn, "log-full", `node {p}'s log is at the model's highest LSN (${b.maxLsn})`)
      .then((t, a, s) => {
        t.log.push(a.p, s.epoch(a.p))
        recomputeCommit(t, a.p)
      }),
    pair("Replicate")
      .require((s, a) => s.sender.view(a.p, a.r) === View.InSync, "not-in-sync", "node {p} does not hold node {r} in sync")
      .require((s, a) => s.sender.acked(a.p, a.r) < len(s, a.p), "nothing-to-ship", "node {r} has every entry of node {p}")
      .require((s, a) => s.role(a.r) === Role.Replica && s.epoch(a.r) <= s.epoch(a.p), "unreachable", "node {r} is down, a primary, or at a newer epoch")
      .then((t, a, s) => {
        const lsn = s.sender.acked(a.p, a.r) + 1
        if (len(s, a.r) === lsn - 1) {
          t.log.push(a.r, s.log.at(a.p, lsn))
          t.sender.setAcked(a.p, a.r, lsn)
        } else {
          // The replica takes only its next LSN: it refuses, and the primary stops shipping to it.
          t.sender.setView(a.p, a.r, View.Disconnected)
          t.sender.setAcked(a.p, a.r, 0)
        }
        recomputeCommit(t, a.p)
      }),
    pair("Handshake")
      .require((s, a) => s.sender.phase(a.p, a.r) === Phase.None && s.sender.view(a.p, a.r) === View.Disconnected, "not-disconnected", "node {p} has a session for node {r} or does not hold it disconnected")
      .require((s, a) => s.role(a.r) === Role.Replica && s.epoch(a.r) <= s.epoch(a.p), "unreachable", "node {r} is down, a primary, or at a newer epoch")
      // The report: what the replica says in the handshake.
      .let("flushed", (s, a) => len(s, a.r))
      .let("reported", (s, a) => reportedEpoch(s, a.p, a.r))
      .let("outcome", (s, a) => classify(rules, s, a.p, a.flushed, a.reported))
      .then((t, a, s) => {
        const { p, r, flushed } = a
        const committed = s.committed(p)
        t.setEpoch(r, s.epoch(p))
        if (a.outcome === Outcome.ZeroGap) {
          t.sender.setView(p, r, View.InSync)
          t.sender.setAcked(p, r, flushed)
        } else if (a.outcome === Outcome.NeedsRebuild) t.sender.setView(p, r, View.NeedsRebuild)
        else if (a.outcome === Outcome.Truncate) openSession(t, s, p, r, Kind.CatchUp, Phase.TruncatePlanned, 0, flushed, committed)
        else if (rules.planPinsAtomically) {
          // Classified and pinned in one step: nothing can recycle the start in between.
          openSession(t, s, p, r, Kind.CatchUp, Phase.CatchingUp, flushed, flushed, committed)
          t.sender.setWalPin(p, r, flushed + 1)
        } else openSession(t, s, p, r, Kind.CatchUp, Phase.Planned, flushed, flushed, committed)
      }),
    pair("PinWal")
      .require(...phaseIn(Phase.Planned, Phase.SnapshotPinned))
      .require(...notInvalidated)
      .then((t, a, s) => {
        const start = s.sender.start(a.p, a.r)
        if (rules.pinRechecksTail && start < s.tail(a.p)) return failPlan(rules, t, s, a.p, a.r)
        t.sender.setWalPin(a.p, a.r, start + 1)
        t.sender.setPhase(a.p, a.r, s.sender.phase(a.p, a.r) === Phase.Planned ? Phase.CatchingUp : Phase.Transferring)
      }),
    pair("PinFails")
      .require(...phaseIn(Phase.Planned, Phase.RebuildAssigned, Phase.SnapshotPinned))
      .require(...notInvalidated)
      .then((t, a, s) => failPlan(rules, t, s, a.p, a.r)),
    pair("Truncate")
      .require(...phaseIn(Phase.TruncatePlanned))
      .require(...notInvalidated)
      .require(...replicaAccepts)
      .then((t, a, s) => {
        const { p, r } = a
        const target = s.sender.target(p, r)
        // The plan is stale: the commit point moved since (a new handshake classifies again).
        if (rules.truncateRechecksCommit && s.committed(p) !== target) return endSession(t, p, r, View.Disconnected)
        if (rules.truncateReplica) {
          // The replica cannot truncate below its WAL's start (those entries are in its extent only).
          if (target < s.tail(r)) return endSession(t, p, r, View.NeedsRebuild)
          t.log.truncate(r, target)
        }
        t.sender.setProgress(p, r, target)
        t.sender.setPhase(p, r, Phase.Truncated)
      }),
    pair("StartRebuild")
      .require((s, a) => s.sender.view(a.p, a.r) === View.NeedsRebuild && s.sender.phase(a.p, a.r) === Phase.None, "no-rebuild-needed", "node {p} has a session for node {r} or does not hold it as needing a rebuild")
      .then((t, a, s) => openSession(t, s, a.p, a.r, Kind.Rebuild, Phase.RebuildAssigned, 0, 0, 0)),
    pair("PlanRebuild")
      .require(...phaseIn(Phase.RebuildAssigned))
      .require(...notInvalidated)
      .then((t, a, s) => {
        const { p, r } = a
        const snapshot = s.snapshot(p)
        const committed = s.committed(p)
        t.sender.setTarget(p, r, committed)
        if (snapshot > 0 && snapshot >= s.tail(p)) {
          // A trusted snapshot whose tail is still retained: snapshot + WAL tail.
          t.sender.setSnapshotPin(p, r, snapshot + 1)
          t.sender.setStart(p, r, snapshot)
          t.sender.setPhase(p, r, Phase.SnapshotPinned)
        } else {
          t.sender.setFullBasePin(p, r, committed + 1)
          t.sender.setStart(p, r, committed)
          t.sender.setPhase(p, r, Phase.Transferring)
        }
      }),
    pair("Transfer")
      .require(...phaseIn(Phase.Transferring))
      .require(...notInvalidated)
      .require(...replicaAccepts)
      .then((t, a, s) => {
        const { p, r } = a
        const base = s.sender.start(p, r)
        // The replica's data becomes the base (the primary's history up to it); its WAL starts after it.
        t.log.clear(r)
        for (let k = 1; k <= base; k++) t.log.push(r, s.log.at(p, k))
        t.setTail(r, base)
        t.setEpoch(r, s.sender.epoch(p, r))
        t.sender.setProgress(p, r, base)
        t.sender.setPhase(p, r, Phase.CatchingUp)
      }),
    pair("StreamEntry")
      .require(...phaseIn(Phase.CatchingUp))
      .require(...notInvalidated)
      .require((s, a) => s.sender.walPin(a.p, a.r) !== 0, "no-wal-pin", "the session of {p} for {r} holds no WAL pin to stream from")
      .require((s, a) => s.sender.progress(a.p, a.r) < goal(rules, s, a.p, a.r), "caught-up", "node {r} has every entry the session streams")
      .require(...replicaAccepts)
      .then((t, a, s) => {
        const { p, r } = a
        const lsn = s.sender.progress(p, r) + 1
        // A recycled entry cannot be read, and the replica takes only its next LSN: either way the stream fails.
        if (lsn <= s.tail(p) || len(s, r) !== lsn - 1) return void t.sender.setInvalidated(p, r, true)
        t.log.push(r, s.log.at(p, lsn))
        t.sender.setProgress(p, r, lsn)
      }),
    pair("Complete")
      .require(...phaseIn(Phase.CatchingUp, Phase.Truncated))
      .require((s, a) => !rules.completeChecksAuthority || !s.sender.invalidated(a.p, a.r), "invalidated", "the session of {p} for {r} was invalidated (its executor releases it)")
      .require(
        (s, a) => s.sender.phase(a.p, a.r) === Phase.Truncated || s.sender.progress(a.p, a.r) === goal(rules, s, a.p, a.r) || s.sender.walPin(a.p, a.r) === 0,
        "streaming",
        "the session of {p} for {r} is still streaming"
      )
      .then((t, a, s) => {
        const { p, r } = a
        const progress = s.sender.progress(p, r)
        releasePins(t, p, r)
        if (progress === goal(rules, s, p, r)) {
          endSession(t, p, r, View.InSync)
          t.sender.setAcked(p, r, progress)
          recomputeCommit(t, p)
        }
        // The commit point moved on and the session holds nothing to stream it from: a new
        // handshake classifies the replica again (it now holds the base, or its truncated log).
        else endSession(t, p, r, View.Disconnected)
      }),
    pair("ReleaseSession")
      .require((s, a) => s.sender.phase(a.p, a.r) !== Phase.None && s.sender.invalidated(a.p, a.r), "not-invalidated", "node {p} has no invalidated session for node {r}")
      .then((t, a, s) => {
        releasePins(t, a.p, a.r)
        endSession(t, a.p, a.r, s.sender.kind(a.p, a.r) === Kind.Rebuild ? View.NeedsRebuild : View.Disconnected)
      }),
    pair("Disconnect")
      .require(
        (s, a) => s.sender.view(a.p, a.r) === View.InSync || (s.sender.phase(a.p, a.r) !== Phase.None && !s.sender.invalidated(a.p, a.r)),
        "not-connected",
        "node {p} neither holds node {r} in sync nor runs a session for it"
      )
      .then((t, a, s) => {
        const { p, r } = a
        if (s.sender.phase(p, r) !== Phase.None) t.sender.setInvalidated(p, r, true)
        else {
          t.sender.setView(p, r, View.Disconnected)
          t.sender.setAcked(p, r, 0)
          recomputeCommit(t, p)
        }
      }),
    RecoveryState.action("CollectWal")
      .exists("p", nodes)
      .require(...isPrimary)
      .exists("upTo", between((s, a) => s.tail(a.p) + 1, (s, a) => retentionFloor(s, a.p)), ["nothing-to-collect", "node {p} may recycle nothing (its committed LSN and its pins)"])
      .then((t, a) => t.setTail(a.p, a.upTo)),
    RecoveryState.action("TakeSnapshot")
      .exists("p", nodes)
      .require(...isPrimary)
      .require((s, a) => s.committed(a.p) > s.snapshot(a.p), "no-newer-commit", "node {p}'s snapshot is at its committed LSN")
      .require(
        (s, a) => {
          if (!rules.snapshotRespectsPins) return true
          for (let r = 1; r <= s.nodeCount; r++) if (s.sender.snapshotPin(a.p, r) !== 0) return false
          return true
        },
        "snapshot-pinned",
        "node {p}'s snapshot is pinned"
      )
      .then((t, a, s) => t.setSnapshot(a.p, s.committed(a.p))),
    RecoveryState.action("Failover")
      .exists("n", nodes)
      .require((s) => s.master.epoch < b.maxEpoch, "epoch-cap", `the master is at the model's highest epoch (${b.maxEpoch})`)
      .require((s, a) => s.role(a.n) !== Role.Down, "down", "node {n} is down")
      .then((t, a, s) => {
        t.master.epoch = s.master.epoch + 1
        t.master.primary = a.n
      }),
    RecoveryState.action("AcceptAssignment")
      .exists("n", nodes)
      .require((s, a) => s.role(a.n) !== Role.Down && s.epoch(a.n) < s.master.epoch, "no-new-epoch", "node {n} is down or has the master's epoch")
      .then((t, a, s) => {
        const n = a.n
        t.setEpoch(n, s.master.epoch)
        if (s.master.primary === n && s.role(n) === Role.Primary) {
          // Re-assigned at a new epoch: every session of the old epoch is invalidated (the
          // engine's UpdateSenderEpoch) and every replica is handshaken again.
          for (let r = 1; r <= s.nodeCount; r++) {
            if (r === n) continue
            if (s.sender.phase(n, r) !== Phase.None) {
              if (rules.invalidateKeepsPlan) t.sender.setInvalidated(n, r, true)
              else endSession(t, n, r, s.sender.kind(n, r) === Kind.Rebuild ? View.NeedsRebuild : View.Disconnected)
            } else if (s.sender.view(n, r) === View.InSync) {
              t.sender.setView(n, r, View.Disconnected)
              t.sender.setAcked(n, r, 0)
            }
          }
          recomputeCommit(t, n)
        } else if (s.master.primary === n) {
          // Promoted: its whole log is the new lineage.
          t.setRole(n, Role.Primary)
          t.setCommitted(n, len(s, n))
        } else if (s.role(n) === Role.Primary) {
          // Demoted: its senders, snapshot trust and commit point go with the role.
          t.setRole(n, Role.Replica)
          forgetSenders(t, n)
          t.setCommitted(n, 0)
          t.setSnapshot(n, 0)
        }
      }),
    RecoveryState.action("Crash")
      .exists("n", nodes)
      .require((s, a) => s.role(a.n) !== Role.Down, "down", "node {n} is down")
      .then((t, a) => {
        t.setRole(a.n, Role.Down)
        forgetSenders(t, a.n)
        t.setCommitted(a.n, 0)
        t.setSnapshot(a.n, 0)
      }),
    RecoveryState.action("Restart")
      .exists("n", nodes)
      .require((s, a) => s.role(a.n) === Role.Down, "up", "node {n} is up")
      .then((t, a) => t.setRole(a.n, Role.Replica))
  ]
}
