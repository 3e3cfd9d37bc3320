/**
 * The value backend (kit/values.ts) against the packed one: on random walks of every built-in
 * protocol and variant, the same successors in the same order
 * with the same arguments and readable states, the same invariant verdicts on each, and the same
 * explanation of why an action is not enabled. Validation runs on the value backend and the
 * search on the packed one, so this is what makes a verdict of one a verdict of the other.
 */
import { describe, expect, it } from "vitest"
import { successorsOf } from "../../model/engine/path.js"
import type { Protocol } from "../../model/kit/index.js"
import { unchanged } from "../../model/kit/index.js"
import { defineState, nodeSet, perNode, record, seqOf, setOf, uint } from "../../model/kit/index.js"
import { placeValueFields, valueRoot, zeroState, type ValueHolder } from "../../model/kit/values.js"
import { builtInProtocols } from "../../model/protocols/index.js"
import { prng } from "../../model/trace/prng.js"

/** JSON text with sets (JS Sets) as sorted arrays and object keys sorted. */
function canonical(v: unknown): string {
  const norm = (x: unknown): unknown => {
    if (x instanceof Set) return [...x].map(norm).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
    if (Array.isArray(x)) return x.map(norm)
    if (x !== null && typeof x === "object") return Object.fromEntries(Object.keys(x).sort().map((k) => [k, norm((x as Record<string, unknown>)[k])]))
    return x
  }
  return JSON.stringify(norm(v))
}

/**
 * Walks the packed model of `packedVariant` and the value model of `valueVariant` side by side
 * from the initial state, `walks` times for up to `depth` steps, staying within the state
 * constraint (the packed states are sized for it). Returns the first difference, or null.
 */
function firstDifference(protocol: Protocol, packedVariant: string, valueVariant: string, seed: number, walks: number, depth: number): string | null {
  const packed = protocol.build(protocol.defaults, packedVariant, { symmetry: false })
  const values = protocol.buildValues(protocol.defaults, valueVariant)
  const random = prng(seed)
  const pick = <A>(xs: readonly A[]) => xs[Math.floor(random() * xs.length)]!
  for (let w = 0; w < walks; w++) {
    let bytes = packed.initialStates()[0]!
    let state = values.initialState()
    if (canonical(packed.codec.decode(bytes)) !== canonical(values.decode(state))) return "the initial states differ"
    for (let d = 0; d < depth; d++) {
      const where = `walk ${w}, step ${d}`
      const expected = successorsOf(packed, bytes)
      const got: Array<{ name: string; args: Record<string, unknown>; state: unknown[] }> = []
      for (const f of values.families) f.expand(state, {}, (next, args) => got.push({ name: f.name, args: f.describe(args), state: next }))
      if (got.length !== expected.length) return `${where}: ${expected.length} successors packed, ${got.length} on values`
      for (let k = 0; k < got.length; k++) {
        const e = expected[k]!
        const g = got[k]!
        if (e.action!.name !== g.name || canonical(e.action!.args) !== canonical(g.args)) return `${where}: successor ${k} is ${e.action!.name}${canonical(e.action!.args)} packed, ${g.name}${canonical(g.args)} on values`
        if (canonical(packed.codec.decode(e.state)) !== canonical(values.decode(g.state))) return `${where}: successor ${k} (${g.name}) has another state`
        for (const [m, inv] of packed.stateInvariants.entries()) {
          if (inv.holds(e.state) !== values.stateInvariants[m]!.holds(g.state)) return `${where}: ${inv.name} differs on successor ${k}`
        }
        for (const [m, inv] of packed.stepInvariants.entries()) {
          if (inv.holds(bytes, e.state) !== values.stepInvariants[m]!.holds(state, g.state)) return `${where}: ${inv.name} differs on successor ${k}`
        }
      }
      // Why each action is not enabled (or that it is), at a random first argument.
      for (const [k, f] of packed.families.entries()) {
        const first = f.params[0]
        const given = first !== undefined && f.paramKinds?.[0] === "node" ? { [first]: 1 + Math.floor(random() * (packed.nodeCount ?? 1)) } : {}
        const a = f.explain!(bytes, given)
        const b = values.families[k]!.explain(state, given)
        if (canonical(a) !== canonical(b)) return `${where}: ${f.name}${canonical(given)} is explained as ${canonical(a)} packed, ${canonical(b)} on values`
      }
      const within = expected.map((_, k) => k).filter((k) => packed.constraint(expected[k]!.state))
      if (within.length === 0) break
      const k = pick(within)
      bytes = expected[k]!.state
      state = got[k]!.state
    }
  }
  return null
}

