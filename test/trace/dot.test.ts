/**
 * `check --dot FILE` (model/trace/dot.ts): the reachable graph has a node per distinct state the
 * search counts (orbits under symmetry) and an edge per successor inside the constraint; states
 * and steps that break a checked invariant are red; a graph too large is refused, not cut.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { explore, localDriver, selectInvariants, type ExploreOptions } from "../../model/engine/explorer.js"
import type { KitModel, Protocol } from "../../model/kit/index.js"
import counter from "../../model/protocols/examples/counter.js"
import mutex from "../../model/protocols/examples/mutex.js"
import raftmongo from "../../model/protocols/raftmongo/index.js"
import { reachableGraph } from "../../model/trace/dot.js"

const graphOf = (model: KitModel, symmetry = false, limit?: number) => {
  const { stateInvariants, stepInvariants } = selectInvariants(model, undefined)
  return reachableGraph(model, { symmetry, stateInvariants: stateInvariants.map((i) => i.name), stepInvariants: stepInvariants.map((i) => i.name), ...(limit ? { limit } : {}) })
}

describe("--dot: the reachable graph", () => {
  it("counter: the hand-derived graph (4 states x = 0..3, 5 edges inside x <= 3)", () => {
    const g = graphOf((counter as Protocol).build({ limit: 3 }))
    expect([g.states, g.edges]).toEqual([4, 5])
    const edges = [...g.dot.matchAll(/s(\d) -> s(\d) \[label="(\w+)/g)].map((m) => `${m[1]}-${m[3]}->${m[2]}`)
    expect(edges.sort()).toEqual(["0-Add1->1", "0-Add2->2", "1-Add1->2", "1-Add2->3", "2-Add1->3"])
    expect(g.dot).toMatch(/s0 \[penwidth=3\]/)
  })

  it.each([
    ["raftmongo 2 servers", raftmongo as Protocol, { servers: 2, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 1 }, false],
    ["raftmongo 2 servers, symmetric", raftmongo as Protocol, { servers: 2, maxTerm: 2, maxLogLen: 2, maxClientWriteSize: 1 }, true],
    ["mutex 3 processes", mutex as Protocol, { processes: 3 }, false]
  ])("%s: a node per distinct state the search counts", async (_, protocol, config, symmetry) => {
    const model = protocol.build(config, "base", { symmetry }) as KitModel
    const options: ExploreOptions = { workers: 1, symmetry, deadlock: false }
    const r = await explore(model, options, localDriver(model, options))
    expect(graphOf(model, symmetry).states).toBe(r.distinct)
  })

  it("marks the states that break an invariant red, with its name", () => {
    const g = graphOf((mutex as Protocol).build({ processes: 2 }, "no-lock") as KitModel)
    const red = [...g.dot.matchAll(/s\d+ \[label="((?:[^"\\]|\\.)*)", color=red, fontcolor=red, xlabel="MutualExclusion"\]/g)].map((m) => m[1]!)
    expect(red.length).toBeGreaterThan(0)
    for (const label of red) expect(label).toMatch(/pc = \(1 :> \\"critical\\" @@ 2 :> \\"critical\\"\)/)
    expect(graphOf((mutex as Protocol).build({ processes: 2 }) as KitModel).dot).not.toMatch(/color=red/)
  })

  it("refuses a graph past its limit instead of drawing part of it", () => {
    expect(() => graphOf((mutex as Protocol).build({ processes: 3 }) as KitModel, false, 10)).toThrow(/more than 10 states/)
    const dir = mkdtempSync(join(tmpdir(), "replcheck-dot-"))
    const file = join(dir, "g.dot")
    const bin = join(import.meta.dirname, "../../bin/replcheck.js")
    const big = spawnSync(process.execPath, [bin, "check", "raftmongo", "--dot", file], { encoding: "utf8" })
    expect(big.status).toBe(2)
    expect(big.stderr).toMatch(/^replcheck: --dot .*g\.dot: the reachable graph has more than 5000 states; --dot draws small models only/)
    expect(existsSync(file)).toBe(false)
    const small = spawnSync(process.execPath, [bin, "check", "counter", "--dot", file, "--json"], { encoding: "utf8" })
    expect(JSON.parse(small.stdout).dotFile).toBe(file)
    expect(readFileSync(file, "utf8")).toMatch(/^digraph "counter" \{/)
  })
})
