/** Determinism across worker counts, and symmetry reduction, on random small configurations. */
import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import type { ExploreResult } from "../../model/engine/explorer.js"
import type { SearchProfile } from "../../model/engine/search-types.js"
import { check } from "../support/check.js"

const raftConfig = fc.record({
  servers: fc.integer({ min: 1, max: 3 }),
  maxTerm: fc.integer({ min: 1, max: 2 }),
  maxLogLen: fc.integer({ min: 1, max: 2 }),
  maxClientWriteSize: fc.integer({ min: 1, max: 2 })
})
const raftVariant = fc.constantFrom("base", "elect-without-majority", "commit-by-counting", "learn-commit-point-without-term-check")

/** Everything a run reports that must not depend on the worker count. */
const observable = (r: ExploreResult) => ({
  generated: r.generated,
  distinct: r.distinct,
  depth: r.depth,
  coverage: r.coverage,
  violation: r.violation && {
    invariant: r.violation.invariant,
    trace: r.violation.trace.map((s) => [s.action?.name, s.action?.args, Array.from(s.state)])
  }
})

describe("parallel exploration", () => {
  test.prop([raftConfig, raftVariant, fc.integer({ min: 2, max: 3 }), fc.boolean()], { numRuns: 8 })(
    "N workers report exactly what 1 worker reports (counts, coverage, counterexample)",
    async (config, variant, workers, symmetry) => {
      const ref = { protocol: "raftmongo", variant, config, symmetry }
      const one = await check(ref, { workers: 1 })
      const many = await check(ref, { workers })
      expect(observable(many)).toEqual(observable(one))
    }
  )
})

describe("symmetry", () => {
  test.prop([raftConfig, raftVariant], { numRuns: 15 })("symmetric counts never exceed plain counts", async (config, variant) => {
    const plain = await check({ protocol: "raftmongo", variant, config, symmetry: false }, { invariants: [] })
    const sym = await check({ protocol: "raftmongo", variant, config, symmetry: true }, { invariants: [] })
    expect(sym.distinct).toBeLessThanOrEqual(plain.distinct)
    expect(sym.generated).toBeLessThanOrEqual(plain.generated)
    expect(sym.depth).toBe(plain.depth)
    // Each orbit has at most servers! members.
    let factorial = 1
    for (let k = 2; k <= config.servers; k++) factorial *= k
    expect(sym.distinct * factorial).toBeGreaterThanOrEqual(plain.distinct)
  })

  test.prop([raftConfig, raftVariant], { numRuns: 15 })("a violation is found with symmetry exactly when it is found without, at the same length", async (config, variant) => {
    const plain = await check({ protocol: "raftmongo", variant, config, symmetry: false })
    const sym = await check({ protocol: "raftmongo", variant, config, symmetry: true })
    expect(sym.violation?.trace.length).toBe(plain.violation?.trace.length)
  })
})

describe("the parallel search's profile (bench/parallel-profile.ts)", () => {
  test.prop([fc.integer({ min: 1, max: 3 })], { numRuns: 3 })("accounts for every level and never more worker time than there was", async (workers) => {
    const ref = { protocol: "raftmongo", variant: "base", config: { servers: 3, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 1 }, symmetry: false }
    let profile: SearchProfile | undefined
    const result = await check(ref, { workers, isolate: true, onProfile: (p) => (profile = p) })
    expect(profile).toBeDefined()
    const p = profile!
    expect(p.workers).toBe(workers)
    // One finish phase per level, the initial states' included; each level expands once, plus once per pause.
    expect(p.levels).toBe(result.depth + 1)
    expect(p.finish.calls).toBe(p.levels)
    expect(p.seed.calls + p.expand.calls).toBe(p.levels + p.pauses)
    expect(p.seed.calls).toBeGreaterThanOrEqual(1)
    for (const t of [p.seed, p.expand, p.finish, p.rehash]) {
      expect(t.busyMs).toBeLessThanOrEqual(t.maxBusyMs * workers + 1e-6)
      expect(t.maxBusyMs).toBeLessThanOrEqual(t.wallMs + 1e-6)
    }
    expect(p.expand.busyMs).toBeGreaterThan(0)
    expect(p.seed.wallMs + p.expand.wallMs + p.finish.wallMs + p.rehash.wallMs + p.growMs + p.collectMs).toBeLessThanOrEqual(result.seconds * 1000)
  })
  test.prop([fc.constant(null)], { numRuns: 1 })("a search on the calling thread has none", async () => {
    let called = false
    await check({ protocol: "mutex", variant: "base", config: {}, symmetry: false }, { workers: 1, onProfile: () => (called = true) })
    expect(called).toBe(false)
  })
})
