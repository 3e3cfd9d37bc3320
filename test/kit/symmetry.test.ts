/**
 * Symmetry over node ids: permuting the nodes of a state (its node blocks and every node id
 * inside) never changes its canonical form, and under --symmetry the search counts exactly the
 * orbits of the states it would reach without it, counted here independently on readable states.
 */
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { explore, localDriver } from "../../model/engine/explorer.js"
import { successorsOf } from "../../model/engine/path.js"
import { defineProtocol, defineState, global, nodeId, nodeOrNone, nodes, nodeSet, perNode, seqOf, uint } from "../../model/kit/index.js"
import mutex from "../../model/protocols/examples/mutex.js"

const N = 4
const State = defineState(() => ({
  score: perNode(uint(3)),
  likes: perNode(nodeSet),
  inbox: perNode(seqOf(nodeId, 2)),
  // A node id or 0 (none): relabelling moves the ids and keeps 0.
  view: perNode(nodeOrNone),
  leader: global(nodeId),
  seen: global(nodeSet)
}))
const layout = State.layout({}, N)

type Readable = { score: number[]; likes: number[][]; inbox: number[][]; view: number[]; leader: number; seen: number[] }
const ids = fc.integer({ min: 1, max: N })
const arbitrary: fc.Arbitrary<Readable> = fc.record({
  score: fc.array(fc.nat(3), { minLength: N, maxLength: N }),
  likes: fc.array(fc.uniqueArray(ids), { minLength: N, maxLength: N }),
  inbox: fc.array(fc.array(ids, { maxLength: 2 }), { minLength: N, maxLength: N }),
  view: fc.array(fc.integer({ min: 0, max: N }), { minLength: N, maxLength: N }),
  leader: ids,
  seen: fc.uniqueArray(ids)
})
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
/** Node k becomes perm[k - 1]. */
function permute(s: Readable, perm: number[]): Readable {
  const to = (id: number) => perm[id - 1]!
  const out: Readable = { score: [], likes: [], inbox: [], view: [], leader: to(s.leader), seen: sorted(s.seen.map(to)) }
  for (let k = 1; k <= N; k++) {
    out.score[to(k) - 1] = s.score[k - 1]!
    out.likes[to(k) - 1] = sorted(s.likes[k - 1]!.map(to))
    out.inbox[to(k) - 1] = s.inbox[k - 1]!.map(to)
    out.view[to(k) - 1] = s.view[k - 1] === 0 ? 0 : to(s.view[k - 1]!)
  }
  return out
}
const encode = (s: Readable) => {
  const b = new Uint8Array(layout.widthBytes)
  layout.encode(s, b)
  return b
}
const canonical = (s: Readable) => {
  const c = new Uint8Array(layout.widthBytes)
  layout.canonicalize(encode(s), c)
  return Array.from(c)
}
const perms = fc.shuffledSubarray([1, 2, 3, 4], { minLength: N, maxLength: N })

describe("canonical forms", () => {
  it("exist for states whose variables hold node ids", () => {
    expect(layout.symmetric).toBe(true)
  })
  test.prop([arbitrary, perms])("do not change when the nodes are permuted", (s, perm) => {
    expect(canonical(permute(s, perm))).toEqual(canonical(s))
  })
  test.prop([arbitrary])("are a member of the state's orbit", (s) => {
    const c = canonical(s)
    const all: number[][] = []
    const walk = (prefix: number[]) => {
      if (prefix.length === N) return all.push(prefix)
      for (let k = 1; k <= N; k++) if (!prefix.includes(k)) walk([...prefix, k])
    }
    walk([])
    expect(all.some((p) => JSON.stringify(canonical(permute(s, p))) === JSON.stringify(c) && JSON.stringify(Array.from(encode(permute(s, p)))) === JSON.stringify(c))).toBe(true)
  })
})
/** Orbits of the reachable states, by the least JSON text of each state's permutations. */
async function orbitsOf(protocol: ReturnType<typeof defineProtocol>, config: Record<string, number>, nodeCount: number, relabel: (v: Record<string, unknown>, perm: number[]) => unknown) {
  const model = protocol.build(config)
  const key = (b: Uint8Array) => Buffer.from(b).toString("latin1")
  const seen = new Map<string, Uint8Array>()
  let frontier: Uint8Array[] = model.initialStates().map((s) => s.slice())
  for (const s of frontier) seen.set(key(s), s)
  while (frontier.length > 0) {
    const next: Uint8Array[] = []
    for (const s of frontier as Uint8Array[]) for (const t of successorsOf(model, s)) if (model.constraint(t.state) && !seen.has(key(t.state))) (seen.set(key(t.state), t.state), next.push(t.state))
    frontier = next
  }
  const perms: number[][] = []
  const walk = (prefix: number[]) => {
    if (prefix.length === nodeCount) return perms.push(prefix)
    for (let k = 1; k <= nodeCount; k++) if (!prefix.includes(k)) walk([...prefix, k])
  }
  walk([])
  const orbits = new Set<string>()
  for (const s of seen.values()) {
    const v = model.codec.decode(s)
    orbits.add(perms.map((p) => JSON.stringify(relabel(v, p))).sort()[0]!)
  }
  return { states: seen.size, orbits: orbits.size }
}

