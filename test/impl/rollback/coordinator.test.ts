/** The reference rollback coordinator (impl/rollback): plan, steps, failures, and real files. */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Layer } from "effect"
import { advance, next, RollbackCoordinator, type CoordinatorState } from "../../../impl/rollback/coordinator.js"
import { FileNode, fileTransport } from "../../../impl/rollback/file-transport.js"
import { commonPoint, mayTruncateTo, RollbackPlan } from "../../../impl/rollback/plan.js"
import { memoryNode, memoryTransport, RollbackTransport, valueOf } from "../../../impl/rollback/transport.js"
import type { LogEntry, RollbackInput } from "../../../impl/rollback/types.js"

const entry = (lsn: number, term: number, key: string, value: string | null): LogEntry => ({ lsn, term, key, value })

// The deposed primary (term 1) wrote LSNs 3-4 after the last entry it shares with the new primary (term 2).
const local = [entry(1, 1, "a", "a1"), entry(2, 1, "b", "b1"), entry(3, 1, "a", "a-lost"), entry(4, 1, "c", "c-lost")]
const source = [entry(1, 1, "a", "a1"), entry(2, 1, "b", "b1"), entry(3, 2, "b", "b2")]
const input: RollbackInput = { node: 1, localLog: local, sourceLog: source, source: 2, sourceTerm: 2, watermark: 2 }
const view = { primary: 2, term: 2 }
const removed = [{ lsn: 3, term: 1 }, { lsn: 4, term: 1 }]

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
  it("goes plan, read the tail, persist, restore the keys, truncate, emit, rejoin, in that order", () => {
    const plan = Either.getOrThrow(RollbackPlan.compute(input))
    let state: CoordinatorState = { phase: "planned", plan }
    const kinds: string[] = []
    const results: unknown[] = [local.slice(2), "file", undefined, undefined, undefined, undefined]
    for (const result of results) {
      kinds.push(next(state).kind)
      state = advance(state, result)
    }
    expect(kinds).toEqual(["read-tail", "persist", "restore-keys", "truncate", "emit", "rejoin"])
    expect(next(state).kind).toBe("done")
  })
})

