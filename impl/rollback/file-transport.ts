/**
 * The file-backed RollbackTransport: a node's data directory holds its oplog (log.ndjson), the
 * versions of every key (kv.ndjson: one line per write, by LSN), its rollback files
 * (rollback/*.ndjson), its operator events (events.ndjson) and whom it follows (replica.json).
 * Every file is replaced by writing a temporary file, fsyncing it, renaming it and fsyncing the
 * directory, so a crash leaves either the old or the new file, never a torn one.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeSync } from "node:fs"
import { join } from "node:path"
import { Effect, Layer, Schema } from "effect"
import { EmitFailed, ReadTailFailed, RecoverFailed, RejoinFailed, TailPersistFailed } from "./errors.js"
import { rollbackFileName, RollbackTransport } from "./transport.js"
import { LogEntry, RollbackEvent } from "./types.js"

/** Where in the sequence of a durable write a test may stop the process (see failpoints). */
export type PersistFailpoint = "before-fsync" | "after-fsync" | "after-rename"

/** Failpoints of the file transport: inside each durable write, and inside recovery. */
export type Failpoint = PersistFailpoint | "recover-after-versions"

const KeyVersion = Schema.Struct({ key: Schema.String, lsn: Schema.Int, value: Schema.NullOr(Schema.String) })
type KeyVersion = typeof KeyVersion.Type

function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r")
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Replaces `path` durably; `failpoint` is called between the steps (tests crash there). */
export function writeDurably(path: string, content: string, failpoint: (at: PersistFailpoint) => void = () => {}): void {
  const tmp = `${path}.tmp`
  const fd = openSync(tmp, "w")
  try {
    writeSync(fd, content)
    failpoint("before-fsync")
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  failpoint("after-fsync")
  renameSync(tmp, path)
  fsyncDir(join(path, ".."))
  failpoint("after-rename")
}

const lines = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v) + "\n").join("")

function readLines<A, I>(path: string, schema: Schema.Schema<A, I>): A[] {
  if (!existsSync(path)) return []
  const decode = Schema.decodeUnknownSync(schema)
  return readFileSync(path, "utf8")
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
  readonly versions: readonly KeyVersion[]
  readonly rollbackFiles: ReadonlyMap<string, readonly LogEntry[]>
  readonly events: readonly RollbackEvent[]
  readonly replicaOf: { primary: number; term: number } | null
}

export const FileNode = {
  /** Creates a node's data directory holding `log` (and the key versions its writes made). */
  init(dir: string, log: readonly LogEntry[]): void {
    mkdirSync(join(dir, "rollback"), { recursive: true })
    writeDurably(join(dir, "log.ndjson"), lines(log))
    writeDurably(join(dir, "kv.ndjson"), lines(log.map((e) => ({ key: e.key, lsn: e.lsn, value: e.value }))))
  },
  read(dir: string): FileNodeContents {
    const rollbackDir = join(dir, "rollback")
    const files = existsSync(rollbackDir) ? readdirSync(rollbackDir).filter((f) => f.endsWith(".ndjson")) : []
    const replica = join(dir, "replica.json")
    return {
      log: readLines(join(dir, "log.ndjson"), LogEntry),
      versions: readLines(join(dir, "kv.ndjson"), KeyVersion),
      rollbackFiles: new Map(files.map((f) => [f, readLines(join(rollbackDir, f), LogEntry)])),
      events: readLines(join(dir, "events.ndjson"), RollbackEvent),
      replicaOf: existsSync(replica) ? (JSON.parse(readFileSync(replica, "utf8")) as { primary: number; term: number }) : null
    }
  },
  /** The value of `key` visible in the node's store: its latest version (null if none or deleted). */
  valueOf(contents: FileNodeContents, key: string): string | null {
    const versions = contents.versions.filter((v) => v.key === key)
    return versions.length === 0 ? null : versions[versions.length - 1]!.value
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

/**
 * The file-backed layer over the data directory `dir`; `failpoint` lets tests stop a durable
 * write midway; `leader` answers who leads now (a real node asks its replication layer).
 */
export function fileTransport(
  dir: string,
  failpoint?: (at: Failpoint) => void,
  leader: () => { primary: number; term: number } | null = () => null
): Layer.Layer<RollbackTransport> {
  return Layer.succeed(RollbackTransport, {
    planStillCurrent: (primary, term) =>
      Effect.sync(() => {
        const now = leader()
        return now === null || (now.primary === primary && now.term === term)
      }),
    readDivergentTail: Effect.fn("RollbackTransport.readDivergentTail")(function* (from: number, to: number) {
      const log = yield* Effect.try({ try: () => readLines(join(dir, "log.ndjson"), LogEntry), catch: (e) => new ReadTailFailed({ message: message(e) }) })
      return log.filter((e) => e.lsn > from && e.lsn <= to)
    }),
    persistRollbackFile: Effect.fn("RollbackTransport.persistRollbackFile")(function* (tail: readonly LogEntry[]) {
      const name = rollbackFileName(tail)
      yield* Effect.try({
        try: () => {
          mkdirSync(join(dir, "rollback"), { recursive: true })
          writeDurably(join(dir, "rollback", name), lines(tail), (at) => failpoint?.(at))
        },
        catch: (e) => new TailPersistFailed({ message: message(e) })
      })
      return name
    }),
    recoverToLsn: Effect.fn("RollbackTransport.recoverToLsn")(function* (target: number) {
      yield* Effect.try({
        try: () => {
          // Key versions first: if the process dies between the two files, a rerun recovers again
          // (both steps are idempotent) before the log says the tail is gone.
          const versions = readLines(join(dir, "kv.ndjson"), KeyVersion)
          writeDurably(join(dir, "kv.ndjson"), lines(versions.filter((v) => v.lsn <= target)))
          failpoint?.("recover-after-versions")
          const log = readLines(join(dir, "log.ndjson"), LogEntry)
          writeDurably(join(dir, "log.ndjson"), lines(log.filter((e) => e.lsn <= target)))
        },
        catch: (e) => new RecoverFailed({ message: message(e) })
      })
    }),
    emitRollbackEvent: Effect.fn("RollbackTransport.emitRollbackEvent")(function* (event: RollbackEvent) {
      yield* Effect.try({
        try: () => {
          const path = join(dir, "events.ndjson")
          const fd = openSync(path, "a")
          try {
            writeSync(fd, JSON.stringify(event) + "\n")
            fsyncSync(fd)
          } finally {
            closeSync(fd)
          }
        },
        catch: (e) => new EmitFailed({ message: message(e) })
      })
    }),
    rejoinAsReplica: Effect.fn("RollbackTransport.rejoinAsReplica")(function* (primary: number, term: number) {
      yield* Effect.try({
        try: () => writeDurably(join(dir, "replica.json"), JSON.stringify({ primary, term }) + "\n"),
        catch: (e) => new RejoinFailed({ message: message(e) })
      })
    })
  })
}
