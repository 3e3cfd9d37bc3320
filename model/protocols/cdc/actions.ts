/**
 * The cdc protocol's steps (spec/adr/0004-change-stream-rollback.md): a Couchbase vBucket's copies
 * (writes on the active; replicas fed by DCP snapshots of deduplicated mutations; persistence with
 * the snapshot range it reached; crashes; failover to a replica and unclean restarts, each a new
 * branch in the failover log at the persisted snapshot's end, or its start if the snapshot is
 * incomplete) and a DCP consumer in go-dcp's shape (stream request with its checkpoint, the
 * producer's rollback decision, snapshot markers and deduplicated mutations, apply and
 * acknowledge, periodic checkpoints, rollback mitigation, connection loss, crash and restart).
 *
 * Locality: a producer decides from its own failover log and high seqno and the request; the
 * consumer from its own state and what it receives (the stream's messages, the failover log of an
 * answer, the persisted seqnos and UUIDs its observer asks every copy for). A replica's stream
 * reads the active's storage as the DCP messages it is sent.
 *
 * The producer's decision and the consumer's rules are `CdcRules`, for variants to replace.
 */
import { between, nodes, type Action } from "../../kit/index.js"
import { branchOf, CdcState, endAtOrBelow, isEnd, maxBranch, Role, Stream, type CdcBounds, type CdcNext, type CdcView } from "./state.js"

/** A stream request's resume point: the requester's vbuuid, start seqno and the snapshot it is in. */
export interface StreamRequest {
  readonly uuid: number
  readonly start: number
  readonly snapStart: number
  readonly snapEnd: number
}

/** The producer's answer: RESUME, or the seqno to roll back to. */
export const RESUME = -1

export interface CdcRules {
  /**
   * Copy c's answer, as a producer, to a stream request (kv_engine's FailoverTable::needsRollback):
   * RESUME or a rollback seqno. It reads only c's failover log and high seqno.
   */
  readonly decide: (s: CdcView, c: number, request: StreamRequest) => number
  /**
   * The consumer's rollback mitigation: deliver only seqnos every copy has persisted, as
   * observe-seqno reports them (each copy's persisted seqno and vbuuid, what go-dcp observes), and
   * only on the branch they agree on ("persisted"); or "off".
   */
  readonly mitigation: "off" | "persisted"
  /**
   * Whether the mitigation leaves out copies absent from the cluster map (failed over, not back
   * yet), as go-dcp does ("ignore"), or waits for them ("count"). A copy that is down cannot be
   * observed: while one it does not leave out is down, the mitigation learns nothing.
   */
  readonly absentCopies: "ignore" | "count"
  /**
   * The mitigation's view holds for the branch it was observed on: an event goes out only on that
   * branch, and a view observed on another branch replaces it even if lower. Off: one view that
   * only rises, whatever the branch (go-dcp's SetPersistSeqNo).
   */
  readonly viewPerBranch: boolean
  /**
   * A copy that persisted only part of a snapshot branches (when promoted, or back from an unclean
   * shutdown) at that snapshot's start, as kv_engine did before MB-35003 (2019); off: at its last
   * consistent point below it (the end of the last snapshot it holds whole), as kv_engine does since.
   */
  readonly branchAtSnapshotStart: boolean
  /**
   * What the consumer does with a rollback to seqno X: truncate its sink to the newest point it
   * knows it is consistent at, at or below X (the end of the snapshot it last applied whole, else
   * 0), and read from there ("consistent"); truncate its sink to X itself ("truncate-to-seqno");
   * leave its sink and apply what the stream sends again from X ("redeliver"); or leave its sink
   * and drop re-sent events up to its old position (go-dcp's "catch-up"). A consumer that
   * truncates keeps its sink and its checkpoint in one store: a restart truncates the sink to the
   * checkpoint.
   */
  readonly onRollback: "consistent" | "truncate-to-seqno" | "redeliver" | "catch-up"
  /** A new stream drops what an earlier one sent and the consumer has not applied yet (rather than applying it after the reconnect). */
  readonly dropUnappliedOnReconnect: boolean
  /** The consumer acknowledges a mutation when it receives it (rather than once it is applied). */
  readonly ackOnReceive: boolean
  /** An acknowledgement records the snapshot the mutation came in (rather than the one the stream is in when it is applied). */
  readonly ackOwnSnapshot: boolean
  /** The consumer's request carries the snapshot it was in (rather than its seqno as both ends). */
  readonly sendSnapshotRange: boolean
}