const protocols: readonly Protocol[] = builtInProtocols

describe("the value backend", () => {
  for (const protocol of protocols) {
    for (const { name: variant } of protocol.variants) {
      it(`takes the packed backend's steps: ${protocol.name} ${variant}`, () => {
        expect(firstDifference(protocol, variant, variant, 7, 6, 40)).toBeNull()
      })
    }
  }

  it("is told apart from another variant by the same comparison (it can fail)", () => {
    const mutex = builtInProtocols.find((p) => p.name === "mutex")!
    expect(firstDifference(mutex, "base", "no-lock", 7, 6, 40)).toMatch(/successors|state|differs|explained/)
  })

  it("has no ceiling: terms, lengths and sets past any packed bound", () => {
    const Big = defineState(() => ({
      term: perNode(uint(3)),
      log: perNode(seqOf(record({ term: uint(3) }), 2)),
      seen: perNode(setOf(record({ term: uint(3), index: uint(3) }))),
      voters: perNode(nodeSet)
    }))
    const decl = Big.declare({})
    const { fields, cells } = placeValueFields(decl, 2)
    const h: ValueHolder = { src: [], next: zeroState(fields, cells, 2), owned: new Uint8Array(cells).fill(1), reads: null }
    const t = valueRoot(fields, h, 2, "next", true, true) as any
    t.setTerm(1, 2 ** 40)
    for (let k = 1; k <= 5000; k++) t.log.push(1, { term: k })
    for (let k = 1; k <= 300; k++) t.seen.add(2, { term: 1000 + k, index: k })
    t.voters.setMask(2, 0b11)
    expect(t.term(1)).toBe(2 ** 40)
    expect(t.log.length(1)).toBe(5000)
    expect(t.log.term(1, 4321)).toBe(4321)
    // Past the end reads as the packed backend's zeroed slot.
    expect(t.log.term(1, 5001)).toBe(0)
    expect(t.seen.size(2)).toBe(300)
    expect(t.seen.has(2, { term: 1150, index: 150 })).toBe(true)
    expect(t.seen.has(2, { term: 1150, index: 151 })).toBe(false)
    const scratch: number[] = []
    expect(t.seen.collect(2, scratch)).toBe(300)
    expect(scratch.slice(0, 2)).toEqual([1001, 1])
    expect(t.voters.values(2)).toEqual([1, 2])
    expect(() => t.seen.add(2, { term: -1, index: 1 })).toThrow(RangeError)
    expect(() => t.log.pop(2)).toThrow(/empty/)
  })

  it("copies a compound the first time a step writes it, and never changes a finished state", () => {
    const S = defineState(() => ({ log: perNode(seqOf(uint(9), 9)) }))
    const { fields, cells } = placeValueFields(S.declare({}), 2)
    const h: ValueHolder = { src: [], next: zeroState(fields, cells, 2), owned: new Uint8Array(cells).fill(1), reads: null }
    const t = valueRoot(fields, h, 2, "next", true, true) as any
    const before = valueRoot(fields, h, 2, "src", false, true) as any
    t.log.push(1, 4)
    const first = h.next
    // A step: a copy of the cells, sharing every compound until written.
    h.src = first
    h.next = first.slice()
    h.owned.fill(0)
    t.log.push(1, 5)
    expect(first[0]).toEqual([4])
    expect(h.next[0]).toEqual([4, 5])
    expect(h.next[1]).toBe(first[1])
    expect(unchanged(before, t, "log", 2)).toBe(true)
    expect(unchanged(before, t, "log", 1)).toBe(false)
  })
})
