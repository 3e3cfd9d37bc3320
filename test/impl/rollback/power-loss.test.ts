/**
 * Power loss at every operation of a file-backed rollback, on a simulated disk that keeps only
 * what was fsynced (test/support/power-loss-fs.ts; a write is cut in half too, so writes can
 * tear), and a process crash at the same points. After each: nothing at or below the watermark is
 * lost, the log is whole or truncated, never torn; a rollback file holds the whole tail; the store
 * never serves a write the log lost; a removed tail is owed or announced; and a restart and rerun
 * end where an uninterrupted run ends. Unlike the SIGKILL test (crash.test.ts), this one sees a
 * missing fsync or a rename before the write.
 */
import { Effect, Either } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { RollbackCoordinator } from "../../../impl/rollback/coordinator.js"
import { FileNode, fileTransport, useFileOps } from "../../../impl/rollback/file-transport.js"
import { PowerLossFs } from "../../support/power-loss-fs.js"
import { durable as durableIn, finished as expected, input, local, tail, view } from "../../support/rollback-node.js"

const dir = "/node"
const durable = () => durableIn(dir)

let restore: () => void = () => {}
afterEach(() => restore())
const use = (disk: PowerLossFs) => {
  restore()
  restore = useFileOps(disk)
}

/** A disk holding the node before the rollback, all of it durable. */
function freshDisk(): PowerLossFs {
  const disk = new PowerLossFs()
  use(disk)
  FileNode.init(dir, local, view, 2)
  disk.syncAll()
  return disk
}

const run = (program: Effect.Effect<unknown, unknown, never>) => Effect.runPromise(Effect.either(Effect.catchAllDefect(program, (d) => Effect.fail(d))))
const rollback = () => run(RollbackCoordinator.run(input).pipe(Effect.provide(fileTransport(dir))))
const restart = () =>
  run(
    Effect.gen(function* () {
      yield* RollbackCoordinator.resume()
      return yield* RollbackCoordinator.run({ ...input, localLog: FileNode.read(dir).log })
    }).pipe(Effect.provide(fileTransport(dir)))
  )

function checkAfterTheCut(where: string) {
  const crashed = FileNode.read(dir)
  expect(crashed.log.slice(0, input.watermark), where).toEqual(local.slice(0, input.watermark))
  expect([local.length, 2], where).toContain(crashed.log.length)
  expect(crashed.log, where).toEqual(local.slice(0, crashed.log.length))
  for (const file of crashed.rollbackFiles.values()) expect(file, where).toEqual(tail)
  if (crashed.log.length === 2) {
    expect(crashed.rollbackFiles.size, where).toBe(1)
    expect(crashed.pending !== null || crashed.events.length === 1, where).toBe(true)
  }
  expect(crashed.versions, where).toEqual(crashed.log.slice(0, crashed.versions.length))
}

describe("power loss and process crash at every operation of a file-backed rollback", () => {
  it("an uninterrupted run on the simulated disk ends in the expected state", async () => {
    const disk = freshDisk()
    const before = disk.operations
    expect(Either.isRight(await rollback())).toBe(true)
    expect(durable()).toEqual(expected)
    expect(disk.operations - before).toBeGreaterThan(20)
  })

  it("every cut leaves a state the restart finishes", async () => {
    let cuts = 0
    for (let k = 1; ; k++) {
      const disk = freshDisk()
      disk.cut(k)
      await rollback()
      if (!disk.off) break
      cuts++
      for (const [mode, after] of [["power loss", disk.afterPowerLoss()], ["process crash", disk.afterCrash()]] as const) {
        const where = `${mode} at operation ${k}`
        use(after)
        checkAfterTheCut(where)
        const again = await restart()
        if (Either.isLeft(again)) expect((again.left as { _tag?: string })._tag, where).toBe("NothingToRollBack")
        expect(durable(), where).toEqual(expected)
      }
    }
    expect(cuts).toBeGreaterThan(20)
  })
})
