/**
 * recovery's variables (spec/adr/0003-replica-recovery-driver.md).
 *
 * Every node is a block-storage server with a write-ahead log. What each node holds itself:
 *
 * - durable: its log (the epoch that wrote each entry, by LSN from 1: an entry is identified by its
 *   LSN and epoch, since an epoch has one primary and a primary writes an LSN once), the WAL's
 *   retention boundary `tail` (entries at or below it are recycled into the extent; the WAL keeps
 *   the header of its boundary entry), the epoch it has accepted, and its role;
 * - while primary: its committed LSN, its snapshot (a trusted checkpoint: its LSN, 0 for none), and
 *   one sender per peer (the primary's view of that replica and the recovery session it runs for
 *   it, with the pins the session holds). These are the primary's memory: a crash or a demotion
 *   loses them, as the engine's registry and pins are lost.
 *
 * The master (the control plane) holds the current epoch and which node it assigned primary; a
 * node learns an assignment in a step of its own.
 *
 * There is no ghost state: the log's entry epochs are the data the invariants compare, and the
 * driver reads them only where a real node can (its own WAL records, and what a replica reports in
 * the handshake).
 */
import { bool, defineState, global, nodeId, oneOf, perNode, record, seqOf, arrayOf, uint, type Code, type InitView, type NextView, type PreView, type ReadableOf, type StateView } from "../../kit/index.js"

export interface RecoveryBounds {
  /** Replicas besides the first primary: nodes are 1..replicas + 1. */
  readonly replicas: number
  /** The highest LSN a log reaches (writes stop there). */
  readonly maxLsn: number
  /** The highest epoch the master assigns (failovers stop there). */
  readonly maxEpoch: number
}

export const ROLES = ["Replica", "Primary", "Down"] as const
export const Role = oneOf(...ROLES)

/** The primary's view of a replica (the engine's ReplicaState, without the transient ones a session stands for). */
export const VIEWS = ["Disconnected", "NeedsRebuild", "InSync"] as const
export const View = oneOf(...VIEWS)

export const KINDS = ["CatchUp", "Rebuild"] as const
export const Kind = oneOf(...KINDS)

/**
 * A recovery session's phase. None: no session. A catch-up plan: Planned (classified, WAL pin to
 * take) or TruncatePlanned (the replica is ahead: truncation to do, no pin), then Truncated. A
 * rebuild: RebuildAssigned (source to select and pin), SnapshotPinned (WAL pin from the snapshot
 * to take), Transferring (the base to install). CatchingUp: streaming WAL entries (a catch-up, or a
 * rebuild's tail replay). A session in any phase may be invalidated (a new epoch, a lost
 * connection); it keeps its phase, and its executor has still to release what it holds.
 */
export const PHASES = ["None", "Planned", "TruncatePlanned", "Truncated", "RebuildAssigned", "SnapshotPinned", "Transferring", "CatchingUp"] as const
export const Phase = oneOf(...PHASES)
export type PhaseCode = Code<(typeof PHASES)[number]>

export const recoveryVariables = (b: RecoveryBounds) => {
  const lsn = uint(b.maxLsn)
  /** A pin: 0 for none, else the pinned LSN + 1. */
  const pin = uint(b.maxLsn + 1)
  const epoch = uint(b.maxEpoch)
  return {
    master: global(record({ epoch, primary: nodeId })),
    role: perNode(Role),
    epoch: perNode(epoch),
    log: perNode(seqOf(epoch, b.maxLsn)),
    tail: perNode(lsn),
    committed: perNode(lsn),
    snapshot: perNode(lsn),
    /**
     * sender[p][r]: primary p's view of replica r, and the session p runs for r: its kind, the
     * epoch it was opened in, where its WAL stream or base starts, how far the replica has been
     * brought (progress), the committed LSN at planning (target), and the pins it holds.
     */
    sender: perNode(
      arrayOf(
        record({
          view: View,
          acked: lsn,
          phase: Phase,
          /** Set by a new epoch or a lost connection: the executor's next step is to release. */
          invalidated: bool,
          kind: Kind,
          epoch,
          start: lsn,
          progress: lsn,
          target: lsn,
          walPin: pin,
          snapshotPin: pin,
          fullBasePin: pin
        }),
        b.replicas + 1
      )
    )
  }
}

export const RecoveryState = defineState(recoveryVariables)
export type ReadableRecoveryState = ReadableOf<typeof RecoveryState>
type Decl = ReturnType<typeof recoveryVariables>
export type RecoveryView = PreView<Decl>
export type RecoveryNext = NextView<Decl>
export type RecoveryStateView = StateView<Decl>

/** Any view: actions' pre-states, successors and invariants' states all read the same way. */
export type AnyView = RecoveryView | RecoveryNext | RecoveryStateView

export const len = (s: AnyView, i: number) => s.log.length(i)

/** Does the sender p -> r hold any pin? */
export const holdsPin = (s: AnyView, p: number, r: number) => s.sender.walPin(p, r) !== 0 || s.sender.snapshotPin(p, r) !== 0 || s.sender.fullBasePin(p, r) !== 0

/** Is the session p -> r open and not invalidated (its executor still works on it)? */
export const active = (s: AnyView, p: number, r: number) => s.sender.phase(p, r) !== Phase.None && !s.sender.invalidated(p, r)

/** Is p the primary the master assigned in the current epoch, and has it accepted that assignment? */
export const currentPrimary = (s: AnyView, p: number) => s.role(p) === Role.Primary && s.master.primary === p && s.epoch(p) === s.master.epoch

/** The initial state: node 1 primary and every node at epoch 1, as the master assigned them. */
export function initRecovery(s: InitView<Decl>): void {
  s.master.epoch = 1
  s.master.primary = 1
  for (let n = 1; n <= s.nodeCount; n++) s.setEpoch(n, 1)
  s.setRole(1, Role.Primary)
}
