/**
 * raftmongo counts against TLC 2.20's, recorded in the protocol's manifest.json (numbers copied
 * from TLC's own output on RaftMongo.tla with MCRaftMongo's constraint; see spec/raftmongo/README.md).
 * The generic verdicts test checks every run with one worker; this one checks the worker pool.
 */
import { describe, expect, it } from "vitest"
import { manifestOf } from "../../../model/cli/verdicts.js"
import raftmongo from "../../../model/protocols/raftmongo/index.js"
import { check } from "../../support/check.js"

const runs = (await manifestOf(raftmongo)).runs

describe("raftmongo matches TLC", () => {
  it("records TLC's counts at nine bounds, with and without symmetry", () => {
    const counted = runs.filter((r) => r.variant === "base" && r.generated !== undefined)
    expect(counted.length).toBeGreaterThanOrEqual(9)
    expect(new Set(counted.map((r) => r.symmetry))).toEqual(new Set([true, false]))
  })

  it.each(runs.filter((r) => r.name.startsWith("mongodb-bounds")))("$name: the same counts with 2 workers", async (m) => {
    const r = await check({ protocol: "raftmongo", variant: "base", config: m.config, symmetry: m.symmetry }, { workers: 2, invariants: m.invariants })
    expect([r.generated, r.distinct, r.depth]).toEqual([m.generated, m.distinct, m.depth])
  })
})
