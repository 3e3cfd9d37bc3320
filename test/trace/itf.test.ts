import { fc, test } from "@fast-check/vitest"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import mutex from "../../model/protocols/examples/mutex.js"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import type { KitModel, Protocol } from "../../model/kit/index.js"
import rollback from "../../model/protocols/rollback/index.js"
import { toItfTrace } from "../../model/trace/counterexample.js"
import { ItfInt, ItfNodeMap, ItfSet, renderValue } from "../../model/trace/itf.js"
import { packedSteps, validateItf, validateTrace } from "../../model/trace/validate.js"

describe("ITF values", () => {
  it("writes integers as #bigint and reads both forms", () => {
    expect(Schema.encodeSync(ItfInt)(42)).toEqual({ "#bigint": "42" })
    expect(Schema.decodeUnknownSync(ItfInt)({ "#bigint": "-7" })).toBe(-7)
    expect(Schema.decodeUnknownSync(ItfInt)(3)).toBe(3)
    expect(() => Schema.decodeUnknownSync(ItfInt)({ "#bigint": "123456789012345678901" })).toThrow(/out of range/)
  })

  it("writes node functions as #map from ids 1..n and rejects other domains", () => {
    const m = ItfNodeMap(ItfInt)
    expect(Schema.encodeSync(m)([5, 6])).toEqual({
      "#map": [
        [{ "#bigint": "1" }, { "#bigint": "5" }],
        [{ "#bigint": "2" }, { "#bigint": "6" }]
      ]
    })
    expect(() => Schema.decodeUnknownSync(m)({ "#map": [[{ "#bigint": "2" }, { "#bigint": "5" }]] })).toThrow(/keys 1..n/)
  })

  test.prop([fc.array(fc.record({ term: fc.nat(1000), index: fc.nat(1000) }), { maxLength: 8 })])(
    "fromItf(toItf(x)) = x through JSON text",
    (entries) => {
      const s = ItfSet(Schema.Struct({ term: ItfInt, index: ItfInt }))
      const json = JSON.parse(JSON.stringify(Schema.encodeSync(s)(entries)))
      expect(Schema.decodeUnknownSync(s)(json)).toEqual(entries)
    }
  )

  it("renders values in TLA+ notation", () => {
    expect(renderValue({ "#set": [{ term: { "#bigint": "1" }, index: { "#bigint": "2" } }] })).toBe("{[term |-> 1, index |-> 2]}")
    expect(renderValue([{ "#bigint": "1" }, "Leader", true])).toBe('<<1, "Leader", TRUE>>')
  })
})

/** The committed full-rollback trace's run, as replcheck writes it in ITF (parsed back). */
async function acceptedRunAsItf() {
  const lines = readFileSync(join(import.meta.dirname, "../../traces/rollback/conformance/valid/full-rollback.ndjson"), "utf8").split("\n").filter((l) => l.length > 0)
  async function* each() {
    yield* lines
  }
  const run = await validateTrace(rollback as Protocol, rollback.traceMapping!, each(), "full-rollback.ndjson", { internalSteps: 0, keepPath: true })
  const model = rollback.build(run.config) as KitModel
  const doc = JSON.parse(JSON.stringify(toItfTrace(model, packedSteps(model, run.path!), { protocol: "rollback", variant: "base", config: run.config, invariant: "(accepted trace)", kind: "state" })))
  return { model, doc }
}

describe("ITF validation bounds no size", () => {
  it("accepts an ITF run whose #meta.config is smaller than its terms and logs, and still rejects a changed one", async () => {
    const { doc } = await acceptedRunAsItf()
    doc["#meta"].config = { ...doc["#meta"].config, maxTerm: 1, maxLogLen: 1 }
    const terms = (doc.states as Array<Record<string, any>>).flatMap((s) => (s["currentTerm"]["#map"] as Array<[unknown, { "#bigint": string }]>).map(([, t]) => Number(t["#bigint"])))
    expect(Math.max(...terms)).toBeGreaterThan(1)
    expect(validateItf(rollback as Protocol, doc, "small-config.itf.json").rejection).toBeNull()
    // A state changed in the middle is rejected there.
    const k = Math.floor(doc.states.length / 2)
    doc.states[k]["currentTerm"]["#map"][0][1] = { "#bigint": "99" }
    expect(validateItf(rollback as Protocol, doc, "changed.itf.json").rejection).toMatchObject({ at: "state", seq: k + 1 })
  })
})

