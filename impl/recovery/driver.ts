/**
 * The recovery driver of a primary (ADR 0003), after sw-block's execution driver: for each
 * replica a sender holds the primary's view of it (disconnected, needing a rebuild, in sync) and
 * at most one recovery session. A session is planned from the handshake (the replica's flushed LSN
 * and the epoch of its entry at min(flushed, committed)) and the primary's own retained history,
 * acquires the pins its plan needs, executes one step at a time (stream one entry, truncate,
 * transfer a base), and completes, releasing its pins, only if it is still valid and has reached
 * the primary's committed LSN. Every failure fails closed: a refused pin ends the plan holding
 * nothing; a lost connection or a new epoch invalidates the session, and its next step releases.
 *
 * The driver reads only its own node's storage and what a replica answers over `ReplicaLink`;
 * it imports nothing of the checker.
 */
import { Effect } from "effect"
import type { Fenced, NotNextEntry, TruncationUnsafe } from "./errors.js"
import type { Pin, RecoveryStorageService } from "./storage.js"
import { classifyGap, rebuildSource, type HandshakeReport, type WalEntry } from "./types.js"

export type ReplicaView = "Disconnected" | "NeedsRebuild" | "InSync"
export type SessionPhase = "Planned" | "TruncatePlanned" | "Truncated" | "RebuildAssigned" | "SnapshotPinned" | "Transferring" | "CatchingUp"

export interface Session {
  readonly kind: "CatchUp" | "Rebuild"
  phase: SessionPhase
  /** The primary's epoch when the session was opened. */
  readonly epoch: number
  /** A new epoch or a lost connection ended it; the executor's next step releases. */
  invalidated: boolean
  /** Where the WAL stream starts (catch-up: the replica's flushed LSN) or the base's LSN (rebuild). */
  start: number
  /** How far the replica has been brought. */
  progress: number
  /** The committed LSN when the session was planned. */
  target: number
  source: "SnapshotTail" | "FullBase" | null
}

export interface Sender {
  view: ReplicaView
  /** The replica's flushed LSN as last acknowledged (while in sync). */
  acked: number
  session: Session | null
  /** The pins taken for this replica's session; the session's executor releases them. */
  wal: Pin | null
  snapshot: Pin | null
  fullBase: Pin | null
}

/** The replica as the primary reaches it: each call is a message the replica accepts only from a primary of its epoch or newer. */
export interface ReplicaLink {
  /** Adopts the primary's epoch and reports its flushed LSN and its entry's epoch at min(flushed, committed). */
  readonly handshake: (epoch: number, committed: number) => Effect.Effect<HandshakeReport, Fenced>
  /** Appends the entry if it is the replica's next LSN. */
  readonly append: (epoch: number, entry: WalEntry) => Effect.Effect<void, Fenced | NotNextEntry>
  readonly truncate: (epoch: number, lsn: number) => Effect.Effect<void, Fenced | TruncationUnsafe>
  /** Replaces the replica's history with the base and adopts the epoch. */
  readonly installBase: (epoch: number, entries: readonly WalEntry[]) => Effect.Effect<void, Fenced>
}

/** Deliberate driver defects of the mutation check, named after the model variants that state them. */
export interface DriverBugs {
  readonly lsnOnlyHandshake?: boolean
  readonly snapshotPinLeak?: boolean
  readonly bookkeepingTruncation?: boolean
  readonly truncateToPlannedLsn?: boolean
  readonly completeAfterEpochChange?: boolean
  readonly frozenCatchUpTarget?: boolean
  readonly invalidateDropsPlan?: boolean
}

/** The steps a sender's own state allows next (the scheduler adds whether the replica is reachable). */
export type DriverStep =
  | "Replicate"
  | "Handshake"
  | "PinWal"
  | "PinFails"
  | "Truncate"
  | "StartRebuild"
  | "PlanRebuild"
  | "Transfer"
  | "StreamEntry"
  | "Complete"
  | "ReleaseSession"
  | "Disconnect"

/** Steps that send the replica a message (they need it reachable and not fenced). */
export const TOUCHES_REPLICA: ReadonlySet<DriverStep> = new Set(["Replicate", "Handshake", "Truncate", "Transfer", "StreamEntry"])

export class RecoveryDriver {
  readonly senders = new Map<number, Sender>()
  /** Best-effort commit: the highest LSN every replica in sync has acknowledged. */
  committed: number

