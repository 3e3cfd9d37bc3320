/**
 * RollbackTransport: every side effect of a rollback, and everything the coordinator reads of its
 * node, as an Effect service. The coordinator sees only its own node: its log, key versions,
 * learned commit point, its view of the leader (kept by its replication layer from heartbeats),
 * its rollback files, its "event pending" marker and its event log. Two layers: an in-memory one
 * whose calls can be scripted to fail (tests, the cluster simulator), and a file-backed one that
 * really writes, fsyncs and renames (file-transport.ts).
 */
import { Context, Effect, Layer } from "effect"
import { CommitPointMoved, EmitFailed, ReadTailFailed, RecoverFailed, RejoinFailed, TailPersistFailed, TermLockBusy } from "./errors.js"
import type { LeaderView, LogEntry, RollbackEvent } from "./types.js"

export interface RollbackTransportService {
  /** The local entries with LSN in (fromExclusive, toInclusive]. */
  readonly readDivergentTail: (fromExclusive: number, toInclusive: number) => Effect.Effect<readonly LogEntry[], ReadTailFailed>
  /** Saves the tail durably; returns the rollback file's name. Idempotent for the same tail. */
  readonly persistRollbackFile: (tail: readonly LogEntry[]) => Effect.Effect<string, TailPersistFailed>
  /** Durably records the event the rollback owes, before anything is removed. */
  readonly markEventPending: (event: RollbackEvent) => Effect.Effect<void, TailPersistFailed>
  /** The event still owed, if a rollback stopped (or crashed) after marking it. */
  readonly pendingEvent: () => Effect.Effect<RollbackEvent | null>
  readonly clearEventPending: () => Effect.Effect<void, EmitFailed>
  /** Who leads in which term as this node believes it; null when it knows no leader. */
  readonly leaderView: () => Effect.Effect<LeaderView | null>
  /**
   * Runs `body` holding the term lock: meanwhile the node's replication layer takes no new term,
   * changes no leader view and casts no vote. Fails with TermLockBusy when it is held already.
   */
  readonly withTermLock: <A, E, R>(body: Effect.Effect<A, E, R>) => Effect.Effect<A, E | TermLockBusy, R>
  /** Keeps only the key versions written at or below `target` (the values visible there). Idempotent. */
  readonly restoreKeyVersions: (target: number) => Effect.Effect<void, RecoverFailed>
  /**
   * Truncates the log to `target`, unless the node's learned commit point is above `target` by now
   * (then CommitPointMoved, and nothing changes): the check and the write are one step of the
   * node, so no commit point learned in between can slip past it. Idempotent.
   */
  readonly truncateLog: (target: number) => Effect.Effect<void, RecoverFailed | CommitPointMoved>
  /** Applies the log entries above the last key version (startup recovery, and an aborted rollback). */
  readonly replayKeyVersions: () => Effect.Effect<void, RecoverFailed>
  readonly readLog: () => Effect.Effect<readonly LogEntry[], ReadTailFailed>
  /** Appends the event to the event log, unless an event of the same rollback file is there already. */
  readonly emitRollbackEvent: (event: RollbackEvent) => Effect.Effect<void, EmitFailed>
  readonly rejoinAsReplica: (primary: number, term: number) => Effect.Effect<void, RejoinFailed>
  /** At startup: releases a term lock that a crashed process left behind. */
  readonly releaseStaleTermLock: () => Effect.Effect<void>
}

export class RollbackTransport extends Context.Tag("replcheck/RollbackTransport")<RollbackTransport, RollbackTransportService>() {}

/** A node held in memory: its log, key versions, view, commit point, rollback files, marker and events. */
export interface MemoryNode {
  log: LogEntry[]
  /** The key versions the store serves: one per applied write, by LSN. */
  versions: LogEntry[]
  /** Who leads, in which term, as this node knows it (its replication layer keeps it current). */
  view: LeaderView | null
  /** The learned commit point's index. */
  commitPoint: number
  /** Is the term lock held? The replication layer then changes neither term nor view, and does not vote. */
  termLocked: boolean
  readonly rollbackFiles: Map<string, readonly LogEntry[]>
  pending: RollbackEvent | null
  readonly events: RollbackEvent[]
  replicaOf: { primary: number; term: number } | null
}

/** A node whose store has applied its whole log. */
export function memoryNode(log: readonly LogEntry[], view: LeaderView | null = null, commitPoint = 0): MemoryNode {
  return { log: [...log], versions: [...log], view, commitPoint, termLocked: false, rollbackFiles: new Map(), pending: null, events: [], replicaOf: null }
}