/** Where branch `uuid` ends on copy c: the next newer failover entry's seqno, or c's high seqno for its current branch (-1: not in its log). */
export function branchEnd(s: CdcView, c: number, uuid: number): number {
  for (let k = 1; k <= s.failoverLog.length(c); k++) if (s.failoverLog.uuid(c, k) === uuid) return k === 1 ? s.high(c) : s.failoverLog.seqno(c, k - 1)
  return -1
}

/**
 * kv_engine's rule (docs/dcp/documentation/rollback.md; FailoverTable::needsRollback): a request
 * from seqno 0 never rolls back; a UUID not in the failover log rolls back to 0; else `upper` is
 * where the UUID's branch ended: a snapshot ending at or below it resumes; otherwise roll back to
 * `upper`, or to the snapshot's start if the requester is inside a snapshot that crosses it (a
 * partial snapshot is no consistent point).
 */
export function needsRollback(s: CdcView, c: number, r: StreamRequest): number {
  if (r.start === 0) return RESUME
  const upper = branchEnd(s, c, r.uuid)
  if (upper < 0) return 0
  let snapStart = r.snapStart
  let snapEnd = r.snapEnd
  if (r.start === snapStart) snapEnd = r.start
  if (snapEnd <= upper) return RESUME
  if (r.start === snapEnd) snapStart = r.start
  return upper < snapStart ? upper : snapStart
}

export const baseCdcRules: CdcRules = {
  decide: needsRollback,
  mitigation: "persisted",
  absentCopies: "count",
  viewPerBranch: true,
  branchAtSnapshotStart: false,
  onRollback: "consistent",
  dropUnappliedOnReconnect: true,
  ackOnReceive: false,
  ackOwnSnapshot: true,
  sendSnapshotRange: true
}

type View = CdcView
type Next = CdcNext

/** The newest entry of copy c's failover log at or below `seqno` (0: none). */
function uuidAtOrBelow(s: View, c: number, seqno: number): number {
  for (let k = 1; k <= s.failoverLog.length(c); k++) if (s.failoverLog.seqno(c, k) <= seqno) return s.failoverLog.uuid(c, k)
  return 0
}

/**
 * A new branch on copy c (a promotion, or an active back from an unclean shutdown): at the persisted
 * snapshot's end if all of it was persisted, else at the copy's last consistent point below its
 * persisted seqno (kv_engine's warmup since MB-35003), or with branchAtSnapshotStart at the partial
 * snapshot's start (before it); entries above it leave the log and the new one goes first
 * (FailoverTable::createEntry). A promotion takes the persisted point too: see the ADR's
 * simplifications.
 */
function newBranch(t: Next, s: View, c: number, capacity: number, atSnapshotStart: boolean): void {
  const uuid = s.branches + 1
  const whole = s.persisted(c) === s.persistedSnapshot.end(c)
  const at = whole ? s.persistedSnapshot.end(c) : atSnapshotStart ? s.persistedSnapshot.start(c) : endAtOrBelow(s, c, s.persisted(c))
  const kept: Array<{ uuid: number; seqno: number }> = []
  for (let k = 1; k <= s.failoverLog.length(c); k++) if (s.failoverLog.seqno(c, k) <= at) kept.push({ uuid: s.failoverLog.uuid(c, k), seqno: s.failoverLog.seqno(c, k) })
  t.failoverLog.clear(c)
  t.failoverLog.push(c, { uuid, seqno: at })
  for (const e of kept.slice(0, capacity - 1)) t.failoverLog.push(c, e)
  t.branches = uuid
  // As an active its writes are complete snapshots; its high seqno is taken as a consistent point.
  t.snapshot.setStart(c, s.high(c))
  t.snapshot.setEnd(c, s.high(c))
  if (s.high(c) > 0) t.setEnds(c, s.ends(c) | (1 << (s.high(c) - 1)))
}

/**
 * The next seqno a snapshot [from, to] of copy c's storage sends after `after`: the next stored
 * mutation that is its key's last in the range (deduplication); `to` itself when none is left (the
 * stream advances to the snapshot's end).
 */