  constructor(
    readonly self: number,
    public epoch: number,
    private readonly storage: RecoveryStorageService,
    peers: readonly number[],
    private readonly link: (replica: number) => ReplicaLink,
    private readonly bugs: DriverBugs = {}
  ) {
    // A new primary's whole log is its lineage.
    this.committed = Effect.runSync(storage.image).entries.length
    for (const r of peers) if (r !== self) this.senders.set(r, { view: "Disconnected", acked: 0, session: null, wal: null, snapshot: null, fullBase: null })
  }

  private sender(r: number): Sender {
    const s = this.senders.get(r)
    if (s === undefined) throw new Error(`node ${this.self} has no replica ${r}`)
    return s
  }

  private head(): number {
    return Effect.runSync(this.storage.image).entries.length
  }

  private recomputeCommit(): void {
    let c = this.head()
    for (const s of this.senders.values()) if (s.view === "InSync" && s.acked < c) c = s.acked
    if (c > this.committed) this.committed = c
  }

  /** Where a session's stream ends: the committed LSN now (a frozen target with the bug). */
  private goal(session: Session): number {
    return this.bugs.frozenCatchUpTarget ? session.target : this.committed
  }

  private releaseAll(s: Sender, keepSnapshot = false): Effect.Effect<void> {
    const pins = [s.wal, keepSnapshot ? null : s.snapshot, s.fullBase]
    s.wal = null
    if (!keepSnapshot) s.snapshot = null
    s.fullBase = null
    return Effect.forEach(
      pins.filter((p): p is Pin => p !== null),
      (p) => this.storage.release(p),
      { discard: true }
    )
  }

  private end(r: number, view: ReplicaView): void {
    const s = this.sender(r)
    s.view = view
    s.session = null
  }

  /** A plan whose pin was refused: release what it holds and leave the replica out of sync. */
  private failPlan(r: number, session: Session): Effect.Effect<void> {
    const rebuild = session.kind === "Rebuild"
    return this.releaseAll(this.sender(r), rebuild && this.bugs.snapshotPinLeak === true && session.phase === "SnapshotPinned").pipe(
      Effect.andThen(() => this.end(r, rebuild ? "NeedsRebuild" : "Disconnected"))
    )
  }

  private open(kind: Session["kind"], phase: SessionPhase, start: number, progress: number, target: number): Session {
    return { kind, phase, epoch: this.epoch, invalidated: false, start, progress, target, source: null }
  }

  /** What the sender for replica r may do next, by its own state. */
  steps(r: number): DriverStep[] {
    const s = this.sender(r)
    const out: DriverStep[] = []
    const session = s.session
    if (session === null) {
      if (s.view === "InSync" && s.acked < this.head()) out.push("Replicate")
      if (s.view === "Disconnected") out.push("Handshake")
      if (s.view === "NeedsRebuild") out.push("StartRebuild")
      if (s.view === "InSync") out.push("Disconnect")
      return out
    }
    if (session.invalidated) {
      out.push("ReleaseSession")
      if (this.bugs.completeAfterEpochChange && this.completable(s, session)) out.push("Complete")
      return out
    }
    const phase = session.phase
    if (phase === "Planned" || phase === "SnapshotPinned") out.push("PinWal", "PinFails")
    if (phase === "RebuildAssigned") out.push("PlanRebuild", "PinFails")
    if (phase === "TruncatePlanned") out.push("Truncate")
    if (phase === "Transferring") out.push("Transfer")
    if (phase === "CatchingUp" && s.wal !== null && session.progress < this.goal(session)) out.push("StreamEntry")
    if (this.completable(s, session)) out.push("Complete")
    out.push("Disconnect")
    return out
  }

  private completable(s: Sender, session: Session): boolean {
    if (session.phase === "Truncated") return true
    return session.phase === "CatchingUp" && (session.progress === this.goal(session) || s.wal === null)
  }

  /** Takes step `step` for replica r (one that `steps(r)` offers; a refused pin is the storage's to inject). */
  take(r: number, step: Exclude<DriverStep, "PinFails">): Effect.Effect<void, Fenced> {
    switch (step) {
      case "Replicate":
        return this.replicate(r)
      case "Handshake":
        return this.handshake(r)
      case "PinWal":
        return this.pinWal(r)
      case "Truncate":
        return this.truncate(r)
      case "StartRebuild":
        return Effect.sync(() => this.startRebuild(r))
      case "PlanRebuild":
        return this.planRebuild(r)
      case "Transfer":
        return this.transfer(r)
      case "StreamEntry":
        return this.streamEntry(r)
      case "Complete":
        return this.complete(r)
      case "ReleaseSession":
        return this.release(r)
      case "Disconnect":
        return Effect.sync(() => this.disconnect(r))
    }
  }

