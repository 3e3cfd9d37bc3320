/**
 * Real crashes: a child process runs a file-backed rollback and is killed with SIGKILL at each
 * failpoint. After each, the rollback file (if any) holds the whole tail, nothing at or below the
 * watermark is lost, and running the coordinator again ends in the same durable state as a run
 * that never crashed.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { RollbackCoordinator } from "../../../impl/rollback/coordinator.js"
import { FileNode, fileTransport } from "../../../impl/rollback/file-transport.js"
import type { LogEntry, RollbackInput } from "../../../impl/rollback/types.js"

const root = join(import.meta.dirname, "../../..")
const entry = (lsn: number, term: number, key: string, value: string | null): LogEntry => ({ lsn, term, key, value })
const local = [entry(1, 1, "a", "a1"), entry(2, 1, "b", "b1"), entry(3, 1, "a", "a-lost"), entry(4, 1, "c", "c-lost"), entry(5, 1, "b", null)]
const source = [entry(1, 1, "a", "a1"), entry(2, 1, "b", "b1"), entry(3, 2, "b", "b2")]
const input: RollbackInput = { node: 1, localLog: local, sourceLog: source, source: 2, sourceTerm: 2, watermark: 2 }

/** The durable state that matters: log, visible values, rollback file contents. */
function durable(dir: string) {
  const c = FileNode.read(dir)
  return {
    log: c.log,
    values: ["a", "b", "c"].map((k) => FileNode.valueOf(c, k)),
    rollbackFiles: [...c.rollbackFiles.values()]
  }
}

async function rerun(dir: string) {
  const now = FileNode.read(dir)
  return Effect.runPromise(Effect.either(RollbackCoordinator.run({ ...input, localLog: now.log }).pipe(Effect.provide(fileTransport(dir)))))
}

const failpoints = ["persist-before-fsync", "persist-after-fsync", "persist-after-rename", "recover-after-versions", "after-read", "after-persist", "after-recover", "after-emit", "after-rejoin"]

describe("SIGKILL at every failpoint of a file-backed rollback", () => {
  const clean = mkdtempSync(join(tmpdir(), "replcheck-clean-"))
  FileNode.init(clean, local)

  it("a run without a crash ends in the expected state", async () => {
    const r = await rerun(clean)
    expect(Either.isRight(r)).toBe(true)
    expect(durable(clean)).toEqual({ log: local.slice(0, 2), values: ["a1", "b1", null], rollbackFiles: [local.slice(2)] })
  })

  it.each(failpoints)("%s", async (failpoint) => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-crash-"))
    FileNode.init(dir, local)
    const inputFile = join(dir, "..", `${failpoint}-input.json`)
    writeFileSync(inputFile, JSON.stringify(input))
    const child = spawnSync(process.execPath, [join(root, "dist/impl/rollback/crash-child.js"), dir, inputFile, failpoint], { encoding: "utf8" })
    expect(child.signal).toBe("SIGKILL")
    const crashed = durable(dir)
    // Nothing at or below the watermark is lost, and the log is whole or truncated, never torn.
    expect(crashed.log.slice(0, input.watermark)).toEqual(local.slice(0, input.watermark))
    expect([local.length, 2]).toContain(crashed.log.length)
    // A rollback file that exists holds the whole tail; and the tail is gone only if it is saved.
    for (const file of crashed.rollbackFiles) expect(file).toEqual(local.slice(2))
    if (crashed.log.length === 2) expect(crashed.rollbackFiles).toHaveLength(1)
    const again = await rerun(dir)
    if (Either.isLeft(again)) expect(again.left._tag).toBe("NothingToRollBack")
    expect(durable(dir)).toEqual(durable(clean))
  })
})
