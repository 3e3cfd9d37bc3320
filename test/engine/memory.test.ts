/**
 * The search's memory limits end it cleanly at a level boundary, with the counts of the levels
 * it completed: a memory budget the next level is projected to pass (--memory), and an allocation
 * that fails (forced here with a tiny limit on one allocation), which once ended a run with a
 * RangeError. No table is one allocation: with small segments and chunks, the same limit lets
 * the search complete.
 */
import { Either } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { decodeConfig } from "../../model/engine/config.js"
import { explore, localDriver, type ExploreOptions } from "../../model/engine/explorer.js"
import { setAllocationLimitForTests } from "../../model/engine/seen-set.js"
import cdc from "../../model/protocols/cdc/index.js"

const config = decodeConfig(cdc.bounds, {})
if (Either.isLeft(config)) throw new Error(config.left)
const model = cdc.build(config.right)
const options: ExploreOptions = { workers: 1, symmetry: false, deadlock: false }
const search = (o: Partial<ExploreOptions>) => explore(model, { ...options, ...o }, localDriver(model, { ...options, ...o }))

afterEach(() => setAllocationLimitForTests(undefined))

describe("memory limits", () => {
  it("a failed allocation stops the search at the last complete level, with that level's counts", async () => {
    // 2^18 entries (1 MiB): cdc's seen set (114,850 states at the defaults) outgrows it midway,
    // as one segment of up to 2^22 slots; chunks of 2^10 rows keep the chunked tables below it.
    setAllocationLimitForTests(1 << 18)
    const stopped = await search({ chunkShift: 10 })
    expect(stopped.stopped).toMatchObject({ cap: "out-of-memory" })
    expect(stopped.stopped!.limit).toBeGreaterThan(0)
    expect(stopped.stopped!.unexplored).toBeGreaterThan(0)
    expect(stopped.violation).toBeNull()
    setAllocationLimitForTests(undefined)
    const capped = await search({ maxDepth: stopped.depth })
    expect({ distinct: stopped.distinct, generated: stopped.generated, depth: stopped.depth }).toEqual({ distinct: capped.distinct, generated: capped.generated, depth: capped.depth })
    expect(stopped.coverage).toEqual(capped.coverage)
  })

  it("with segments of 2^16 slots no allocation passes that limit, and the search completes with the same counts", async () => {
    const full = await search({})
    setAllocationLimitForTests(1 << 18)
    const segmented = await search({ chunkShift: 10, segmentShift: 16 })
    expect(segmented.stopped).toBeNull()
    expect([segmented.distinct, segmented.generated, segmented.depth]).toEqual([full.distinct, full.generated, full.depth])
    expect(segmented.coverage).toEqual(full.coverage)
  })

  it("a memory budget already passed stops the search at the first level boundary; a roomy one does not", async () => {
    const full = await search({})
    expect(full.stopped).toBeNull()
    const stopped = await search({ maxMemory: 2 ** 20 })
    expect(stopped.stopped).toMatchObject({ cap: "memory", limit: 2 ** 20 })
    expect(stopped.depth).toBe(1)
    expect(stopped.distinct).toBe(model.initialStates().length)
    const roomy = await search({ maxMemory: 64 * 2 ** 30 })
    expect(roomy.stopped).toBeNull()
    expect(roomy.distinct).toBe(full.distinct)
  })
})
