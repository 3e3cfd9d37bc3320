/** The reference rollback coordinator (impl/rollback): plan, steps, failures, and real files. */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit } from "effect"
import { advance, next, RollbackCoordinator, type CoordinatorState } from "../../../impl/rollback/coordinator.js"
import { FileNode, fileTransport } from "../../../impl/rollback/file-transport.js"
import { commonPoint, mayTruncateTo, RollbackPlan } from "../../../impl/rollback/plan.js"
import { memoryNode, memoryTransport, valueOf } from "../../../impl/rollback/transport.js"
import type { LogEntry, RollbackInput } from "../../../impl/rollback/types.js"

const entry = (lsn: number, term: number, key: string, value: string | null): LogEntry => ({ lsn, term, key, value })

// The deposed primary (term 1) wrote LSNs 3-4 after the last entry it shares with the new primary (term 2).
const local = [entry(1, 1, "a", "a1"), entry(2, 1, "b", "b1"), entry(3, 1, "a", "a-lost"), entry(4, 1, "c", "c-lost")]
const source = [entry(1, 1, "a", "a1"), entry(2, 1, "b", "b1"), entry(3, 2, "b", "b2")]
const input: RollbackInput = { node: 1, localLog: local, sourceLog: source, source: 2, sourceTerm: 2, watermark: 2 }

describe("RollbackPlan.compute", () => {
  it("takes the highest LSN where both logs hold the same term as the common point", () => {
    expect(commonPoint(local, source)).toBe(2)
    expect(commonPoint(local, [])).toBe(0)
    expect(commonPoint([entry(1, 1, "a", "x")], [entry(1, 2, "a", "y")])).toBe(0)
  })

  it("refuses below the watermark and allows at it (the boundary rule)", () => {
    expect(mayTruncateTo(2, 2)).toBe(true)
    expect(mayTruncateTo(1, 2)).toBe(false)
    const refused = RollbackPlan.compute({ ...input, watermark: 3 })
    expect(Either.isLeft(refused) && refused.left._tag).toBe("BelowWatermark")
  })

  it("plans the tail above the common point, or says there is nothing to roll back", () => {
    expect(RollbackPlan.compute(input)).toEqual(Either.right({ node: 1, source: 2, rejoinTerm: 2, commonPoint: 2, watermark: 2, tailFrom: 3, tailTo: 4 }))
    const prefix = RollbackPlan.compute({ ...input, localLog: local.slice(0, 2) })
    expect(Either.isLeft(prefix) && prefix.left._tag).toBe("NothingToRollBack")
  })
})

describe("the coordinator as a pure state machine", () => {
  it("goes plan, read the tail, persist, recover, emit, rejoin, in that order", () => {
    const plan = Either.getOrThrow(RollbackPlan.compute(input))
    let state: CoordinatorState = { phase: "planned", plan }
    const kinds: string[] = []
    const results: unknown[] = [local.slice(2), "file", undefined, undefined, undefined]
    for (const result of results) {
      kinds.push(next(state).kind)
      state = advance(state, result)
    }
    expect(kinds).toEqual(["read-tail", "persist", "recover", "emit", "rejoin"])
    expect(next(state).kind).toBe("done")
  })
})