/** The value of `key` visible after these writes (the latest write to it; null if none or deleted). */
export function valueOf(writes: readonly LogEntry[], key: string): string | null {
  for (let k = writes.length - 1; k >= 0; k--) if (writes[k]!.key === key) return writes[k]!.value
  return null
}

/** Key versions after applying the log entries above the last one applied. */
export function replayed(versions: readonly LogEntry[], log: readonly LogEntry[]): LogEntry[] {
  const applied = versions.length === 0 ? 0 : versions[versions.length - 1]!.lsn
  return [...versions, ...log.filter((e) => e.lsn > applied)]
}

export type TransportCall = "read" | "persist" | "recover" | "truncate" | "emit" | "rejoin"

/** Which call fails: the n-th call (from 1) of each method named. */
export type FailureScript = Partial<Record<TransportCall, number>>

/** The rollback file name for a tail: the same tail always gets the same name. */
export function rollbackFileName(tail: readonly LogEntry[]): string {
  return tail.length === 0 ? "rollback-empty.ndjson" : `rollback-${tail[0]!.lsn}-${tail[tail.length - 1]!.lsn}-t${tail[tail.length - 1]!.term}.ndjson`
}

/** The in-memory layer over `node`, failing where `script` says. */
export function memoryTransport(node: MemoryNode, script: FailureScript = {}): Layer.Layer<RollbackTransport> {
  const calls: Record<TransportCall, number> = { read: 0, persist: 0, recover: 0, truncate: 0, emit: 0, rejoin: 0 }
  const failsNow = (call: TransportCall) => ++calls[call] === script[call]
  return Layer.succeed(RollbackTransport, {
    readDivergentTail: Effect.fn("RollbackTransport.readDivergentTail")(function* (from: number, to: number) {
      if (failsNow("read")) return yield* new ReadTailFailed({ message: "scripted failure" })
      return node.log.filter((e) => e.lsn > from && e.lsn <= to)
    }),
    persistRollbackFile: Effect.fn("RollbackTransport.persistRollbackFile")(function* (tail: readonly LogEntry[]) {
      if (failsNow("persist")) return yield* new TailPersistFailed({ message: "scripted failure" })
      const name = rollbackFileName(tail)
      node.rollbackFiles.set(name, [...tail])
      return name
    }),
    markEventPending: (event) => Effect.sync(() => void (node.pending = event)),
    pendingEvent: () => Effect.sync(() => node.pending),
    clearEventPending: () => Effect.sync(() => void (node.pending = null)),
    leaderView: () => Effect.sync(() => node.view),
    withTermLock: <A, E, R>(body: Effect.Effect<A, E, R>) =>
      Effect.suspend((): Effect.Effect<A, E | TermLockBusy, R> => {
        if (node.termLocked) return Effect.fail(new TermLockBusy({ message: "the term lock is held" }))
        node.termLocked = true
        return Effect.ensuring(
          body,
          Effect.sync(() => void (node.termLocked = false))
        )
      }),
    restoreKeyVersions: Effect.fn("RollbackTransport.restoreKeyVersions")(function* (target: number) {
      if (failsNow("recover")) return yield* new RecoverFailed({ message: "scripted failure" })
      node.versions = node.versions.filter((v) => v.lsn <= target)
    }),
    truncateLog: Effect.fn("RollbackTransport.truncateLog")(function* (target: number) {
      if (failsNow("truncate")) return yield* new RecoverFailed({ message: "scripted failure" })
      if (node.commitPoint > target) return yield* new CommitPointMoved({ commonPoint: target, commitPoint: node.commitPoint })
      node.log = node.log.filter((e) => e.lsn <= target)
    }),
    replayKeyVersions: () => Effect.sync(() => void (node.versions = replayed(node.versions, node.log))),
    readLog: () => Effect.sync(() => node.log),
    emitRollbackEvent: Effect.fn("RollbackTransport.emitRollbackEvent")(function* (event: RollbackEvent) {
      if (failsNow("emit")) return yield* new EmitFailed({ message: "scripted failure" })
      if (!node.events.some((e) => e.rollbackFile === event.rollbackFile)) node.events.push(event)
    }),
    rejoinAsReplica: Effect.fn("RollbackTransport.rejoinAsReplica")(function* (primary: number, term: number) {
      if (failsNow("rejoin")) return yield* new RejoinFailed({ message: "scripted failure" })
      node.replicaOf = { primary, term }
    }),
    releaseStaleTermLock: () => Effect.sync(() => void (node.termLocked = false))
  })
}