export function nextInSnapshot(s: View, c: number, from: number, to: number, after: number): number {
  for (let k = after + 1; k <= to; k++) {
    const key = s.stored.key(c, k)
    if (key === 0) continue
    let last = true
    for (let j = k + 1; j <= to && last; j++) if (s.stored.key(c, j) === key) last = false
    if (last && k >= from) return k
  }
  return to
}

function ack(t: Next, s: View, uuid: number, at: number, snapStart: number, snapEnd: number): void {
  // go-dcp's setOffset: the offset never moves back.
  if (at <= s.offset.seqno) return
  t.offset.uuid = uuid
  t.offset.seqno = at
  t.offset.snapStart = snapStart
  t.offset.snapEnd = snapEnd
}

function clearReceived(t: Next): void {
  t.received.seqno = 0
  t.received.key = 0
  t.received.branch = 0
  t.received.uuid = 0
  t.received.snapStart = 0
  t.received.snapEnd = 0
}

function closeStream(t: Next): void {
  t.stream.state = Stream.Closed
  t.stream.source = 0
  t.stream.uuid = 0
  t.stream.position = 0
  t.stream.snapStart = 0
  t.stream.snapEnd = 0
  t.stream.first = false
}

export function cdcActions(b: CdcBounds, rules: CdcRules): Array<Action<View, Next>> {
  const truncates = rules.onRollback === "consistent" || rules.onRollback === "truncate-to-seqno"
  const truncateSink = (t: Next, to: number) => {
    for (let k = to + 1; k <= b.maxSeqno; k++) {
      t.sink.setKey(k, 0)
      t.sink.setBranch(k, 0)
    }
  }
  const activeUp = (s: View) => s.role(s.active) === Role.Active
  /** Replica r is up and on the active's branch (its stream from the active is established). */
  const streaming = (s: View, r: number) => s.role(r) === Role.Replica && activeUp(s) && branchOf(s, r) === branchOf(s, s.active)
  return [
    CdcState.action("Write")
      .exists("key", between(1, b.keys))
      .require((s) => activeUp(s), "no-active", "the active copy is down")
      .require((s) => s.high(s.active) < b.maxSeqno, "history-full", `the active's history is at the model's highest seqno (${b.maxSeqno})`)
      .then((t, a, s) => {
        const c = s.active
        const seq = s.high(c) + 1
        t.stored.setKey(c, seq, a.key)
        t.stored.setBranch(c, seq, branchOf(s, c))
        t.setHigh(c, seq)
        t.snapshot.setStart(c, seq)
        t.snapshot.setEnd(c, seq)
        t.setEnds(c, s.ends(c) | (1 << (seq - 1)))
      }),
    CdcState.action("ReplicaHandshake")
      .exists("r", nodes)
      .require((s, a) => s.role(a.r) === Role.Replica && activeUp(s) && branchOf(s, a.r) !== branchOf(s, s.active), "connected", "copy {r} is not an up replica of another branch than the active's")
      .let("decision", (s, a) => rules.decide(s, s.active, { uuid: branchOf(s, a.r), start: s.high(a.r), snapStart: s.snapshot.start(a.r), snapEnd: s.snapshot.end(a.r) }))
      .then((t, a, s) => {
        // A replica is a DCP consumer of the active: it rolls its storage back if told, and takes the active's failover log.
        const r = a.r
        // Told to roll back, a replica goes back to its newest consistent point at or below the
        // seqno (the end of a snapshot it holds whole). Resumed inside a snapshot of the old
        // producer, it drops that snapshot's items and takes it again from the new one (a
        // snapshot's start is at least 1, so this stays in range). (Simplifications; ADR 0004.)
        const to = a.decision !== RESUME ? endAtOrBelow(s, r, Math.min(a.decision, s.high(r))) : s.high(r) < s.snapshot.end(r) ? s.snapshot.start(r) - 1 : RESUME
        if (to !== RESUME) {
          for (let k = to + 1; k <= b.maxSeqno; k++) {
            t.stored.setKey(r, k, 0)
            t.stored.setBranch(r, k, 0)
          }
          t.setHigh(r, to)
          t.setEnds(r, s.ends(r) & ((1 << to) - 1))
          if (s.persisted(r) > to) t.setPersisted(r, to)
          t.snapshot.setStart(r, to)
          t.snapshot.setEnd(r, to)
          if (s.persistedSnapshot.end(r) > to) {
            t.persistedSnapshot.setStart(r, to)
            t.persistedSnapshot.setEnd(r, to)
          }
        }
        t.failoverLog.clear(r)
        for (let k = 1; k <= s.failoverLog.length(s.active); k++) t.failoverLog.push(r, { uuid: s.failoverLog.uuid(s.active, k), seqno: s.failoverLog.seqno(s.active, k) })
      }),
    CdcState.action("ReplicaMarker")
      .exists("r", nodes)
      .require((s, a) => streaming(s, a.r) && s.high(a.r) === s.snapshot.end(a.r), "not-streaming", "copy {r} is not a replica streaming from the active at a snapshot's end")
      .exists("end", between((s, a) => s.high(a.r) + 1, (s) => s.high(s.active)), ["caught-up", "copy {r} has the active's whole history"])
      .require((s, a) => isEnd(s, s.active, a.end), "not-an-end", "the active holds no snapshot ending at {end}")
      .then((t, a, s) => {
        t.snapshot.setStart(a.r, s.high(a.r) + 1)
        t.snapshot.setEnd(a.r, a.end)
      }),
    CdcState.action("ReplicaReceive")
      .exists("r", nodes)
      .require((s, a) => streaming(s, a.r) && s.high(a.r) < s.snapshot.end(a.r), "not-in-snapshot", "copy {r} is not a replica streaming inside a snapshot")
      .let("seq", (s, a) => nextInSnapshot(s, s.active, s.snapshot.start(a.r), s.snapshot.end(a.r), s.high(a.r)))
      .then((t, a, s) => {
        const k = a.seq
        t.stored.setKey(a.r, k, s.stored.key(s.active, k))
        t.stored.setBranch(a.r, k, s.stored.branch(s.active, k))
        t.setHigh(a.r, k)
        if (k === s.snapshot.end(a.r)) t.setEnds(a.r, s.ends(a.r) | (1 << (k - 1)))
      }),
    CdcState.action("Persist")
      .exists("c", nodes)
      .require((s, a) => s.role(a.c) !== Role.Down && s.persisted(a.c) < s.high(a.c), "persisted", "copy {c} is down or has persisted its whole history")
      .then((t, a, s) => {
        // The flush records the snapshot its last item belongs to (a marker with no item yet: the previous one, complete at the high seqno).
        const c = a.c
        const fresh = s.snapshot.start(c) > s.high(c)
        t.setPersisted(c, s.high(c))
        t.persistedSnapshot.setStart(c, fresh ? s.high(c) : s.snapshot.start(c))
        t.persistedSnapshot.setEnd(c, fresh ? s.high(c) : s.snapshot.end(c))
      }),
    CdcState.action("Crash")
      .exists("c", nodes)
      .require((s, a) => s.role(a.c) !== Role.Down, "down", "copy {c} is down")
      .then((t, a, s) => {
        // What was not persisted is lost; a stream from it breaks.
        const c = a.c
        t.setRole(c, Role.Down)
        for (let k = s.persisted(c) + 1; k <= b.maxSeqno; k++) {
          t.stored.setKey(c, k, 0)
          t.stored.setBranch(c, k, 0)
        }
        t.setHigh(c, s.persisted(c))
        t.setEnds(c, s.ends(c) & ((1 << s.persisted(c)) - 1))
        t.snapshot.setStart(c, s.persistedSnapshot.start(c))
        t.snapshot.setEnd(c, s.persistedSnapshot.end(c))
        if (s.stream.state === Stream.Open && s.stream.source === c) closeStream(t)
      }),
    CdcState.action("Restart")
      .exists("c", nodes)
      .require((s, a) => s.role(a.c) === Role.Down, "up", "copy {c} is up")
      .require((s, a) => s.active !== a.c || s.branches < maxBranch(b), "branch-cap", `the model's branches are used up (${maxBranch(b)})`)
      .then((t, a, s) => {
        t.setFailedOver(a.c, false)
        if (s.active !== a.c) return void t.setRole(a.c, Role.Replica)
        // The active back from an unclean shutdown: a new branch.
        t.setRole(a.c, Role.Active)
        newBranch(t, s, a.c, maxBranch(b), rules.branchAtSnapshotStart)
      }),
    CdcState.action("Failover")
      .exists("n", nodes)
      .require((s) => !activeUp(s), "active-up", "the active copy is up")
      .require((s, a) => s.role(a.n) === Role.Replica, "not-replica", "copy {n} is not an up replica")
      .require((s) => s.branches < maxBranch(b), "branch-cap", `the model's branches are used up (${maxBranch(b)})`)
      .then((t, a, s) => {
        t.setFailedOver(s.active, true)
        t.active = a.n
        t.setRole(a.n, Role.Active)
        newBranch(t, s, a.n, maxBranch(b), rules.branchAtSnapshotStart)
      }),
    CdcState.action("OpenStream")
      .require((s) => s.stream.state === Stream.Closed && activeUp(s), "no-stream", "the stream is open, or the active is down")
      .let("request", (s) => ({
        uuid: s.offset.uuid,
        start: s.offset.seqno,
        snapStart: rules.sendSnapshotRange ? s.offset.snapStart : s.offset.seqno,
        snapEnd: rules.sendSnapshotRange ? s.offset.snapEnd : s.offset.seqno
      }))
      .let("decision", (s, a) => rules.decide(s, s.active, a.request))
      .then((t, a, s) => {
        const decision = a.decision
        if (rules.dropUnappliedOnReconnect) clearReceived(t)
        if (decision === RESUME) {
          // OK: the stream starts after the request's seqno, on the producer's current branch; its
          // first marker starts at the request's snapshot start (it may continue that snapshot).
          t.stream.state = Stream.Open
          t.stream.source = s.active
          t.stream.uuid = branchOf(s, s.active)
          t.stream.position = a.request.start
          t.stream.snapStart = a.request.snapStart
          t.stream.snapEnd = a.request.start
          t.stream.first = true
          return
        }
        // Rollback: the next request starts at the rollback point, on the newest branch at or below it.
        const to = rules.onRollback === "consistent" ? (s.consistent <= decision ? s.consistent : 0) : decision
        t.offset.uuid = uuidAtOrBelow(s, s.active, to)
        t.offset.seqno = to
        t.offset.snapStart = to
        t.offset.snapEnd = to
        if (rules.onRollback === "catch-up") t.catchup = a.request.start
        if (truncates) {
          // The sink and its checkpoint go back together (one store).
          truncateSink(t, to)
          t.consistent = to
          t.checkpoint.uuid = t.offset.uuid
          t.checkpoint.seqno = to
          t.checkpoint.snapStart = to
          t.checkpoint.snapEnd = to
        }
      }),
    CdcState.action("SnapshotMarker")
      .require((s) => s.stream.state === Stream.Open && s.stream.position === s.stream.snapEnd, "in-snapshot", "the stream is closed or inside a snapshot")
      .exists("end", between((s) => s.stream.position + 1, (s) => s.high(s.stream.source)), ["caught-up", "the stream's source has nothing after its position"])
      .require((s, a) => isEnd(s, s.stream.source, a.end), "not-an-end", "the source holds no snapshot ending at {end}")
      .require((s) => rules.mitigation === "off" || (s.stream.position + 1 <= s.persistView && (!rules.viewPerBranch || s.persistViewBranch === s.stream.uuid)), "not-persisted", "the mitigation holds the marker back (its start is not persisted on every copy)")
      .then((t, a, s) => {
        // A snapshot starts after the last one sent (its checkpoint's start, MB-50333); the first
        // after a request at the request's snapshot start if that is lower (it may resume that snapshot).
        const next = s.stream.position + 1
        t.stream.snapStart = s.stream.first && s.stream.snapStart < next ? s.stream.snapStart : next
        t.stream.snapEnd = a.end
        t.stream.first = false
      }),
    CdcState.action("Receive")
      .require((s) => s.stream.state === Stream.Open && s.stream.position < s.stream.snapEnd, "no-snapshot", "the stream is closed or has sent its whole snapshot")
      .require((s) => s.received.key === 0, "busy", "the consumer has a mutation to apply")
      .let("seq", (s) => nextInSnapshot(s, s.stream.source, s.stream.snapStart, s.stream.snapEnd, s.stream.position))
      .require((s, a) => rules.mitigation === "off" || (a.seq <= s.persistView && (!rules.viewPerBranch || s.persistViewBranch === s.stream.uuid)), "not-persisted", "the mitigation holds the mutation back (not persisted on every copy)")
      .then((t, a, s) => {
        t.stream.position = a.seq
        const key = s.stored.key(s.stream.source, a.seq)
        // The end of the snapshot with nothing stored there, or go-dcp's catch-up after a rollback: nothing to apply.
        if (key === 0 || a.seq <= s.catchup) {
          if (a.seq === s.stream.snapEnd) t.consistent = a.seq
          return
        }
        t.received.seqno = a.seq
        t.received.key = key
        t.received.branch = s.stored.branch(s.stream.source, a.seq)
        t.received.uuid = s.stream.uuid
        t.received.snapStart = s.stream.snapStart
        t.received.snapEnd = s.stream.snapEnd
        if (rules.ackOnReceive) ack(t, s, s.stream.uuid, a.seq, s.stream.snapStart, s.stream.snapEnd)
      }),
    CdcState.action("Apply")
      .require((s) => s.received.key !== 0, "nothing-received", "the consumer has no mutation to apply")
      .then((t, _a, s) => {
        const seq = s.received.seqno
        t.sink.setKey(seq, s.received.key)
        t.sink.setBranch(seq, s.received.branch)
        clearReceived(t)
        if (seq === s.received.snapEnd) t.consistent = seq
        if (rules.ackOnReceive) return
        // The listener acknowledges what it applied, with the branch and snapshot it came in.
        if (rules.ackOwnSnapshot) ack(t, s, s.received.uuid, seq, s.received.snapStart, s.received.snapEnd)
        else ack(t, s, s.stream.uuid, seq, s.stream.snapStart, s.stream.snapEnd)
      }),
    CdcState.action("SaveCheckpoint")
      .require(
        (s) => s.checkpoint.uuid !== s.offset.uuid || s.checkpoint.seqno !== s.offset.seqno || s.checkpoint.snapStart !== s.offset.snapStart || s.checkpoint.snapEnd !== s.offset.snapEnd,
        "clean",
        "the checkpoint is the acknowledged offset"
      )
      .then((t, _a, s) => {
        t.checkpoint.uuid = s.offset.uuid
        t.checkpoint.seqno = s.offset.seqno
        t.checkpoint.snapStart = s.offset.snapStart
        t.checkpoint.snapEnd = s.offset.snapEnd
      }),
    CdcState.action("Observe")
      .require(() => rules.mitigation !== "off", "no-mitigation", "the consumer runs no rollback mitigation")
      .let("safe", (s) => {
        // go-dcp's getMinSeqNo: the lowest persisted seqno over the copies observed, if they agree on the branch (else -1: no news).
        let min = -1
        let uuid = -1
        for (let c = 1; c <= s.nodeCount; c++) {
          if (rules.absentCopies === "ignore" && s.failedOver(c)) continue
          if (s.role(c) === Role.Down) return -1
          if (uuid >= 0 && branchOf(s, c) !== uuid) return -1
          uuid = branchOf(s, c)
          if (min < 0 || s.persisted(c) < min) min = s.persisted(c)
        }
        return min
      })
      .let("branch", (s) => {
        for (let c = 1; c <= s.nodeCount; c++) if (rules.absentCopies === "count" || !s.failedOver(c)) return branchOf(s, c)
        return 0
      })
      .require(
        (s, a) => a.safe >= 0 && (rules.viewPerBranch && a.branch !== s.persistViewBranch ? true : a.safe > s.persistView),
        "no-news",
        "a copy it waits for is down, the copies disagree on the branch, or none moves the mitigation on"
      )
      .then((t, a, s) => {
        if (rules.viewPerBranch) {
          t.persistView = a.branch === s.persistViewBranch ? Math.max(a.safe, s.persistView) : a.safe
          t.persistViewBranch = a.branch
        } else t.persistView = a.safe
      }),
    CdcState.action("ConnectionLost")
      .require((s) => s.stream.state === Stream.Open, "closed", "the stream is closed")
      .then((t) => closeStream(t)),
    CdcState.action("ConsumerRestart").then((t, _a, s) => {
      // Memory is lost (the stream, what was received, the offset, catch-up, the mitigation's view); the checkpoint and the sink stay.
      // A sink that truncates goes back to its checkpoint (sink and checkpoint in one store).
      if (truncates) truncateSink(t, s.checkpoint.seqno)
      closeStream(t)
      clearReceived(t)
      t.offset.uuid = s.checkpoint.uuid
      t.offset.seqno = s.checkpoint.seqno
      t.offset.snapStart = s.checkpoint.snapStart
      t.offset.snapEnd = s.checkpoint.snapEnd
      t.catchup = 0
      t.persistView = 0
      t.persistViewBranch = 0
      t.consistent = 0
    })
  ]
}