describe("RollbackCoordinator.run, in memory", () => {
  it.effect("saves the tail, truncates to the common point, restores values, emits and rejoins", () =>
    Effect.gen(function* () {
      const node = memoryNode(local)
      const outcome = yield* RollbackCoordinator.run(input).pipe(Effect.provide(memoryTransport(node)))
      expect(node.log.map((e) => e.lsn)).toEqual([1, 2])
      expect([...node.rollbackFiles.values()]).toEqual([local.slice(2)])
      expect([valueOf(node.log, "a"), valueOf(node.log, "c")]).toEqual(["a1", null])
      expect(node.events).toEqual([{ kind: "rollback", node: 1, source: 2, rejoinTerm: 2, commonPoint: 2, removed: 2, rollbackFile: outcome.rollbackFile }])
      expect(node.replicaOf).toEqual({ primary: 2, term: 2 })
      expect(outcome.phases).toEqual(["planned", "tail-read", "persisted", "recovered", "emitted", "rejoined"])
    })
  )

  it.effect("a failed persist aborts and drops nothing", () =>
    Effect.gen(function* () {
      const node = memoryNode(local)
      const exit = yield* Effect.exit(RollbackCoordinator.run(input).pipe(Effect.provide(memoryTransport(node, { persist: 1 }))))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("TailPersistFailed")
      expect(node.log).toEqual(local)
      expect(node.rollbackFiles.size).toBe(0)
    })
  )

  it.effect("re-checks the primary before truncating: a stale plan drops nothing", () =>
    Effect.gen(function* () {
      const node = memoryNode(local)
      // A newer primary took over after the plan (ADR 0001, finding 1).
      node.leader = { primary: 3, term: 3 }
      const error = yield* Effect.flip(RollbackCoordinator.run(input).pipe(Effect.provide(memoryTransport(node))))
      expect(error._tag).toBe("StalePlan")
      expect(node.log).toEqual(local)
      expect(node.rollbackFiles.size).toBe(1)
    })
  )

  it.effect("a refused plan removes nothing", () =>
    Effect.gen(function* () {
      const node = memoryNode(local)
      const error = yield* Effect.flip(RollbackCoordinator.run({ ...input, watermark: 3 }).pipe(Effect.provide(memoryTransport(node))))
      expect(error._tag).toBe("BelowWatermark")
      expect(node.log).toEqual(local)
    })
  )

  it.effect.each(["read", "persist", "recover", "emit", "rejoin"] as const)("after a failed %s, running again completes with the same end state", (call) =>
    Effect.gen(function* () {
      const node = memoryNode(local)
      yield* Effect.exit(RollbackCoordinator.run(input).pipe(Effect.provide(memoryTransport(node, { [call]: 1 }))))
      // The rerun plans from what is durable now; after a recovery there is nothing left to roll back.
      const again = { ...input, localLog: node.log }
      const rerun = yield* Effect.either(RollbackCoordinator.run(again).pipe(Effect.provide(memoryTransport(node))))
      if (Either.isLeft(rerun)) expect(rerun.left._tag).toBe("NothingToRollBack")
      expect(node.log.map((e) => e.lsn)).toEqual([1, 2])
      // Whatever was removed is in a rollback file.
      expect([...node.rollbackFiles.values()].flat().map((e) => e.lsn).sort()).toEqual([3, 4])
    })
  )
})

describe("RollbackCoordinator.run, on files", () => {
  it.effect("writes the rollback file durably, restores the pre-images and records the event and the rejoin", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "replcheck-rollback-"))
      FileNode.init(dir, local)
      const outcome = yield* RollbackCoordinator.run(input).pipe(Effect.provide(fileTransport(dir)))
      const after = FileNode.read(dir)
      expect(after.log.map((e) => e.lsn)).toEqual([1, 2])
      expect(after.rollbackFiles.get(outcome.rollbackFile)).toEqual(local.slice(2))
      expect([FileNode.valueOf(after, "a"), FileNode.valueOf(after, "b"), FileNode.valueOf(after, "c")]).toEqual(["a1", "b1", null])
      expect(after.events).toHaveLength(1)
      expect(after.replicaOf).toEqual({ primary: 2, term: 2 })
    })
  )

  it.effect.each(["before-fsync", "after-fsync", "after-rename"] as const)("a crash at %s while persisting leaves a rerun that completes", (at) =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "replcheck-rollback-"))
      FileNode.init(dir, local)
      const crash = (where: string) => {
        if (where === at) throw new Error(`crash at ${where}`)
      }
      const first = yield* Effect.either(RollbackCoordinator.run(input).pipe(Effect.provide(fileTransport(dir, crash))))
      expect(Either.isLeft(first) && first.left._tag).toBe("TailPersistFailed")
      expect(FileNode.read(dir).log).toEqual(local)
      yield* RollbackCoordinator.run(input).pipe(Effect.provide(fileTransport(dir)))
      const after = FileNode.read(dir)
      expect(after.log.map((e) => e.lsn)).toEqual([1, 2])
      expect([...after.rollbackFiles.values()]).toEqual([local.slice(2)])
    })
  )
})