  /** The epoch of a replica's session, or the primary's own when it has none (what a message to it carries). */
  sessionEpoch(r: number): number {
    return this.sender(r).session?.epoch ?? this.epoch
  }

  /** A client write: appended to the primary's WAL under its epoch. */
  write(data: string): Effect.Effect<void> {
    return Effect.gen(this, function* () {
      yield* this.storage.append({ lsn: this.head() + 1, epoch: this.epoch, data })
      this.recomputeCommit()
    })
  }

  /** Ships the next entry to a replica in sync. */
  replicate(r: number): Effect.Effect<void, Fenced> {
    return Effect.gen(this, function* () {
      const s = this.sender(r)
      const [entry] = yield* this.storage.read(s.acked, s.acked + 1).pipe(Effect.orDie)
      const taken = yield* this.link(r)
        .append(this.epoch, entry!)
        .pipe(
          Effect.as(true),
          Effect.catchTag("NotNextEntry", () => Effect.succeed(false))
        )
      // A replica that refuses its next entry is no longer in sync.
      if (taken) s.acked++
      else {
        s.view = "Disconnected"
        s.acked = 0
      }
      this.recomputeCommit()
    })
  }

  /** Connects, takes the replica's report, classifies the gap and plans (no pin yet: a separate step). */
  handshake(r: number): Effect.Effect<void, Fenced> {
    return Effect.gen(this, function* () {
      const s = this.sender(r)
      const report = yield* this.link(r).handshake(this.epoch, this.committed)
      const history = yield* this.storage.history(this.committed)
      const outcome = classifyGap(history, report, !this.bugs.lsnOnlyHandshake)
      if (outcome === "ZeroGap") {
        s.view = "InSync"
        s.acked = report.flushed
      } else if (outcome === "NeedsRebuild") s.view = "NeedsRebuild"
      else if (outcome === "Truncate") s.session = this.open("CatchUp", "TruncatePlanned", 0, report.flushed, this.committed)
      else s.session = this.open("CatchUp", "Planned", report.flushed, report.flushed, this.committed)
    })
  }

  /** Takes the WAL pin of a catch-up or of a snapshot+tail rebuild; a refusal fails the plan. */
  pinWal(r: number): Effect.Effect<void> {
    const s = this.sender(r)
    const session = s.session!
    return this.storage.pinWal(session.start).pipe(
      Effect.match({
        onFailure: () => this.failPlan(r, session),
        onSuccess: (pin) =>
          Effect.sync(() => {
            s.wal = pin
            session.phase = session.phase === "Planned" ? "CatchingUp" : "Transferring"
          })
      }),
      Effect.flatten
    )
  }

  /** Truncates a replica that is ahead to the committed LSN, if that is still the plan's. */
  truncate(r: number): Effect.Effect<void, Fenced> {
    return Effect.gen(this, function* () {
      const session = this.sender(r).session!
      if (!this.bugs.truncateToPlannedLsn && this.committed !== session.target) return this.end(r, "Disconnected")
      // The bug records the truncation without telling the replica.
      if (!this.bugs.bookkeepingTruncation) {
        const done = yield* this.link(r)
          .truncate(session.epoch, session.target)
          .pipe(
            Effect.as(true),
            Effect.catchTag("TruncationUnsafe", () => Effect.succeed(false))
          )
        if (!done) return this.end(r, "NeedsRebuild")
      }
      session.progress = session.target
      session.phase = "Truncated"
    })
  }

  /** Opens a rebuild session for a replica that needs one (the rebuild assignment). */
  startRebuild(r: number): void {
    this.sender(r).session = this.open("Rebuild", "RebuildAssigned", 0, 0, 0)
  }

  /** Selects the rebuild's source and takes its first pin (a snapshot, or a full base at the committed LSN). */
  planRebuild(r: number): Effect.Effect<void> {
    return Effect.gen(this, function* () {
      const s = this.sender(r)
      const session = s.session!
      const history = yield* this.storage.history(this.committed)
      const { source, lsn } = rebuildSource(history)
      const pin = yield* Effect.either(source === "SnapshotTail" ? this.storage.pinSnapshot(lsn) : this.storage.pinFullBase(lsn))
      if (pin._tag === "Left") return yield* this.failPlan(r, session)
      session.source = source
      session.start = lsn
      session.target = this.committed
      if (source === "SnapshotTail") {
        s.snapshot = pin.right
        session.phase = "SnapshotPinned"
      } else {
        s.fullBase = pin.right
        session.phase = "Transferring"
      }
    })
  }

