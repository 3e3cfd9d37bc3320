/**
 * The search on disk (model/engine/disk.ts) against the search in memory: the same counts,
 * coverage, depth and counterexample, with a buffer that holds everything and with one so small
 * that every level is cut into many runs; and nothing left on disk afterwards.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { diskDriver } from "../../model/engine/disk.js"
import { explore, localDriver, searchOptions, type ExploreOptions, type ExploreResult } from "../../model/engine/explorer.js"
import type { Model, ModelRef } from "../../model/engine/model.js"
import { WorkerThreads } from "../../model/engine/parallel.js"
import { runSearch } from "../../model/engine/run.js"
import mutex from "../../model/protocols/examples/mutex.js"
import raftmongo from "../../model/protocols/raftmongo/index.js"
import rollback from "../../model/protocols/rollback/index.js"
import sidecar from "../../model/protocols/sidecar/index.js"

const root = mkdtempSync(join(tmpdir(), "replcheck-disk-test-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function summary(r: ExploreResult) {
  return {
    generated: r.generated,
    distinct: r.distinct,
    depth: r.depth,
    coverage: r.coverage,
    stopped: r.stopped,
    violation: r.violation && { kind: r.violation.kind, invariant: r.violation.invariant, trace: r.violation.trace.map((s) => [s.action?.name, Array.from(s.state)]) }
  }
}

async function both(model: Model, options: ExploreOptions, bufferStates: number) {
  const inMemory = await explore(model, options, localDriver(model, options))
  const dir = join(root, `${model.protocol}-${bufferStates}`)
  const driver = diskDriver(model, searchOptions(model, options, 0), { dir, bufferBytes: 0, bufferStates })
  let onDisk: ExploreResult
  try {
    onDisk = await explore(model, { ...options, disk: { dir, bufferBytes: 0, bufferStates } }, driver)
  } finally {
    await driver.close()
  }
  return { inMemory, onDisk, runs: driver.search.runsWritten, compactions: driver.search.compactions, dir }
}

const base: ExploreOptions = { workers: 1, symmetry: false, deadlock: false }
// Each with a buffer small enough to cut its widest levels into tens of runs or more.
const cases: Array<[string, Model, ExploreOptions, number]> = [
  ["raftmongo commit-by-counting (a counterexample)", raftmongo.build({ servers: 3, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 2 }, "commit-by-counting"), base, 20],
  ["raftmongo, symmetry", raftmongo.build({ servers: 3, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 1 }, "base"), { ...base, symmetry: true }, 5],
  ["rollback at 3 servers, MaxTerm 2, MaxLogLen 1", rollback.build({ servers: 3, maxTerm: 2, maxLogLen: 1, maxClientWriteSize: 1 }, "base"), base, 50],
  ["rollback no-term-lock (a counterexample)", rollback.build({ servers: 3, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 1 }, "no-term-lock"), base, 500],
  ["sidecar defaults", sidecar.build(sidecar.defaults, "base"), base, 50],
  ["sidecar no-heal-first (a counterexample), symmetry", sidecar.build({ writers: 2, sweeps: 2, tables: 2 }, "no-heal-first"), { ...base, symmetry: true }, 5],
  ["mutex no-lock, deadlock checked", mutex.build({ processes: 3 }, "no-lock"), { ...base, deadlock: true }, 2]
]

describe("the search on disk", () => {
  it.each(cases)("%s: same results as in memory, with a roomy buffer and with a small one", async (_, model, options, small) => {
    for (const bufferStates of [1 << 18, small]) {
      const { inMemory, onDisk, runs, compactions, dir } = await both(model, options, bufferStates)
      expect(summary(onDisk)).toEqual(summary(inMemory))
      // A small buffer cuts levels into runs (a tiny one into so many that they are merged
      // during the level); the search removes its files when it closes.
      if (bufferStates === small) expect(runs).toBeGreaterThan(2 * onDisk.depth)
      if (bufferStates === 5) expect(compactions).toBeGreaterThan(0)
      expect(readdirSync(dir)).toEqual([])
    }
  })

  it("stops at --max-depth with the in-memory search's counts", async () => {
    const model = raftmongo.build({ servers: 3, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 2 }, "base")
    const { inMemory, onDisk } = await both(model, { ...base, maxDepth: 6 }, 64)
    expect(summary(onDisk)).toEqual(summary(inMemory))
    expect(onDisk.stopped?.cap).toBe("max-depth")
  })

  it("a file error (its directory removed mid-search) ends the search as SearchFailed, saying so, not as a crash", async () => {
    const model = raftmongo.build({ servers: 3, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 1 }, "base")
    const dir = join(root, "vanishing")
    const options: ExploreOptions = {
      ...base,
      disk: { dir, bufferBytes: 0, bufferStates: 64 },
      progressSeconds: 0,
      onProgress: () => rmSync(dir, { recursive: true, force: true })
    }
    const ref: ModelRef = { protocol: "raftmongo", variant: "base", config: {}, symmetry: false }
    const exit = await Effect.runPromiseExit(runSearch(() => "", ref, model, options).pipe(Effect.provide(WorkerThreads.layer)))
    expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : exit).toMatchObject({
      _tag: "SearchFailed",
      files: true,
      message: expect.stringMatching(/^the search on disk under .*vanishing failed: ENOENT/)
    })
  })

  it("makes its directory if missing", async () => {
    const model = mutex.build({ processes: 2 }, "base")
    const dir = join(root, "a", "b")
    const driver = diskDriver(model, searchOptions(model, base, 0), { dir, bufferBytes: 1 << 20 })
    const r = await explore(model, { ...base, disk: { dir, bufferBytes: 1 << 20 } }, driver)
    await driver.close()
    expect(r.distinct).toBeGreaterThan(0)
    expect(existsSync(dir)).toBe(true)
  })
})
