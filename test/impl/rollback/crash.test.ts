/**
 * Real crashes: a child process runs a file-backed rollback and is killed with SIGKILL at each
 * failpoint. After each: the log is whole or truncated (never below the watermark); a rollback
 * file that exists holds the whole tail; the store never serves a write the log lost; a removed
 * tail is always owed or named by an event. Restarting (`resume`) and running the coordinator
 * again ends in the same durable state as a run that never crashed: log, served values, rollback
 * files, and exactly one event naming the removed entries.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { RollbackCoordinator } from "../../../impl/rollback/coordinator.js"
import { FileNode, fileTransport } from "../../../impl/rollback/file-transport.js"
import { valueOf } from "../../../impl/rollback/transport.js"
import type { RollbackInput } from "../../../impl/rollback/types.js"
import { durable, finished as expected, input, keys, local, tail, view } from "../../support/rollback-node.js"

const root = join(import.meta.dirname, "../../..")
const newNode = () => {
  const dir = mkdtempSync(join(tmpdir(), "replcheck-crash-"))
  FileNode.init(dir, local, view, 2)
  return dir
}

/** The restart: the startup step, then the coordinator again with the log as it is now. */
async function restart(dir: string, over: Partial<RollbackInput> = {}) {
  const program = Effect.gen(function* () {
    yield* RollbackCoordinator.resume()
    return yield* RollbackCoordinator.run({ ...input, localLog: FileNode.read(dir).log, ...over })
  })
  return Effect.runPromise(Effect.either(program.pipe(Effect.provide(fileTransport(dir)))))
}

function crash(dir: string, failpoint: string) {
  const inputFile = join(dir, "..", `${failpoint}-${Math.random().toString(36).slice(2)}-input.json`)
  writeFileSync(inputFile, JSON.stringify(input))
  return spawnSync(process.execPath, [join(root, "dist/impl/rollback/crash-child.js"), dir, inputFile, failpoint], { encoding: "utf8" })
}

const failpoints = [
  "persist-before-fsync",
  "persist-after-fsync",
  "persist-after-rename",
  "after-marker",
  "after-read",
  "after-restore",
  "after-truncate",
  "after-emit-append",
  "after-emit",
  "after-rejoin"
]

describe("SIGKILL at every failpoint of a file-backed rollback", () => {
  const clean = newNode()

  it("a run without a crash ends in the expected state", async () => {
    const child = crash(clean, "none")
    expect(child.status, child.stderr).toBe(0)
    expect(durable(clean)).toEqual(expected)
  })

  it.each(failpoints)("%s", async (failpoint) => {
    const dir = newNode()
    expect(crash(dir, failpoint).signal).toBe("SIGKILL")
    const crashed = FileNode.read(dir)
    // Nothing at or below the watermark is lost, and the log is whole or truncated, never torn.
    expect(crashed.log.slice(0, input.watermark)).toEqual(local.slice(0, input.watermark))
    expect([local.length, 2]).toContain(crashed.log.length)
    // A rollback file that exists holds the whole tail; a removed tail is saved, and owed or announced.
    for (const file of crashed.rollbackFiles.values()) expect(file).toEqual(tail)
    if (crashed.log.length === 2) {
      expect(crashed.rollbackFiles.size).toBe(1)
      expect(crashed.pending !== null || crashed.events.length === 1).toBe(true)
    }
    // The store never serves a write the log has lost: its key versions are a prefix of the log.
    expect(crashed.versions).toEqual(crashed.log.slice(0, crashed.versions.length))
    const again = await restart(dir)
    if (Either.isLeft(again)) expect(again.left._tag).toBe("NothingToRollBack")
    expect(durable(dir)).toEqual(expected)
  })

  it("after a crash holding the term lock the view cannot change until the restart; a stale rerun then removes nothing", async () => {
    const dir = newNode()
    expect(crash(dir, "after-restore").signal).toBe("SIGKILL")
    // Key versions restored, log not yet truncated: the store serves the values of the common point.
    expect(keys.map((k) => FileNode.valueOf(FileNode.read(dir), k))).toEqual(["a1", "b1", null])
    expect(FileNode.setLeaderView(dir, { primary: 3, term: 3 })).toBe(false)
    await Effect.runPromise(RollbackCoordinator.resume().pipe(Effect.provide(fileTransport(dir))))
    // The restart replayed the log: the store serves what the log says again.
    expect(keys.map((k) => FileNode.valueOf(FileNode.read(dir), k))).toEqual(keys.map((k) => valueOf(local, k)))
    expect(FileNode.setLeaderView(dir, { primary: 3, term: 3 })).toBe(true)
    // The same plan again, now stale on the node's own view: refused before anything is removed.
    const stale = await restart(dir)
    expect(Either.isLeft(stale) && stale.left._tag).toBe("StalePlan")
    const after = durable(dir)
    expect(after).toEqual({ log: local, served: keys.map((k) => valueOf(local, k)), rollbackFiles: [tail], events: [], pending: null, termLocked: false })
  })

  it("a node that knows no leader refuses to truncate (the check fails closed)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-crash-"))
    FileNode.init(dir, local, null, 2)
    const r = await restart(dir)
    expect(Either.isLeft(r) && r.left._tag).toBe("StalePlan")
    expect(durable(dir).log).toEqual(local)
    expect(durable(dir).pending).toBeNull()
  })

  it("a commit point learned above the common point before the truncation stops it", async () => {
    const dir = newNode()
    FileNode.setCommitPoint(dir, 3)
    const r = await restart(dir)
    expect(Either.isLeft(r) && r.left._tag).toBe("CommitPointMoved")
    expect(durable(dir)).toEqual({ log: local, served: keys.map((k) => valueOf(local, k)), rollbackFiles: [tail], events: [], pending: null, termLocked: false })
  })
})
