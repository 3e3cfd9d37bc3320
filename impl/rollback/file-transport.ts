/**
 * The file-backed RollbackTransport: a node's data directory holds its oplog (log.ndjson), the
 * versions of every key (kv.ndjson: one line per applied write, by LSN), its rollback files
 * (rollback/*.ndjson), the "event pending" marker (pending-event.json), its operator events
 * (events.ndjson), whom it follows (replica.json), and what its replication layer keeps: its view
 * of the leader (view.json), its learned commit point (commit-point.json) and, while a rollback
 * holds it, the term lock (term.lock, created exclusively; the replication layer refuses to change
 * the view while it exists). Every file is replaced by writing a temporary file, fsyncing it,
 * renaming it and fsyncing the directory, so a crash leaves either the old or the new file.
 */
import * as nodeFs from "node:fs"
import { join } from "node:path"
import { Effect, Layer, Schema } from "effect"
import { CommitPointMoved, EmitFailed, ReadTailFailed, RecoverFailed, RejoinFailed, TailPersistFailed, TermLockBusy } from "./errors.js"
import { rollbackFileName, RollbackTransport } from "./transport.js"
import { LogEntry, RollbackEvent, type LeaderView } from "./types.js"

/**
 * The file operations this layer makes: node:fs, or, in tests, a simulated disk that forgets at a
 * power loss whatever was not fsynced (test/support/power-loss-fs.ts). Module state rather than a
 * parameter because FileNode's helpers, the transport and the crash child all share it.
 */
export interface FileOps {
  openSync(path: string, flags: "r" | "w" | "a" | "wx"): number
  writeSync(fd: number, data: string): unknown
  fsyncSync(fd: number): void
  closeSync(fd: number): void
  renameSync(from: string, to: string): void
  readFileSync(path: string, encoding: "utf8"): string
  existsSync(path: string): boolean
  readdirSync(path: string): string[]
  mkdirSync(path: string, options: { recursive: true }): unknown
  rmSync(path: string, options: { force: true }): void
}
let ops: FileOps = nodeFs
/** The file operations in use (the sidecar's file store makes them too). */
export const fileOps = (): FileOps => ops
/** Makes this layer use `next` until the returned function is called. */
export function useFileOps(next: FileOps): () => void {
  const previous = ops
  ops = next
  return () => void (ops = previous)
}

/** Where in the sequence of a durable write a test may stop the process (see failpoints). */
export type PersistFailpoint = "before-fsync" | "after-fsync" | "after-rename"

/** Failpoints of the file transport: inside each durable write, and inside a step (`at` names where). */
export type Failpoint = PersistFailpoint | "after-marker" | "after-emit-append"

function fsyncDir(dir: string): void {
  const fd = ops.openSync(dir, "r")
  try {
    ops.fsyncSync(fd)
  } finally {
    ops.closeSync(fd)
  }
}

/** Replaces `path` durably; `failpoint` is called between the steps (tests crash there). */
export function writeDurably(path: string, content: string, failpoint: (at: PersistFailpoint) => void = () => {}): void {
  const tmp = `${path}.tmp`
  const fd = ops.openSync(tmp, "w")
  try {
    ops.writeSync(fd, content)
    failpoint("before-fsync")
    ops.fsyncSync(fd)
  } finally {
    ops.closeSync(fd)
  }
  failpoint("after-fsync")
  ops.renameSync(tmp, path)
  fsyncDir(join(path, ".."))
  failpoint("after-rename")
}

const lines = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v) + "\n").join("")

function readLines<A, I>(path: string, schema: Schema.Schema<A, I>): A[] {
  if (!ops.existsSync(path)) return []
  const decode = Schema.decodeUnknownSync(schema)
  return ops.readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l, k) => {
      try {
        return decode(JSON.parse(l))
      } catch (e) {
        throw new Error(`${path}:${k + 1}: ${(e as Error).message.split("\n")[0]}`)
      }
    })
}