describe("ITF for Quint's model-based-testing drivers", () => {
  it("writes mbt::actionTaken and mbt::nondetPicks on every state, as quint run --mbt does", async () => {
    const { model, doc } = await acceptedRunAsItf()
    expect(doc.vars).toEqual(expect.arrayContaining(["mbt::actionTaken", "mbt::nondetPicks"]))
    const everyArgument = new Set(model.families.flatMap((f) => f.params))
    const taken = new Set<string>()
    for (const [k, state] of (doc.states as Array<Record<string, any>>).entries()) {
      const meta = state["#meta"]
      expect(state["mbt::actionTaken"]).toBe(k === 0 ? "init" : meta.action)
      taken.add(state["mbt::actionTaken"])
      const picks = state["mbt::nondetPicks"] as Record<string, { tag: string; value: unknown }>
      expect(new Set(Object.keys(picks))).toEqual(everyArgument)
      for (const [name, pick] of Object.entries(picks)) {
        if (k > 0 && name in meta.args) expect(pick).toEqual({ tag: "Some", value: meta.args[name] })
        else expect(pick).toEqual({ tag: "None", value: { "#tup": [] } })
      }
    }
    // Several actions, so the picks differ from step to step.
    expect(taken.size).toBeGreaterThan(3)
    // replcheck reads its own output back.
    expect(validateItf(rollback as Protocol, doc, "mbt.itf.json").rejection).toBeNull()
  })
})

describe("ITF written by Quint", () => {
  it("reads names in Quint's variant form and ignores its mbt:: variables", async () => {
    // An accepted rollback run, as replcheck writes it in ITF, then in the form Quint's simulator
    // writes: every name as {"tag": name, "value": {"#tup": []}}, and each state carrying
    // mbt::actionTaken and mbt::nondetPicks.
    const lines = readFileSync(join(import.meta.dirname, "../../traces/rollback/conformance/valid/full-rollback.ndjson"), "utf8").split("\n").filter((l) => l.length > 0)
    async function* each() {
      yield* lines
    }
    const run = await validateTrace(rollback as Protocol, rollback.traceMapping!, each(), "full-rollback.ndjson", { internalSteps: 0, keepPath: true })
    expect(run.accepted).toBe(true)
    const model = rollback.build(run.config) as KitModel
    const doc = toItfTrace(model, packedSteps(model, run.path!), { protocol: "rollback", variant: "base", config: run.config, invariant: "(accepted trace)", kind: "state" })
    let names = 0
    const quintForm = (v: unknown): unknown => {
      if (typeof v === "string") return names++, { tag: v, value: { "#tup": [] } }
      if (Array.isArray(v)) return v.map(quintForm)
      if (v !== null && typeof v === "object" && !("#bigint" in v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, quintForm(x)]))
      return v
    }
    const quint = {
      ...doc,
      states: doc.states.map(({ "#meta": meta, ...vars }) => ({
        "#meta": meta,
        ...(quintForm(vars) as object),
        "mbt::actionTaken": meta.action ?? "init",
        "mbt::nondetPicks": {}
      }))
    }
    expect(names).toBeGreaterThan(doc.states.length)
    const again = validateItf(rollback as Protocol, JSON.parse(JSON.stringify(quint)), "quint.itf.json")
    expect(again.rejection).toBeNull()
    expect(again.events).toBe(doc.states.length - 1)
    // A tag that is no name of the variable is still bad input.
    const wrong = structuredClone(quint) as { states: Array<Record<string, unknown>> }
    const state = wrong.states[1]!["state"] as { "#map": Array<[unknown, unknown]> }
    state["#map"][0]![1] = { tag: "Primary", value: { "#tup": [] } }
    expect(() => validateItf(rollback as Protocol, wrong, "quint.itf.json")).toThrow(/states\[1\]\.state/)
  })
  it("validates traces that Quint's simulator wrote (test/fixtures/quint: qualified variable names, tagged values, mbt::)", () => {
    const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures/quint", name), "utf8")) as { vars: string[]; states: Array<Record<string, unknown>> }
    const base = fixture("mutex-base.itf.json")
    // What makes these Quint's and not replcheck's own output.
    expect(base.vars).toEqual(["base::mutex::pc", "base::mutex::lock", "mbt::actionTaken", "mbt::nondetPicks"])
    expect(JSON.stringify(base.states[0]!["base::mutex::pc"])).toContain('{"tag":"idle","value":{"#tup":[]}}')
    const accepted = validateItf(mutex as Protocol, base, "mutex-base.itf.json")
    expect(accepted.rejection).toBeNull()
    expect(accepted.events).toBe(base.states.length - 1)
    expect(accepted.events).toBe(10)
    // Quint's noLock instance lets a second process enter while the first is critical: no step of
    // the model leads to that state.
    const noLock = fixture("mutex-no-lock.itf.json")
    expect(noLock.states.map((st) => st["mbt::actionTaken"])).toEqual(["init", "Request", "Enter", "Request", "Enter"])
    const rejected = validateItf(mutex as Protocol, noLock, "mutex-no-lock.itf.json")
    expect(rejected.rejection).toMatchObject({ at: "state", seq: 5, lastMatched: 4, reason: "observation" })
    // Two variables that name the same one are bad input, not one silently read.
    const twice = structuredClone(base)
    twice.states[0]!["other::pc"] = twice.states[0]!["base::mutex::pc"]
    expect(() => validateItf(mutex as Protocol, twice, "twice.itf.json")).toThrow(/states\[0\]\.other::pc: a second variable named pc/)
  })
})
