/**
 * Checkpoint and resume (model/engine/checkpoint.ts): a search stopped at any level and resumed
 * from its checkpoint, on the same or another number of workers, reaches the counts, coverage and
 * counterexample of an uninterrupted search; a checkpoint of another search, or a damaged one, is
 * refused. (test/cli/checkpoint.test.ts kills a real process with SIGKILL and resumes it.)
 */
import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { CHECKPOINT_FILE, CheckpointError, CheckpointReader } from "../../model/engine/checkpoint.js"
import { explore, localDriver, type ExploreOptions, type ExploreResult } from "../../model/engine/explorer.js"
import type { Model } from "../../model/engine/model.js"
import raftmongo from "../../model/protocols/raftmongo/index.js"
import { exploreInProcess } from "../support/in-process.js"
import { searchSummary } from "../support/summary.js"

const bounds = { servers: 3, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 2 }
const tuning = { initialCapacity: 16, fanoutFloor: 2, chunkShift: 2, segmentShift: 4 }
const base: ExploreOptions = { workers: 1, symmetry: false, deadlock: false, identity: { bounds } }

/** A search on one thread, or on `workers` in-process workers with tiny tables. */
async function search(model: Model, options: ExploreOptions): Promise<ExploreResult> {
  if (options.workers === 1) return explore(model, options, localDriver(model, options))
  return (await exploreInProcess(model, options, tuning)).result
}

describe("checkpoint and resume", () => {
  it.each([
    ["holds", "base", 1, 1],
    ["holds", "base", 1, 3],
    ["holds", "base", 2, 1],
    ["violated", "learn-commit-point-without-term-check", 1, 1],
    ["violated", "learn-commit-point-without-term-check", 3, 2]
  ])("a search stopped at any level (%s, %s) and resumed on %i -> %i workers matches an uninterrupted one", async (_, variant, before, after) => {
    const model = raftmongo.build(bounds, variant)
    const whole = await search(model, base)
    expect(whole.depth).toBeGreaterThan(4)
    expect(whole.violation?.trace.length ?? whole.depth).toBeGreaterThan(4)
    if (variant !== "base") expect(whole.violation).not.toBeNull()
    for (let level = 1; level <= (whole.violation ? whole.depth - 1 : whole.depth); level++) {
      const dir = mkdtempSync(join(tmpdir(), "replcheck-checkpoint-"))
      const first = await search(model, { ...base, workers: before, maxDepth: level, checkpoint: { dir, everySeconds: 3600 } })
      expect(first.stopped?.cap).toBe("max-depth")
      const reader = new CheckpointReader(dir)
      expect(reader.header).toMatchObject({ depth: level, distinct: first.distinct, generated: first.generated })
      const resumed = await search(model, { ...base, workers: after, resume: reader })
      expect(resumed.resumed).toMatchObject({ depth: level, distinct: first.distinct })
      expect(searchSummary(resumed)).toEqual(searchSummary(whole))
      expect(resumed.violation?.trace.map((s) => s.action)).toEqual(whole.violation?.trace.map((s) => s.action))
    }
  })

  it("checkpoints while it runs (every level here) and resumes from the last one written", async () => {
    const model = raftmongo.build(bounds, "base")
    const whole = await search(model, base)
    const dir = mkdtempSync(join(tmpdir(), "replcheck-checkpoint-"))
    const written: number[] = []
    const run = await search(model, { ...base, workers: 2, checkpoint: { dir, everySeconds: 0 }, onCheckpoint: (c) => written.push(c.depth) })
    expect(searchSummary(run)).toEqual(searchSummary(whole))
    // Every level, the last too (its states are explored before the search knows it is the last).
    expect(written).toEqual(Array.from({ length: whole.depth }, (_, k) => k + 1))
    const reader = new CheckpointReader(dir)
    expect(reader.header.depth).toBe(whole.depth)
    expect(searchSummary(await search(model, { ...base, resume: reader }))).toEqual(searchSummary(whole))
  })

  it("a writer removes the temporary file a killed writer left", async () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-checkpoint-"))
    const stale = join(dir, `${CHECKPOINT_FILE}.999999.tmp`)
    writeFileSync(stale, "half a checkpoint")
    await search(raftmongo.build(bounds, "base"), { ...base, maxDepth: 2, checkpoint: { dir, everySeconds: 0 } })
    expect(readdirSync(dir)).toEqual([CHECKPOINT_FILE])
  })

  it("refuses a checkpoint of another search, naming what differs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-checkpoint-"))
    await search(raftmongo.build(bounds, "base"), { ...base, maxDepth: 3, checkpoint: { dir, everySeconds: 0 } })
    const other = raftmongo.build(bounds, "commit-by-counting")
    await expect(search(other, { ...base, identity: { bounds, variant: "commit-by-counting" }, resume: new CheckpointReader(dir) })).rejects.toThrow(
      /of another search: variant \(none\) there, "commit-by-counting" here/
    )
    await expect(search(raftmongo.build(bounds, "base"), { ...base, invariants: ["NoTwoPrimariesInSameTerm"], resume: new CheckpointReader(dir) })).rejects.toThrow(
      /invariants \["NoTwoPrimariesInSameTerm","NeverRollbackCommitted","NeverRollbackBeforeCommitPoint"\] there, \["NoTwoPrimariesInSameTerm"\] here/
    )
  })

  it("refuses a missing, foreign or damaged checkpoint", async () => {
    const empty = mkdtempSync(join(tmpdir(), "replcheck-checkpoint-"))
    expect(() => new CheckpointReader(empty)).toThrow(CheckpointError)
    expect(() => new CheckpointReader(empty)).toThrow(/no checkpoint to resume in .* \(ENOENT\)/)
    writeFileSync(join(empty, CHECKPOINT_FILE), "not a checkpoint at all")
    expect(() => new CheckpointReader(empty)).toThrow(/is not a replcheck checkpoint/)
    const dir = mkdtempSync(join(tmpdir(), "replcheck-checkpoint-"))
    await search(raftmongo.build(bounds, "base"), { ...base, maxDepth: 3, checkpoint: { dir, everySeconds: 0 } })
    const file = join(dir, CHECKPOINT_FILE)
    const size = readFileSync(file).length
    truncateSync(file, size - 4)
    expect(() => new CheckpointReader(dir)).toThrow(new RegExp(`is ${size - 4} bytes, its header describes ${size}: it is damaged`))
  })
})