/** A node's data directory, as plain data. */
export interface FileNodeContents {
  readonly log: readonly LogEntry[]
  readonly versions: readonly LogEntry[]
  readonly rollbackFiles: ReadonlyMap<string, readonly LogEntry[]>
  readonly pending: RollbackEvent | null
  readonly events: readonly RollbackEvent[]
  readonly replicaOf: { primary: number; term: number } | null
  readonly view: LeaderView | null
  readonly commitPoint: number
  readonly termLocked: boolean
}

const readJson = (path: string): unknown => (ops.existsSync(path) ? JSON.parse(ops.readFileSync(path, "utf8")) : null)

export const FileNode = {
  /** Creates a node's data directory holding `log`, its key versions, and what its replication layer knows. */
  init(dir: string, log: readonly LogEntry[], view: LeaderView | null = null, commitPoint = 0): void {
    ops.mkdirSync(join(dir, "rollback"), { recursive: true })
    writeDurably(join(dir, "log.ndjson"), lines(log))
    writeDurably(join(dir, "kv.ndjson"), lines(log))
    FileNode.setCommitPoint(dir, commitPoint)
    if (view) FileNode.setLeaderView(dir, view)
  },
  read(dir: string): FileNodeContents {
    const rollbackDir = join(dir, "rollback")
    const files = ops.existsSync(rollbackDir) ? ops.readdirSync(rollbackDir).filter((f) => f.endsWith(".ndjson")) : []
    const pending = readJson(join(dir, "pending-event.json"))
    return {
      log: readLines(join(dir, "log.ndjson"), LogEntry),
      versions: readLines(join(dir, "kv.ndjson"), LogEntry),
      rollbackFiles: new Map(files.map((f) => [f, readLines(join(rollbackDir, f), LogEntry)])),
      pending: pending === null ? null : Schema.decodeUnknownSync(RollbackEvent)(pending),
      events: readLines(join(dir, "events.ndjson"), RollbackEvent),
      replicaOf: readJson(join(dir, "replica.json")) as { primary: number; term: number } | null,
      view: readJson(join(dir, "view.json")) as LeaderView | null,
      commitPoint: ((readJson(join(dir, "commit-point.json")) as { index: number } | null) ?? { index: 0 }).index,
      termLocked: ops.existsSync(join(dir, "term.lock"))
    }
  },
  /** The value of `key` the node's store serves: its latest version (null if none or deleted). */
  valueOf(contents: FileNodeContents, key: string): string | null {
    const versions = contents.versions.filter((v) => v.key === key)
    return versions.length === 0 ? null : versions[versions.length - 1]!.value
  },
  /**
   * The replication layer's update of the leader view (a heartbeat, a new term). Refused, returning
   * false, while a rollback holds the term lock.
   */
  setLeaderView(dir: string, view: LeaderView | null): boolean {
    if (ops.existsSync(join(dir, "term.lock"))) return false
    writeDurably(join(dir, "view.json"), JSON.stringify(view) + "\n")
    return true
  },
  /** The replication layer's update of the learned commit point (its index). */
  setCommitPoint(dir: string, index: number): void {
    writeDurably(join(dir, "commit-point.json"), JSON.stringify({ index }) + "\n")
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

/**
 * The file-backed layer over the data directory `dir`; `failpoint` lets tests stop the process
 * inside a durable write or between the writes of one step.
 */
export function fileTransport(dir: string, failpoint?: (at: Failpoint) => void): Layer.Layer<RollbackTransport> {
  const attempt = <A, E>(run: () => A, fail: (message: string) => E) => Effect.try({ try: run, catch: (e) => fail(message(e)) })
  const readLog = () => readLines(join(dir, "log.ndjson"), LogEntry)
  const readVersions = () => readLines(join(dir, "kv.ndjson"), LogEntry)
  const lockPath = join(dir, "term.lock")
  const pendingPath = join(dir, "pending-event.json")
  return Layer.succeed(RollbackTransport, {
    readDivergentTail: (from, to) =>
      attempt(
        () => readLog().filter((e) => e.lsn > from && e.lsn <= to),
        (m) => new ReadTailFailed({ message: m })
      ),
    persistRollbackFile: (tail) =>
      attempt(
        () => {
          const name = rollbackFileName(tail)
          ops.mkdirSync(join(dir, "rollback"), { recursive: true })
          writeDurably(join(dir, "rollback", name), lines(tail), (at) => failpoint?.(at))
          return name
        },
        (m) => new TailPersistFailed({ message: m })
      ),
    markEventPending: (event) =>
      attempt(
        () => {
          writeDurably(pendingPath, JSON.stringify(event) + "\n")
          failpoint?.("after-marker")
        },
        (m) => new TailPersistFailed({ message: m })
      ),
    pendingEvent: () => Effect.sync(() => FileNode.read(dir).pending),
    clearEventPending: () =>
      attempt(
        () => {
          ops.rmSync(pendingPath, { force: true })
          fsyncDir(dir)
        },
        (m) => new EmitFailed({ message: m })
      ),
    leaderView: () => Effect.sync(() => readJson(join(dir, "view.json")) as LeaderView | null),
    withTermLock: <A, E, R>(body: Effect.Effect<A, E, R>) =>
      Effect.acquireUseRelease(
        Effect.try({
          try: () => ops.closeSync(ops.openSync(lockPath, "wx")),
          catch: (e) => new TermLockBusy({ message: `${lockPath}: ${message(e)}` })
        }),
        () => body,
        () => Effect.sync(() => ops.rmSync(lockPath, { force: true }))
      ),
    restoreKeyVersions: (target) =>
      attempt(
        () => writeDurably(join(dir, "kv.ndjson"), lines(readVersions().filter((v) => v.lsn <= target))),
        (m) => new RecoverFailed({ message: m })
      ),
    truncateLog: (target) =>
      Effect.suspend((): Effect.Effect<void, RecoverFailed | CommitPointMoved> => {
        // One synchronous step of the node: no commit point is learned between the read and the write.
        const commitPoint = FileNode.read(dir).commitPoint
        if (commitPoint > target) return Effect.fail(new CommitPointMoved({ commonPoint: target, commitPoint }))
        return attempt(
          () => writeDurably(join(dir, "log.ndjson"), lines(readLog().filter((e) => e.lsn <= target))),
          (m) => new RecoverFailed({ message: m })
        )
      }),
    replayKeyVersions: () =>
      attempt(
        () => {
          const versions = readVersions()
          const applied = versions.length === 0 ? 0 : versions[versions.length - 1]!.lsn
          const missing = readLog().filter((e) => e.lsn > applied)
          if (missing.length > 0) writeDurably(join(dir, "kv.ndjson"), lines([...versions, ...missing]))
        },
        (m) => new RecoverFailed({ message: m })
      ),
    readLog: () => attempt(readLog, (m) => new ReadTailFailed({ message: m })),
    emitRollbackEvent: (event) =>
      attempt(
        () => {
          const path = join(dir, "events.ndjson")
          if (readLines(path, RollbackEvent).some((e) => e.rollbackFile === event.rollbackFile)) return
          const fd = ops.openSync(path, "a")
          try {
            ops.writeSync(fd, JSON.stringify(event) + "\n")
            ops.fsyncSync(fd)
          } finally {
            ops.closeSync(fd)
          }
          failpoint?.("after-emit-append")
        },
        (m) => new EmitFailed({ message: m })
      ),
    rejoinAsReplica: (primary, term) =>
      attempt(
        () => writeDurably(join(dir, "replica.json"), JSON.stringify({ primary, term }) + "\n"),
        (m) => new RejoinFailed({ message: m })
      ),
    // A node runs one process, so at startup a lock file is the crashed process's.
    releaseStaleTermLock: () => Effect.sync(() => ops.rmSync(lockPath, { force: true }))
  })
}
