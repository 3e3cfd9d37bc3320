/**
 * raftmongo counts against TLC 2.20's, recorded in the protocol's manifest.json (numbers copied
 * from TLC's own output on RaftMongo.tla with MCRaftMongo's constraint; see spec/raftmongo/README.md).
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { check } from "../../support/check.js"

interface ManifestModel {
  name: string
  config: Record<string, number>
  symmetry: boolean
  invariants?: string[]
  result: "success" | "violation"
  generated?: number
  distinct?: number
  depth?: number
  violated?: string
  traceLength?: number
}

const manifest = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../../model/protocols/raftmongo/manifest.json"), "utf8")
) as { models: ManifestModel[] }

// The 5-server search takes several seconds; it is exercised by `npm run bench`.
const fast = manifest.models.filter((m) => m.config.servers! <= 3)

describe("raftmongo matches TLC", () => {
  it.each(fast)("$name: $generated generated, $distinct distinct, depth $depth", async (m) => {
    const r = await check({ protocol: "raftmongo", variant: "base", config: m.config, symmetry: m.symmetry }, { invariants: m.invariants })
    expect(r.violation?.invariant ?? null).toBe(m.violated ?? null)
    expect({ generated: r.generated, distinct: r.distinct, depth: r.depth }).toEqual({ generated: m.generated, distinct: m.distinct, depth: m.depth })
  })

  it("MongoDB's bounds give the same counts with 2 workers", async () => {
    const m = manifest.models.find((x) => x.name === "mongodb-bounds")!
    const r = await check({ protocol: "raftmongo", variant: "base", config: m.config, symmetry: false }, { workers: 2 })
    expect([r.generated, r.distinct, r.depth]).toEqual([m.generated, m.distinct, m.depth])
  })
})
