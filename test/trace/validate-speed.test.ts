/**
 * What the validator's faster paths must keep equal to the plain ones they replaced: one
 * variable decoded alone against the whole state decoded, and JSON equality without writing
 * canonical texts against comparing those texts.
 */
import { describe, expect } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { builtInProtocols } from "../../model/protocols/index.js"
import { successorsOf } from "../../model/engine/path.js"
import { sameValue } from "../../model/trace/validate.js"

describe("layout.decodeVariable", () => {
  for (const protocol of builtInProtocols) {
    test(`${protocol.name}: each variable (each node's value) as decode gives it`, () => {
      const model = protocol.build(protocol.defaults, "base", { symmetry: false })
      const states: Uint8Array[] = [...model.initialStates()]
      for (let k = 0; states.length < 60 && k < states.length; k++) for (const s of successorsOf(model, states[k]!)) states.push(s.state)
      const n = model.layout.nodes
      for (const state of states) {
        const whole = model.codec.decode(state)
        for (const f of model.layout.fields) {
          expect(model.layout.decodeVariable(state, f.name)).toEqual(whole[f.name])
          if (f.scope === "node") {
            for (let node = 1; node <= n; node++) expect(model.layout.decodeVariable(state, f.name, node)).toEqual((whole[f.name] as unknown[])[node - 1])
            expect(model.layout.decodeVariable(state, f.name, n + 1)).toBeUndefined()
          }
        }
        expect(model.layout.decodeVariable(state, "noSuchVariable")).toBeUndefined()
      }
    })
  }
})

/** The comparison sameValue replaced: canonical JSON texts (object keys sorted). */
const canon = (v: unknown): string => {
  const sortKeys = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sortKeys) : x !== null && typeof x === "object" ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sortKeys((x as Record<string, unknown>)[k])])) : x
  return JSON.stringify(sortKeys(v))
}

/** The same value with its objects' keys in reverse order. */
const reordered = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(reordered) : v !== null && typeof v === "object" ? Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reordered((v as Record<string, unknown>)[k])])) : v

describe("sameValue", () => {
  const json = fc.jsonValue({ maxDepth: 3 })
  test.prop([json, json], { numRuns: 3000 })("decides as comparing canonical JSON texts does", (a, b) => {
    expect(sameValue(a, b, false)).toBe(canon(a) === canon(b))
    expect(sameValue(a, reordered(a), false)).toBe(true)
  })
  test.prop([fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 })], { numRuns: 500 })("a set's arrays are equal in any order, not otherwise", (xs) => {
    const reversed = [...xs].reverse()
    expect(sameValue(xs, reversed, true)).toBe(true)
    expect(sameValue(xs, [...xs, 0], true)).toBe(false)
    expect(sameValue(xs, reversed, false)).toBe(canon(xs) === canon(reversed))
  })
})
