/**
 * The search's memory limits end it cleanly at a level boundary, with the counts of the levels
 * it completed: a memory budget the next level is projected to pass (--memory), and a table that
 * reaches the typed-array limit (forced here with a tiny limit), which once ended a run with a
 * RangeError.
 */
import { Either } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { decodeConfig } from "../../model/engine/config.js"
import { explore, localDriver, type ExploreOptions } from "../../model/engine/explorer.js"
import { setTableLimitForTests } from "../../model/engine/seen-set.js"
import cdc from "../../model/protocols/cdc/index.js"

const config = decodeConfig(cdc.bounds, {})
if (Either.isLeft(config)) throw new Error(config.left)
const model = cdc.build(config.right)
const options: ExploreOptions = { workers: 1, symmetry: false, deadlock: false }
const search = (o: Partial<ExploreOptions>) => explore(model, { ...options, ...o }, localDriver(model, { ...options, ...o }))

afterEach(() => setTableLimitForTests(undefined))

describe("memory limits", () => {
  it("a table at the typed-array limit stops the search at the last complete level, with that level's counts", async () => {
    // 2^18 entries (1 MiB): cdc's seen set (114,850 states at the defaults) outgrows it midway;
    // chunks of 2^10 rows keep the chunked tables below it.
    setTableLimitForTests(1 << 18)
    const stopped = await search({ chunkShift: 10 })
    expect(stopped.stopped).toMatchObject({ cap: "table-limit", limit: 2 ** 31 })
    expect(stopped.stopped!.unexplored).toBeGreaterThan(0)
    expect(stopped.violation).toBeNull()
    setTableLimitForTests(undefined)
    const capped = await search({ maxDepth: stopped.depth })
    expect({ distinct: stopped.distinct, generated: stopped.generated, depth: stopped.depth }).toEqual({ distinct: capped.distinct, generated: capped.generated, depth: capped.depth })
    expect(stopped.coverage).toEqual(capped.coverage)
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
