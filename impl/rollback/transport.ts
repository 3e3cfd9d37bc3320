/**
 * RollbackTransport: every side effect of a rollback, as an Effect service. Two layers: an
 * in-memory one whose calls can be scripted to fail (tests), and a file-backed one that really
 * writes, fsyncs and renames (file-transport.ts).
 */
import { Context, Effect, Layer } from "effect"
import { EmitFailed, ReadTailFailed, RecoverFailed, RejoinFailed, TailPersistFailed } from "./errors.js"
import type { LogEntry, RollbackEvent } from "./types.js"

export interface RollbackTransportService {
  /** The local entries with LSN in (fromExclusive, toInclusive]. */
  readonly readDivergentTail: (fromExclusive: number, toInclusive: number) => Effect.Effect<readonly LogEntry[], ReadTailFailed>
  /** Saves the tail durably; returns the rollback file's name. Idempotent for the same tail. */
  readonly persistRollbackFile: (tail: readonly LogEntry[]) => Effect.Effect<string, TailPersistFailed>
  /**
   * Does `primary` still lead in `term`, with no newer term seen by this node? Asked right before
   * truncating, because a plan goes stale (ADR 0001, finding 1).
   */
  readonly planStillCurrent: (primary: number, term: number) => Effect.Effect<boolean>
  /** Truncates the log to `target` and restores the values visible there. Idempotent. */
  readonly recoverToLsn: (target: number) => Effect.Effect<void, RecoverFailed>
  readonly emitRollbackEvent: (event: RollbackEvent) => Effect.Effect<void, EmitFailed>
  readonly rejoinAsReplica: (primary: number, term: number) => Effect.Effect<void, RejoinFailed>
}

export class RollbackTransport extends Context.Tag("replcheck/RollbackTransport")<RollbackTransport, RollbackTransportService>() {}

/** A node held in memory: its log, the versions of each key, its rollback files and events. */
export interface MemoryNode {
  log: LogEntry[]
  /** Who leads, in which term, as this node knows it (the cluster simulator keeps it current). */
  leader: { primary: number; term: number } | null
  readonly rollbackFiles: Map<string, readonly LogEntry[]>
  readonly events: RollbackEvent[]
  replicaOf: { primary: number; term: number } | null
}

export function memoryNode(log: readonly LogEntry[]): MemoryNode {
  return { log: [...log], leader: null, rollbackFiles: new Map(), events: [], replicaOf: null }
}

/** The value of `key` visible after the node's log (the latest write to it; null if none or deleted). */
export function valueOf(log: readonly LogEntry[], key: string): string | null {
  for (let k = log.length - 1; k >= 0; k--) if (log[k]!.key === key) return log[k]!.value
  return null
}

export type TransportCall = "read" | "persist" | "recover" | "emit" | "rejoin"

/** Which call fails: the n-th call (from 1) of each method named. */
export type FailureScript = Partial<Record<TransportCall, number>>

/** The rollback file name for a tail: the same tail always gets the same name. */
export function rollbackFileName(tail: readonly LogEntry[]): string {
  return tail.length === 0 ? "rollback-empty.ndjson" : `rollback-${tail[0]!.lsn}-${tail[tail.length - 1]!.lsn}-t${tail[tail.length - 1]!.term}.ndjson`
}

/** The in-memory layer over `node`, failing where `script` says. */
export function memoryTransport(node: MemoryNode, script: FailureScript = {}): Layer.Layer<RollbackTransport> {
  const calls: Record<TransportCall, number> = { read: 0, persist: 0, recover: 0, emit: 0, rejoin: 0 }
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
    planStillCurrent: (primary, term) =>
      Effect.sync(() => node.leader === null || (node.leader.primary === primary && node.leader.term === term)),
    recoverToLsn: Effect.fn("RollbackTransport.recoverToLsn")(function* (target: number) {
      if (failsNow("recover")) return yield* new RecoverFailed({ message: "scripted failure" })
      node.log = node.log.filter((e) => e.lsn <= target)
    }),
    emitRollbackEvent: Effect.fn("RollbackTransport.emitRollbackEvent")(function* (event: RollbackEvent) {
      if (failsNow("emit")) return yield* new EmitFailed({ message: "scripted failure" })
      node.events.push(event)
    }),
    rejoinAsReplica: Effect.fn("RollbackTransport.rejoinAsReplica")(function* (primary: number, term: number) {
      if (failsNow("rejoin")) return yield* new RejoinFailed({ message: "scripted failure" })
      node.replicaOf = { primary, term }
    })
  })
}