describe("RollbackCoordinator.run, in memory", () => {
  it.effect("saves the tail, restores the key versions, truncates to the common point, emits and rejoins", () =>
    Effect.gen(function* () {
      const node = memoryNode(local, view, 2)
      const outcome = yield* RollbackCoordinator.run(input).pipe(Effect.provide(memoryTransport(node)))
      expect(node.log.map((e) => e.lsn)).toEqual([1, 2])
      expect([...node.rollbackFiles.values()]).toEqual([local.slice(2)])
      expect([valueOf(node.versions, "a"), valueOf(node.versions, "b"), valueOf(node.versions, "c")]).toEqual(["a1", "b1", null])
      expect(node.events).toEqual([{ kind: "rollback", node: 1, source: 2, rejoinTerm: 2, commonPoint: 2, removed, rollbackFile: outcome.rollbackFile }])
      expect(node.pending).toBeNull()
      expect(node.termLocked).toBe(false)
      expect(node.replicaOf).toEqual({ primary: 2, term: 2 })
      expect(outcome.phases).toEqual(["planned", "tail-read", "persisted", "keys-restored", "recovered", "emitted", "rejoined"])
    })
  )

  it.effect("holds the term lock from the check of the plan through the truncation, and only then", () =>
    Effect.gen(function* () {
      const node = memoryNode(local, view, 2)
      const held: Record<string, boolean> = {}
      const layer = memoryTransport(node)
      const spy = Effect.gen(function* () {
        const t = yield* RollbackTransport
        const watch = <A extends unknown[], R>(name: string, f: (...a: A) => R) => (...a: A) => ((held[name] = node.termLocked), f(...a))
        return { ...t, restoreKeyVersions: watch("restore", t.restoreKeyVersions), truncateLog: watch("truncate", t.truncateLog), emitRollbackEvent: watch("emit", t.emitRollbackEvent) }
      })
      yield* RollbackCoordinator.run(input).pipe(Effect.provide(Layer.effect(RollbackTransport, spy).pipe(Layer.provide(layer))))
      expect(held).toEqual({ restore: true, truncate: true, emit: false })
    })
  )

  it.effect("a failed persist aborts and drops nothing", () =>
    Effect.gen(function* () {
      const node = memoryNode(local, view, 2)
      const exit = yield* Effect.exit(RollbackCoordinator.run(input).pipe(Effect.provide(memoryTransport(node, { persist: 1 }))))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("TailPersistFailed")
      expect(node.log).toEqual(local)
      expect(node.rollbackFiles.size).toBe(0)
    })
  )

  it.effect.each([
    ["a newer leader is known", { primary: 3, term: 3 }],
    ["no leader is known", null]
  ] as const)("re-checks its own view before truncating: when %s, a stale plan drops nothing and owes no event", ([, now]) =>
    Effect.gen(function* () {
      const node = memoryNode(local, now, 2)
      const error = yield* Effect.flip(RollbackCoordinator.run(input).pipe(Effect.provide(memoryTransport(node))))
      expect(error._tag).toBe("StalePlan")
      expect(node.log).toEqual(local)
      expect(node.versions).toEqual(local)
      expect(node.rollbackFiles.size).toBe(1)
      expect(node.pending).toBeNull()
    })
  )

  it.effect("re-checks the commit point at the truncation: learned above the common point, it drops nothing", () =>
    Effect.gen(function* () {
      const node = memoryNode(local, view, 3)
      const error = yield* Effect.flip(RollbackCoordinator.run(input).pipe(Effect.provide(memoryTransport(node))))
      expect(error._tag).toBe("CommitPointMoved")
      expect(node.log).toEqual(local)
      expect(node.versions).toEqual(local)
      expect(node.pending).toBeNull()
    })
  )

  it.effect("a commit point learned after the keys were restored, above the common point, stops the truncation (ADR 0001, finding 3)", () =>
    Effect.gen(function* () {
      const node = memoryNode(local, view, 2)
      const layer = Layer.effect(
        RollbackTransport,
        Effect.map(RollbackTransport, (t) => ({
          ...t,
          // Commit-point learning runs while the term lock is held: it moves no term and casts no vote.
          restoreKeyVersions: (target: number) => Effect.tap(t.restoreKeyVersions(target), () => Effect.sync(() => void (node.commitPoint = 3)))
        }))
      ).pipe(Layer.provide(memoryTransport(node)))
      const error = yield* Effect.flip(RollbackCoordinator.run(input).pipe(Effect.provide(layer)))
      expect(error._tag).toBe("CommitPointMoved")
      expect(node.log).toEqual(local)
      expect(node.versions).toEqual(local)
      expect(node.pending).toBeNull()
      expect(node.events).toEqual([])
    })
  )

  it.effect("refuses to start while an earlier rollback's event is owed; resume settles it", () =>
    Effect.gen(function* () {
      const node = memoryNode(local.slice(0, 2), view, 2)
      node.pending = { kind: "rollback", node: 1, source: 2, rejoinTerm: 2, commonPoint: 2, removed, rollbackFile: "f" }
      const error = yield* Effect.flip(RollbackCoordinator.run(input).pipe(Effect.provide(memoryTransport(node))))
      expect(error._tag).toBe("EventPending")
      const resumed = yield* RollbackCoordinator.resume().pipe(Effect.provide(memoryTransport(node)))
      expect(resumed.kind).toBe("emitted")
      expect(node.events.map((e) => e.removed)).toEqual([removed])
      expect(node.pending).toBeNull()
    })
  )

  it.effect("a refused plan removes nothing", () =>
    Effect.gen(function* () {
      const node = memoryNode(local, view, 3)
      const error = yield* Effect.flip(RollbackCoordinator.run({ ...input, watermark: 3 }).pipe(Effect.provide(memoryTransport(node))))
      expect(error._tag).toBe("BelowWatermark")
      expect(node.log).toEqual(local)
    })
  )

  it.effect.each(["read", "persist", "recover", "truncate", "emit", "rejoin"] as const)("after a failed %s, resuming and running again completes with the same end state", (call) =>
    Effect.gen(function* () {
      const node = memoryNode(local, view, 2)
      yield* Effect.exit(RollbackCoordinator.run(input).pipe(Effect.provide(memoryTransport(node, { [call]: 1 }))))
      // The rerun plans from what is durable now; after a truncation there is nothing left to roll back.
      yield* RollbackCoordinator.resume().pipe(Effect.provide(memoryTransport(node)))
      const again = { ...input, localLog: node.log }
      const rerun = yield* Effect.either(RollbackCoordinator.run(again).pipe(Effect.provide(memoryTransport(node))))
      if (Either.isLeft(rerun)) expect(rerun.left._tag).toBe("NothingToRollBack")
      expect(node.log.map((e) => e.lsn)).toEqual([1, 2])
      expect(node.versions).toEqual(node.log)
      // Whatever was removed is in a rollback file, and named by exactly one event.
      expect([...node.rollbackFiles.values()].flat().map((e) => e.lsn).sort()).toEqual([3, 4])
      expect(node.events.map((e) => e.removed)).toEqual([removed])
    })
  )
})

describe("RollbackCoordinator.run, on files", () => {
  it.effect("writes the rollback file durably, restores the pre-images and records the event and the rejoin", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "replcheck-rollback-"))
      FileNode.init(dir, local, view, 2)
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
      FileNode.init(dir, local, view, 2)
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