describe("the symmetric search counts orbits", () => {
  const Ring = defineState(() => ({ mark: perNode(uint(2)), pointsTo: perNode(nodeId), chosen: global(nodeSet) }))
  const ring = defineProtocol({
    name: "ring",
    summary: "nodes point at each other and get chosen",
    bounds: { n: { default: 3, min: 1, max: 4, description: "nodes" } },
    nodes: (b) => b.n,
    state: Ring,
    init: (s) => {
      for (let i = 1; i <= s.nodeCount; i++) s.setPointsTo(i, i)
    },
    actions: () => [
      Ring.action("Point")
        .exists("i", nodes)
        .exists("j", nodes)
        .require((s, a) => s.pointsTo(a.i) !== a.j && s.mark(a.i) < 2, "same", "no change")
        .then((t, a) => {
          t.setPointsTo(a.i, a.j)
          t.setMark(a.i, t.mark(a.i) + 1)
        }),
      Ring.action("Choose")
        .exists("i", nodes)
        .require((s, a) => !s.chosen.has(a.i) && s.mark(s.pointsTo(a.i)) > 0, "no", "not chosen")
        .then((t, a) => t.chosen.add(a.i))
    ],
    symmetry: true
  })
  it.each([2, 3, 4])("with %i nodes, ids inside the state included", async (n) => {
    const relabel = (v: Record<string, unknown>, p: number[]) => {
      const to = (id: number) => p[id - 1]!
      const mark: number[] = []
      const pointsTo: number[] = []
      ;(v["mark"] as number[]).forEach((m, k) => (mark[to(k + 1) - 1] = m))
      ;(v["pointsTo"] as number[]).forEach((id, k) => (pointsTo[to(k + 1) - 1] = to(id)))
      return { mark, pointsTo, chosen: sorted((v["chosen"] as number[]).map(to)) }
    }
    const { orbits } = await orbitsOf(ring, { n }, n, relabel)
    const model = ring.build({ n }, "base", { symmetry: true })
    const options = { workers: 1, symmetry: true, deadlock: false }
    const r = await explore(model, options, localDriver(model, options))
    expect(r.distinct).toBe(orbits)
  })
  it("with no ids inside the state (block sort), on the mutex", async () => {
    const relabel = (v: Record<string, unknown>, p: number[]) => {
      const pc: unknown[] = []
      ;(v["pc"] as unknown[]).forEach((x, k) => (pc[p[k]! - 1] = x))
      return { pc, lock: v["lock"] }
    }
    const { orbits } = await orbitsOf(mutex, { processes: 4 }, 4, relabel)
    const model = mutex.build({ processes: 4 }, "base", { symmetry: true })
    const options = { workers: 1, symmetry: true, deadlock: false }
    expect((await explore(model, options, localDriver(model, options))).distinct).toBe(orbits)
  })
  it("refuses symmetry where it cannot relabel", () => {
    const Big = defineState(() => ({ to: perNode(nodeId) }))
    const p = defineProtocol({ name: "big", summary: "", bounds: {}, nodes: () => 7, state: Big, actions: () => [], symmetry: true })
    expect(() => p.build({}, "base", { symmetry: true })).toThrow(/relabelling covers at most 6 nodes/)
  })
})