  /** Installs the pinned base on the replica; a snapshot+tail rebuild then streams the tail. */
  transfer(r: number): Effect.Effect<void, Fenced> {
    return Effect.gen(this, function* () {
      const session = this.sender(r).session!
      const base = yield* this.storage.baseImage(session.source!, session.start)
      yield* this.link(r).installBase(session.epoch, base)
      session.progress = session.start
      session.phase = "CatchingUp"
    })
  }

  /** Streams one WAL entry; a recycled entry fails the stream (the session is invalidated). */
  streamEntry(r: number): Effect.Effect<void, Fenced> {
    return Effect.gen(this, function* () {
      const session = this.sender(r).session!
      const read = yield* Effect.either(this.storage.read(session.progress, session.progress + 1))
      if (read._tag === "Left") {
        session.invalidated = true
        return
      }
      const taken = yield* this.link(r)
        .append(session.epoch, read.right[0]!)
        .pipe(
          Effect.as(true),
          Effect.catchTag("NotNextEntry", () => Effect.succeed(false))
        )
      if (taken) session.progress++
      else session.invalidated = true
    })
  }

  /**
   * Completes a session that is still valid: at its goal, the replica is in sync; a session that
   * cannot stream to a commit point that moved on (truncated, or a full base) ends, and the
   * replica is handshaken again. Either way the pins are released.
   */
  complete(r: number): Effect.Effect<void> {
    return Effect.gen(this, function* () {
      const s = this.sender(r)
      const session = s.session!
      yield* this.releaseAll(s)
      if (session.progress === this.goal(session)) {
        this.end(r, "InSync")
        s.acked = session.progress
        this.recomputeCommit()
      } else this.end(r, "Disconnected")
    })
  }

  /** The executor of an invalidated session releases what it holds. */
  release(r: number): Effect.Effect<void> {
    const s = this.sender(r)
    const session = s.session!
    return this.releaseAll(s).pipe(Effect.andThen(() => this.end(r, session.kind === "Rebuild" ? "NeedsRebuild" : "Disconnected")))
  }

  /** The connection to a replica is lost: its session is invalidated, or it is no longer in sync. */
  disconnect(r: number): void {
    const s = this.sender(r)
    if (s.session !== null) s.session.invalidated = true
    else {
      s.view = "Disconnected"
      s.acked = 0
      this.recomputeCommit()
    }
  }

  /** What replication itself still needs: the committed LSN, and what every replica in sync has acknowledged. */
  private needed(): number {
    let keep = this.committed
    for (const s of this.senders.values()) if (s.view === "InSync" && s.acked < keep) keep = s.acked
    return keep
  }

  /** The LSN garbage collection may not pass (replication's need and every pin). */
  retentionFloor(): Effect.Effect<number> {
    return this.storage.retentionFloor(this.needed())
  }

  /** Recycles the WAL up to `upTo` where nothing holds it; returns the new tail. */
  collectGarbage(upTo: number): Effect.Effect<number> {
    return this.storage.collect(upTo, this.needed())
  }

  takeSnapshot(): Effect.Effect<boolean> {
    return this.storage.takeSnapshot(this.committed).pipe(
      Effect.as(true),
      Effect.catchTag("SnapshotPinned", () => Effect.succeed(false))
    )
  }

  /** Re-assigned primary at a new epoch: every session of the old one is invalidated, every replica handshaken again. */
  newEpoch(epoch: number): void {
    this.epoch = epoch
    for (const [r, s] of this.senders) {
      if (s.session !== null) {
        if (this.bugs.invalidateDropsPlan) this.end(r, s.session.kind === "Rebuild" ? "NeedsRebuild" : "Disconnected")
        else s.session.invalidated = true
      } else if (s.view === "InSync") {
        s.view = "Disconnected"
        s.acked = 0
      }
    }
    this.recomputeCommit()
  }

  /** Demoted or crashed: the registry and every pin it holds go with the process's memory. */
  shutdown(): Effect.Effect<void> {
    return Effect.forEach([...this.senders.values()], (s) => this.releaseAll(s), { discard: true })
  }
}
